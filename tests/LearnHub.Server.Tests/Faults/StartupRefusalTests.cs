using System.Net;
using System.Net.Sockets;
using Grpc.Health.V1;
using Grpc.Net.Client;
using LearnHub.Api.V1;
using LearnHub.Server.Tests.Interop;
using LearnHub.Testing;

namespace LearnHub.Server.Tests.Faults;

/// <summary>
/// The built server as an operator starts it (a child process): a configuration it cannot run with stops the start
/// with exactly one line on stderr naming the problem and exit code 78, before anything listens. These run on the
/// SQLite default whatever LEARNHUB_TEST_STORE says: the data folder's lock is the SQLite store's.
/// </summary>
public sealed class StartupRefusalTests
{
    private const int RefusedExitCode = 78;
    private static readonly TimeSpan ExitDeadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_signing_key_under_32_bytes_is_refused_with_one_line_and_nothing_listens()
    {
        var data = Directory.CreateTempSubdirectory("learnhub-refusal-").FullName;
        try
        {
            await File.WriteAllBytesAsync(Path.Combine(data, "signing-key.bin"), new byte[16], TestContext.Current.CancellationToken);

            var refusal = await StartRefusedAsync(data);

            Assert.Contains("signing key", refusal.Line, StringComparison.Ordinal);
            Assert.Contains("is 16 bytes; it must be at least 32", refusal.Line, StringComparison.Ordinal);
            Assert.False(refusal.Listened, "nothing listens on the server's ports");
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task A_second_server_on_the_same_data_folder_is_refused_while_the_first_keeps_serving()
    {
        await using var first = ServerChildProcess.Prepare();
        await first.StartAsync("--Storage:Provider=Sqlite");

        var refusal = await StartRefusedAsync(first.DataDirectory);

        Assert.Contains($"the data folder {first.DataDirectory} is in use by another LearnHub server", refusal.Line, StringComparison.Ordinal);
        Assert.Contains("learnhub.db.lock", refusal.Line, StringComparison.Ordinal);
        Assert.False(refusal.Listened);
        using var channel = GrpcChannel.ForAddress($"http://{first.GrpcAddress}");
        var health = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(10));
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);

        // The operator commands take no lock: they work on the folder while its server runs, and the server sees their work.
        await CliAsync(first.DataDirectory, "user", "add", "--handle", "lilaoshi", "--name", "李老师", "--roles", "instructor");
        var token = await CliAsync(first.DataDirectory, "token", "--user", "lilaoshi");
        var me = await new IdentityService.IdentityServiceClient(channel).GetMeAsync(
            new GetMeRequest(), new global::Grpc.Core.Metadata { { "authorization", $"Bearer {token}" } }, DateTime.UtcNow.AddSeconds(10));
        Assert.Equal("lilaoshi", me.Handle);
    }

    /// <summary>An operator command on the SQLite data folder (no store settings from the environment); returns its stdout.</summary>
    private static async Task<string> CliAsync(string dataDirectory, params string[] arguments)
    {
        await using var cli = ChildProcess.Start("dotnet", [ServerChildProcess.ServerDll, .. arguments, "--data-dir", dataDirectory], Path.GetDirectoryName(ServerChildProcess.ServerDll)!);
        var exitCode = await cli.WaitForExitAsync(ExitDeadline);
        Assert.True(exitCode == 0, $"{string.Join(' ', arguments)} exited {exitCode}:\n{cli.Output}");
        return cli.StandardOutput.Trim();
    }

    [Fact]
    public async Task A_data_folder_the_server_cannot_write_is_refused()
    {
        // A read-only file system: root's permission bits would not stop a root server, this does.
        await using var disk = await Tmpfs.MountAsync("1m", readOnly: true);

        var refusal = await StartRefusedAsync(disk.Path);

        Assert.Contains($"the data folder {disk.Path} is not writable", refusal.Line, StringComparison.Ordinal);
        Assert.False(refusal.Listened);
    }

