using LearnHub.Testing;
using System.Diagnostics;
using System.Text;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Health.V1;
using Grpc.Net.Client;
using LearnHub.Server.Tests.Infrastructure;

namespace LearnHub.Server.Tests.Durability;

/// <summary>
/// The built server (LearnHub.Server.dll, copied into the test output by the project reference) run as a child
/// process with <c>dotnet</c>, on loopback ports of its own and a given data folder. Dispose kills it.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private static readonly TimeSpan ReadyDeadline = TimeSpan.FromSeconds(30);

    private readonly Process process;
    private readonly StringBuilder output;

    private ServerProcess(Process process, StringBuilder output, int grpcPort, int webPort)
    {
        this.process = process;
        this.output = output;
        Channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}");
        WebAddress = new Uri($"http://127.0.0.1:{webPort}");
    }

    public GrpcChannel Channel { get; }

    /// <summary>The HTTP/1 endpoint: admin pages, calendar feeds and the SignalR hub.</summary>
    public Uri WebAddress { get; }

    /// <summary>What the process wrote so far (stdout and stderr), for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    public static string ServerDll => Path.Combine(AppContext.BaseDirectory, "LearnHub.Server.dll");

    /// <summary>Starts the server and returns once its gRPC health check answers SERVING.</summary>
    public static async Task<ServerProcess> StartAsync(string dataDirectory, params string[] settings)
    {
        var (grpcPort, webPort) = LoopbackPorts.FreePair();
        var output = new StringBuilder();
        var process = Launch(output, output, await TestStore.EnvironmentForAsync(dataDirectory),
        [
            ServerDll,
            $"--Storage:DataDirectory={dataDirectory}",
            "--Storage:SeedDemoData=false",
            $"--Kestrel:Endpoints:Grpc:Url=http://127.0.0.1:{grpcPort}",
            "--Kestrel:Endpoints:Grpc:Protocols=Http2",
            $"--Kestrel:Endpoints:Web:Url=http://127.0.0.1:{webPort}",
            "--Kestrel:Endpoints:Web:Protocols=Http1",
            "--Logging:LogLevel:Default=Warning",
            .. settings,
        ]);
        var server = new ServerProcess(process, output, grpcPort, webPort);
        try
        {
            await server.WaitUntilServingAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Runs the server's operator command line (<c>user add</c>, <c>token</c>) to completion; returns its stdout.</summary>
    public static async Task<string> RunCliAsync(params string[] args)
    {
        var output = new StringBuilder();
        var errors = new StringBuilder();
        var dataDirectory = args.SkipWhile(a => a != "--data-dir").Skip(1).FirstOrDefault();
        var environment = dataDirectory is null ? new Dictionary<string, string>() : await TestStore.EnvironmentForAsync(dataDirectory);
        using var process = Launch(output, errors, environment, [ServerDll, .. args]);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"CLI {string.Join(' ', args)} did not finish: {output}{errors}");
        }
        process.WaitForExit(); // drains the redirected streams
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"CLI {string.Join(' ', args)} exited {process.ExitCode}: {output}{errors}");
        }
        lock (output)
        {
            return output.ToString().Trim();
        }
    }

    /// <summary>A call invoker that sends <paramref name="token"/> as the bearer token.</summary>
    public CallInvoker Invoker(string token) => Channel.Intercept(metadata =>
    {
        metadata.Add("authorization", $"Bearer {token}");
        return metadata;
    });

    /// <summary>
    /// A graceful stop, as systemd or Ctrl+C asks for one (SIGTERM); returns how long the process took to exit, or
    /// throws when it outlived <paramref name="deadline"/>.
    /// </summary>
    public async Task<TimeSpan> TerminateAsync(TimeSpan deadline)
    {
        var started = Stopwatch.GetTimestamp();
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }
        using var limit = new CancellationTokenSource(deadline);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"The server was still running {deadline.TotalSeconds} s after SIGTERM:\n{Output}");
        }
        return Stopwatch.GetElapsedTime(started);
    }

    /// <summary>kill -9: Process.Kill sends SIGKILL on Linux, so nothing in the server gets to clean up.</summary>
    public async Task KillAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }
        await process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        try
        {
            await KillAsync();
        }
        finally
        {
            process.Dispose();
        }
    }

    private async Task WaitUntilServingAsync()
    {
        var health = new Health.HealthClient(Channel);
        async Task<bool> ServingAsync()
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The server exited with {process.ExitCode} before serving:\n{Output}");
            }
            try
            {
                var reply = await health.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(1));
                return reply.Status == HealthCheckResponse.Types.ServingStatus.Serving;
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded)
            {
                return false; // not listening yet
            }
        }

        try
        {
            await Wait.UntilAsync(ServingAsync, serving => serving, ReadyDeadline, "the server's health check");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\n{Output}", e);
        }
    }

    private static Process Launch(StringBuilder output, StringBuilder errors, IReadOnlyDictionary<string, string> environment, IEnumerable<string> args)
    {
        if (!File.Exists(ServerDll))
        {
            throw new FileNotFoundException("The server is copied into the test output by the project reference; build the test project first.", ServerDll);
        }
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            // appsettings.json beside the dll is read from the content root, the working directory.
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment.Remove("ASPNETCORE_URLS");
        start.Environment.Remove("DOTNET_URLS");
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(errors, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (output)
        {
            output.AppendLine(line);
        }
    }
}
