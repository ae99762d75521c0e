using System.Net;
using System.Net.Sockets;

namespace LearnHub.Testing;

/// <summary>
/// A throwaway Redis for tests: <c>redis-server</c> on a free loopback port as a child process (not daemonized, so it
/// dies with the test run), no persistence. When LEARNHUB_TEST_REDIS names a server, that one is used instead (and
/// cannot be restarted).
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(15);

    private readonly int port;
    private ChildProcess? process;

    private RedisServer(string configuration, int port)
    {
        Configuration = configuration;
        this.port = port;
    }

    /// <summary>A StackExchange.Redis configuration string for this server.</summary>
    public string Configuration { get; }

    /// <summary>False when an external server (LEARNHUB_TEST_REDIS) is used.</summary>
    public bool CanRestart => port > 0;

    public static async Task<RedisServer> StartAsync()
    {
        if (Environment.GetEnvironmentVariable("LEARNHUB_TEST_REDIS") is { Length: > 0 } external)
        {
            return new RedisServer(external, 0);
        }
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var server = new RedisServer($"127.0.0.1:{port}", port);
        await server.LaunchAsync();
        return server;
    }

    /// <summary>Kills the server (all data is lost: nothing is saved) and starts a new one on the same port.</summary>
    public async Task RestartAsync()
    {
        await KillAsync();
        await StartAgainAsync();
    }

    /// <summary>Kills the server; nothing is saved. <see cref="StartAgainAsync"/> brings an empty one back on the same port.</summary>
    public async Task KillAsync()
    {
        if (process is null)
        {
            throw new InvalidOperationException("An external Redis (LEARNHUB_TEST_REDIS) cannot be restarted by the tests.");
        }
        await process.DisposeAsync();
        process = null;
    }

    public Task StartAgainAsync() => process is null ? LaunchAsync() : throw new InvalidOperationException("Redis is running.");

    private async Task LaunchAsync()
    {
        process = ChildProcess.Start(
            "redis-server",
            ["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            Path.GetTempPath());
        using var deadline = new CancellationTokenSource(StartDeadline);
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"redis-server exited at start ({process.ExitCode}):\n{process.Output}");
            }
            if (await AnswersPingAsync(deadline.Token))
            {
                return;
            }
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20), deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"redis-server did not answer on port {port} within {StartDeadline}:\n{process.Output}");
            }
        }
    }

    private async Task<bool> AnswersPingAsync(CancellationToken ct)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port, ct);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray(), ct);
            var buffer = new byte[16];
            var read = await stream.ReadAsync(buffer, ct);
            return read >= 5 && System.Text.Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (process is not null)
        {
            await process.DisposeAsync();
        }
    }
}
