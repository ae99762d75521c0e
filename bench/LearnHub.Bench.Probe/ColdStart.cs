using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace LearnHub.Bench.Probe;

/// <summary>
/// Cold start to serving: the clock starts just before the server process is spawned and stops at the first
/// grpc.health.v1 Check answering SERVING (the health check includes the database). "fresh" runs get a new data
/// folder each time (migrations and demo seed included); "existing" runs reuse one folder a previous run created.
/// </summary>
public static class ColdStart
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromSeconds(60);
    private static Process? running;
    private static DirectoryInfo? workFolder;

    public static async Task<int> RunAsync(string serverDll, string[] options)
    {
        var runs = 5;
        string? cpus = null;
        for (var i = 0; i + 1 < options.Length; i += 2)
        {
            switch (options[i])
            {
                case "--runs":
                    runs = int.Parse(options[i + 1], CultureInfo.InvariantCulture);
                    break;
                case "--cpus":
                    cpus = options[i + 1];
                    break;
                default:
                    Console.Error.WriteLine($"unknown option {options[i]}");
                    return 2;
            }
        }
        serverDll = Path.GetFullPath(serverDll);
        // The server must not outlive this process, whichever way it ends.
        var root = Directory.CreateTempSubdirectory("learnhub-coldstart-");
        workFolder = root;
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => CleanUp());
        using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => CleanUp());
        AppDomain.CurrentDomain.ProcessExit += (_, _) => CleanUp();

        try
        {
            var fresh = new List<double>();
            var existing = new List<double>();
            var existingDir = Path.Combine(root.FullName, "existing");
            // Untimed: warms the OS file cache for the binaries and creates the folder the "existing" runs reuse.
            await TimeOneAsync(serverDll, existingDir, cpus, "warm-up");
            for (var run = 1; run <= runs; run++)
            {
                fresh.Add(await TimeOneAsync(serverDll, Path.Combine(root.FullName, $"fresh-{run}"), cpus, $"fresh {run}"));
                existing.Add(await TimeOneAsync(serverDll, existingDir, cpus, $"existing {run}"));
            }
            Report("fresh data folder", fresh);
            Report("existing data folder", existing);
            return 0;
        }
        finally
        {
            CleanUp();
        }
    }

    /// <summary>Also runs on SIGTERM/SIGINT, after which the process exits without reaching its finally blocks.</summary>
    private static void CleanUp()
    {
        KillRunning();
        try
        {
            workFolder?.Refresh();
            if (workFolder is { Exists: true })
            {
                workFolder.Delete(recursive: true);
            }
        }
        catch (IOException)
        {
            // A server still closing its files; the folder is under the temp directory.
        }
    }

    public static async Task<int> WaitHealthyAsync(Uri url, TimeSpan timeout)
    {
        using var channel = CreateChannel(url);
        var health = new Health.HealthClient(channel);
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (await IsServingAsync(health))
            {
                return 0;
            }
            await Task.Delay(PollInterval);
        }
        Console.Error.WriteLine($"{url}: not SERVING after {timeout.TotalSeconds} s");
        return 1;
    }

    private static GrpcChannel CreateChannel(Uri url) => GrpcChannel.ForAddress(url, new GrpcChannelOptions
    {
        HttpHandler = new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(1) },
    });

    private static async Task<bool> IsServingAsync(Health.HealthClient health)
    {
        try
        {
            var reply = await health.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(2));
            return reply.Status == HealthCheckResponse.Types.ServingStatus.Serving;
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Internal)
        {
            // Not listening yet.
            return false;
        }
    }

    private static async Task<double> TimeOneAsync(string serverDll, string dataDir, string? cpus, string label)
    {
        var grpcPort = FreePort();
        var webPort = FreePort();
        var serverArgs = new List<string>
        {
            serverDll,
            $"--Kestrel:Endpoints:Grpc:Url=http://127.0.0.1:{grpcPort}",
            $"--Kestrel:Endpoints:Web:Url=http://127.0.0.1:{webPort}",
            $"--Storage:DataDirectory={dataDir}",
            "--Storage:SeedDemoData=true",
        };
        var start = cpus is null
            ? new ProcessStartInfo("dotnet", serverArgs)
            : new ProcessStartInfo("taskset", ["-c", cpus, "dotnet", .. serverArgs]);
        // appsettings.json is read from the content root, i.e. the working directory.
        start.WorkingDirectory = Path.GetDirectoryName(serverDll)!;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();

        using var channel = CreateChannel(new Uri($"http://127.0.0.1:{grpcPort}"));
        var health = new Health.HealthClient(channel);

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the server");
        running = process;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { log.Enqueue(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { log.Enqueue(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            while (!await IsServingAsync(health))
            {
                if (process.HasExited || clock.Elapsed > GiveUpAfter)
                {
                    throw new InvalidOperationException($"{label}: no SERVING after {clock.Elapsed.TotalSeconds:F1} s; server log:\n{string.Join('\n', log)}");
                }
                await Task.Delay(PollInterval);
            }
            var seconds = clock.Elapsed.TotalSeconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{label,-12} {seconds:F3} s"));
            return seconds;
        }
        finally
        {
            await StopAsync(process);
            running = null;
        }
    }

    /// <summary>SIGTERM first so SQLite and Quartz shut down cleanly (the next "existing" run starts from a tidy folder).</summary>
    private static async Task StopAsync(Process process)
    {
        if (process.HasExited)
        {
            return;
        }
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await process.WaitForExitAsync(grace.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
        }
    }

    private static void KillRunning()
    {
        try
        {
            if (running is { HasExited: false } process)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void Report(string what, List<double> seconds)
    {
        var sorted = seconds.Order().ToList();
        var median = sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{what}: runs {sorted.Count}, min {sorted[0]:F3} s, median {median:F3} s, max {sorted[^1]:F3} s"));
    }
}
