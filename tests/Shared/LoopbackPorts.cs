using System.Net;
using System.Net.Sockets;

namespace LearnHub.Testing;

public static class LoopbackPorts
{
    /// <summary>Two distinct ports the OS has just handed out; both listeners stay open until both are chosen.</summary>
    public static (int Grpc, int Web) FreePair()
    {
        var first = new TcpListener(IPAddress.Loopback, 0);
        var second = new TcpListener(IPAddress.Loopback, 0);
        first.Start();
        second.Start();
        try
        {
            return (((IPEndPoint)first.LocalEndpoint).Port, ((IPEndPoint)second.LocalEndpoint).Port);
        }
        finally
        {
            first.Stop();
            second.Stop();
        }
    }
}
