using System.Diagnostics;
using System.Globalization;
using LearnHub.Api.Live;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace LearnHub.Bench.Watch;

/// <summary>One push seen by the dashboard: when it arrived (wall clock, UTC ticks), the count and its sequence.</summary>
public readonly record struct DashboardEvent(long ArrivedTicks, int Viewers, long Sequence);

/// <summary>
/// The admin dashboard's side: a Microsoft.AspNetCore.SignalR.Client connection to /hubs/live that joins one session's
/// group and prints every ViewerCountChanged with its arrival time. It runs as its own process so that its handler is
/// not queued behind the load generator's 20,000 stream reads (both processes share the load core).
/// </summary>
public static class DashboardClient
{
    public static async Task<int> RunAsync(Uri web, string token, string sessionId)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(web, LiveHub.Path), o =>
            {
                o.AccessTokenProvider = () => Task.FromResult<string?>(token);
                o.Transports = HttpTransportType.WebSockets;
                o.SkipNegotiation = true;
            })
            .WithStatefulReconnect()
            .Build();
        var output = Console.Out;
        connection.On<ViewerCountChange>(LiveHub.Events.ViewerCountChanged, change =>
        {
            var arrived = DateTime.UtcNow.Ticks;
            if (change.SessionId == sessionId)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"count {arrived} {change.Viewers} {change.Sequence}"));
            }
        });
        connection.Closed += e =>
        {
            output.WriteLine("closed " + (e?.Message ?? "-").ReplaceLineEndings(" "));
            return Task.CompletedTask;
        };
        await connection.StartAsync();
        var view = await connection.InvokeAsync<LiveSessionView>(LiveHub.Methods.WatchSession, sessionId);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ready {view.Viewers} {view.Status}"));
        // The parent closes our stdin when it is done.
        while (await Console.In.ReadLineAsync() is not null)
        {
        }
        await connection.DisposeAsync();
        return 0;
    }
}

/// <summary>The load process's view of the dashboard child: its pushes, and waits for a given count.</summary>
public sealed class DashboardFeed : IAsyncDisposable
{
    private readonly Process process;
    private readonly List<DashboardEvent> events = [];
    private readonly Lock gate = new();
    private TaskCompletionSource changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task reading;

    private DashboardFeed(Process process)
    {
        this.process = process;
        reading = Task.Run(ReadAsync);
    }

    public int ReadyViewers { get; private set; } = -1;

    public string? ClosedReason { get; private set; }

    public static async Task<DashboardFeed> StartAsync(Uri web, string token, string sessionId)
    {
        var self = typeof(DashboardFeed).Assembly.Location;
        var start = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { self, "dashboard", web.ToString(), token, sessionId })
        {
            start.ArgumentList.Add(arg);
        }
        var feed = new DashboardFeed(Process.Start(start) ?? throw new InvalidOperationException("could not start the dashboard client"));
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (feed.ReadyViewers < 0)
        {
            if (DateTime.UtcNow > until || feed.process.HasExited)
            {
                throw new InvalidOperationException("the dashboard client did not connect: " + feed.ClosedReason);
            }
            await feed.WaitChangeAsync(TimeSpan.FromMilliseconds(200));
        }
        return feed;
    }

    public int Count
    {
        get
        {
            lock (gate)
            {
                return events.Count;
            }
        }
    }

    public int LatestViewers
    {
        get
        {
            lock (gate)
            {
                return events.Count == 0 ? ReadyViewers : events[^1].Viewers;
            }
        }
    }

    public List<DashboardEvent> Since(int index)
    {
        lock (gate)
        {
            return events.Skip(index).ToList();
        }
    }

    /// <summary>The first push from index <paramref name="fromIndex"/> on whose count is <paramref name="viewers"/>.</summary>
    public async Task<DashboardEvent?> WaitForAsync(int viewers, int fromIndex, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            Task next;
            lock (gate)
            {
                for (var i = fromIndex; i < events.Count; i++)
                {
                    if (events[i].Viewers == viewers)
                    {
                        return events[i];
                    }
                }
                fromIndex = events.Count;
                next = changed.Task;
            }
            var left = until - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                return null;
            }
            await Task.WhenAny(next, Task.Delay(left));
        }
    }

    private async Task WaitChangeAsync(TimeSpan timeout)
    {
        Task next;
        lock (gate)
        {
            next = changed.Task;
        }
        await Task.WhenAny(next, Task.Delay(timeout));
    }

    private async Task ReadAsync()
    {
        while (await process.StandardOutput.ReadLineAsync() is { } line)
        {
            var parts = line.Split(' ');
            TaskCompletionSource wake;
            lock (gate)
            {
                switch (parts[0])
                {
                    case "count":
                        events.Add(new DashboardEvent(long.Parse(parts[1], CultureInfo.InvariantCulture), int.Parse(parts[2], CultureInfo.InvariantCulture), long.Parse(parts[3], CultureInfo.InvariantCulture)));
                        break;
                    case "ready":
                        ReadyViewers = int.Parse(parts[1], CultureInfo.InvariantCulture);
                        break;
                    default:
                        ClosedReason = line;
                        break;
                }
                wake = changed;
                changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            wake.TrySetResult();
        }
        ClosedReason ??= "exited";
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            process.StandardInput.Close();
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
        }
        await reading;
        process.Dispose();
    }
}