    [Theory]
    [InlineData("--Storage:Provider=Postgres", "Storage:Provider is Postgres but Storage:ConnectionString is not set")]
    [InlineData("--Storage:Provider=Mongo", "Storage:Provider is 'Mongo'; it must be Sqlite or Postgres.")]
    [InlineData("--Kestrel:Endpoints:Grpc:Url=htp//127.0.0.1", "Kestrel:Endpoints:Grpc:Url is 'htp//127.0.0.1', not a URL to listen on")]
    [InlineData("--RateLimits:ReadsPerSecond=fifty", "'fifty' at 'RateLimits:ReadsPerSecond'")]
    [InlineData("--Identity:AccessChangePollInterval=00:00:00", "Identity:AccessChangePollInterval is 00:00:00; it must be longer than zero.")]
    [InlineData("--Ingest:RtmpUrl=http://live.example.com/live", "Ingest:RtmpUrl is 'http://live.example.com/live'; it must be an rtmp:// URL")]
    [InlineData("--Ingest:RtmpUrl=rtmp://live.example.com/live", "Ingest:RtmpUrl is set but Ingest:CallbackSecret is missing or shorter than 16 characters")]
    public async Task A_setting_the_server_cannot_run_with_is_refused_with_one_line(string setting, string expected)
    {
        var data = Directory.CreateTempSubdirectory("learnhub-refusal-").FullName;
        try
        {
            var refusal = await StartRefusedAsync(data, setting);

            Assert.Contains(expected, refusal.Line, StringComparison.Ordinal);
            Assert.False(refusal.Listened);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task A_port_another_process_listens_on_is_refused_with_one_line()
    {
        var data = Directory.CreateTempSubdirectory("learnhub-refusal-").FullName;
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        try
        {
            var port = ((IPEndPoint)squatter.LocalEndpoint).Port;
            var refusal = await StartRefusedAsync(data, $"--Kestrel:Endpoints:Grpc:Url=http://127.0.0.1:{port}");

            Assert.Contains($"cannot listen on http://127.0.0.1:{port} (Kestrel:Endpoints:Grpc:Url): the port is already in use", refusal.Line, StringComparison.Ordinal);
        }
        finally
        {
            squatter.Stop();
            Directory.Delete(data, recursive: true);
        }
    }

    /// <summary>
    /// Starts the server on <paramref name="dataDirectory"/> and its own free ports, expects it to exit with 78 and one
    /// line on stderr, and checks whether anything answered on its ports meanwhile.
    /// </summary>
    private static async Task<Refused> StartRefusedAsync(string dataDirectory, params string[] settings)
    {
        var (grpcPort, webPort) = LoopbackPorts.FreePair();
        await using var server = ChildProcess.Start("dotnet",
        [
            ServerChildProcess.ServerDll,
            "--Storage:Provider=Sqlite",
            $"--Storage:DataDirectory={dataDirectory}",
            $"--Kestrel:Endpoints:Grpc:Url=http://127.0.0.1:{grpcPort}",
            $"--Kestrel:Endpoints:Web:Url=http://127.0.0.1:{webPort}",
            .. settings,
        ], Path.GetDirectoryName(ServerChildProcess.ServerDll)!);

        var exitCode = await server.WaitForExitAsync(ExitDeadline);

        Assert.True(exitCode == RefusedExitCode, $"exit code {exitCode}, expected {RefusedExitCode}. Output:\n{server.Output}");
        var lines = server.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var line = Assert.Single(lines);
        Assert.StartsWith("LearnHub cannot start: ", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", server.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Now listening", server.Output, StringComparison.Ordinal);
        return new Refused(line, Answers(grpcPort) || Answers(webPort));
    }

    private static bool Answers(int port)
    {
        using var client = new TcpClient();
        try
        {
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private sealed record Refused(string Line, bool Listened);
}
