using System.Net;
using System.Net.Sockets;

namespace LearnHub.Server.Tests.Presence;

/// <summary>
/// A loopback TCP relay between a client and a server. <see cref="GoSilent"/> makes it a vanished peer: it stops
/// forwarding in both directions but keeps every socket open, so neither side sees a FIN or a RST; only an
/// application-level liveness check (HTTP/2 PING) can tell.
/// </summary>
public sealed class TcpRelay : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint target;
    private readonly CancellationTokenSource silent = new();
    private readonly List<TcpClient> sockets = [];
    private readonly List<Task> pumps = [];
    private readonly Task accepting;

    private TcpRelay(IPEndPoint target)
    {
        this.target = target;
        listener.Start();
        accepting = AcceptAsync();
    }

    /// <summary>host:port that clients connect to instead of the server.</summary>
    public string Address => $"127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";

    public static TcpRelay Start(string targetAddress) => new(IPEndPoint.Parse(targetAddress));

    /// <summary>From now on nothing more passes in either direction; the sockets stay open until disposal.</summary>
    public void GoSilent() => silent.Cancel();

    public async ValueTask DisposeAsync()
    {
        silent.Cancel();
        listener.Stop();
        lock (sockets)
        {
            foreach (var socket in sockets)
            {
                socket.Dispose();
            }
        }
        Task[] running;
        lock (sockets)
        {
            running = [accepting, .. pumps];
        }
        // Closing the sockets ends every pending read; their errors are the expected way out.
        await Task.WhenAll(running.Select(t => t.ContinueWith(static _ => { }, TaskScheduler.Default)));
        silent.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!silent.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(silent.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            var server = new TcpClient();
            lock (sockets)
            {
                sockets.Add(client);
                sockets.Add(server);
            }
            await server.ConnectAsync(target);
            lock (sockets)
            {
                pumps.Add(PumpAsync(client.GetStream(), server.GetStream()));
                pumps.Add(PumpAsync(server.GetStream(), client.GetStream()));
            }
        }
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to)
    {
        var buffer = new byte[16 * 1024];
        while (true)
        {
            // The read is not cancelled (that could close the socket); bytes that arrive after going silent are dropped
            // and nothing more is read.
            var read = await from.ReadAsync(buffer);
            if (read == 0 || silent.IsCancellationRequested)
            {
                return;
            }
            await to.WriteAsync(buffer.AsMemory(0, read));
        }
    }
}
