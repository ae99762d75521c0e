using LearnHub.Testing;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using LearnHub.Server.Tests.Infrastructure;

namespace LearnHub.Server.Tests.Interop;

/// <summary>
/// The real LearnHub.Server run as `dotnet LearnHub.Server.dll` in a child process, on free loopback ports with its
/// own temporary data folder, as an operator would run it. Disposing kills the process and deletes the folder.
/// </summary>
public sealed class ServerChildProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan CliDeadline = TimeSpan.FromSeconds(60);

    private ChildProcess? server;

    private ServerChildProcess(string dataDirectory)
    {
        DataDirectory = dataDirectory;
    }

    /// <summary>The build of the server this test assembly references, copied next to it with its appsettings.json.</summary>
    public static string ServerDll { get; } = Path.Combine(AppContext.BaseDirectory, "LearnHub.Server.dll");

    /// <summary>Runs the server from its own folder so that it finds its appsettings.json (the host reads it from the working directory).</summary>
    private static string ServerFolder => Path.GetDirectoryName(ServerDll)!;

    public string DataDirectory { get; }

    /// <summary>host:port of the HTTP/2 gRPC endpoint.</summary>
    public string GrpcAddress { get; private set; } = "";

    /// <summary>http://host:port of the HTTP/1 endpoint (admin console, /hubs/live).</summary>
    public string WebAddress { get; private set; } = "";

    public string Output => server?.Output ?? "";

    /// <summary>A data folder prepared but no server yet: run <see cref="RunCliAsync"/> commands, then <see cref="StartAsync"/>.</summary>
    public static ServerChildProcess Prepare()
    {
        if (!File.Exists(ServerDll))
        {
            throw new InvalidOperationException($"The server build is missing at {ServerDll}.");
        }
        var dataDirectory = Path.Combine(Path.GetTempPath(), "learnhub-interop-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dataDirectory);
        return new ServerChildProcess(dataDirectory);
    }

    /// <summary>Runs an operator command (`user add …`, `token …`) against this data folder; returns its stdout.</summary>
    public async Task<string> RunCliAsync(params string[] arguments)
    {
        var (exitCode, output) = await ChildProcess.RunAsync(
            "dotnet", [ServerDll, .. arguments, "--data-dir", DataDirectory], ServerFolder, CliDeadline, await TestStore.EnvironmentForAsync(DataDirectory));
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"`LearnHub.Server {string.Join(' ', arguments)}` exited with {exitCode}:\n{output}");
        }
        return output.Trim();
    }

    /// <summary>Starts the server and returns once grpc.health.v1 answers SERVING.</summary>
    /// <param name="settings">More `--Key=value` settings; a later one overrides an earlier one of the same key.</param>
    public async Task StartAsync(params string[] settings)
    {
        var (grpcPort, webPort) = LoopbackPorts.FreePair();
        GrpcAddress = $"127.0.0.1:{grpcPort}";
        WebAddress = $"http://127.0.0.1:{webPort}";
        var child = server = ChildProcess.Start("dotnet",
        [
            ServerDll,
            $"--Storage:DataDirectory={DataDirectory}",
            "--Storage:SeedDemoData=false",
            $"--Kestrel:Endpoints:Grpc:Url=http://127.0.0.1:{grpcPort}",
            $"--Kestrel:Endpoints:Web:Url=http://127.0.0.1:{webPort}",
            .. settings,
        ], ServerFolder, await TestStore.EnvironmentForAsync(DataDirectory));

        using var channel = GrpcChannel.ForAddress($"http://{GrpcAddress}");
        var health = new Health.HealthClient(channel);
        try
        {
            await Wait.UntilAsync(
                async () =>
                {
                    if (child.HasExited)
                    {
                        throw new InvalidOperationException($"The server exited with {child.ExitCode} while starting:\n{child.Output}");
                    }
                    try
                    {
                        var reply = await health.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(2));
                        return reply.Status;
                    }
                    catch (RpcException)
                    {
                        return HealthCheckResponse.Types.ServingStatus.Unknown;
                    }
                },
                status => status == HealthCheckResponse.Types.ServingStatus.Serving,
                StartDeadline,
                "grpc.health.v1 SERVING");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"The server on {GrpcAddress} did not serve within {StartDeadline}. Its output:\n{child.Output}", e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (server is not null)
        {
            await server.DisposeAsync();
        }
        await TestStore.ForgetAsync(DataDirectory);
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Left in the temp folder; nothing holds it once the process is gone.
        }
    }
}
