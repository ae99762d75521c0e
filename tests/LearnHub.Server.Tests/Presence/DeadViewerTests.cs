using System.Diagnostics;
using System.Text.Json;
using Grpc.Net.Client;
using LearnHub.Api.V1;
using LearnHub.Server.Tests.Interop;

namespace LearnHub.Server.Tests.Presence;

/// <summary>
/// Viewers who leave without a word are dropped from the count, against the real server process: a vanished
/// connection by HTTP/2 keepalive pings, a cancelled call at once.
/// </summary>
public sealed class DeadViewerTests(ITestOutputHelper output)
{
    /// <summary>Generous for a loaded 2-core machine: with 1 s + 5 s pings the server reaps in about 6–7 s.</summary>
    private static readonly TimeSpan ReapDeadline = TimeSpan.FromSeconds(30);

    /// <summary>Well under the default 30 s ping delay: only the cancellation itself can explain a leave this fast.</summary>
    private static readonly TimeSpan LeaveDeadline = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan PushDeadline = TimeSpan.FromSeconds(15);

    /// <summary>The bound: a vanished viewer leaves the count within 90 s.</summary>
    private static readonly TimeSpan VanishedViewerBound = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task A_viewer_whose_connection_goes_silent_leaves_the_count_once_keepalive_pings_go_unanswered()
    {
        await using var live = await LiveServer.StartAsync(
            "--Kestrel:Limits:Http2:KeepAlivePingDelay=00:00:01",
            // Every connection is pinged, the dashboard's too: a test process starved of CPU for longer than this
            // (browser tests run beside these) would lose its own stream. 2 s was once too short.
            "--Kestrel:Limits:Http2:KeepAlivePingTimeout=00:00:05");
        // The instructor's own watch stream is the dashboard here: it counts as one and receives every count push.
        await using var dashboard = WatchFeed.Open(live.Presence(live.InstructorToken), live.SessionId);
        await dashboard.UntilAsync(s => s is { Status: SessionStatus.Live, Watching: 1 }, PushDeadline, "Live with the instructor watching");

        await using var relay = TcpRelay.Start(live.Server.GrpcAddress);
        using var relayedChannel = GrpcChannel.ForAddress($"http://{relay.Address}");
        await using var viewer = WatchFeed.Open(new PresenceService.PresenceServiceClient(LiveServer.Authorized(relayedChannel, live.ViewerToken)), live.SessionId);
        await viewer.UntilAsync(s => s.Watching == 2, PushDeadline, "the viewer's snapshot counting both");
        await dashboard.UntilAsync(s => s.Watching == 2, PushDeadline, "2 watching after the viewer joined through the relay");

        relay.GoSilent();
        var silentFor = Stopwatch.StartNew();

        await dashboard.UntilAsync(s => s.Watching == 1, ReapDeadline, "back to 1 after the relayed viewer went silent");
        output.WriteLine($"The silent viewer left the count after {silentFor.Elapsed.TotalSeconds:0.0} s.");
        Assert.Equal(1, (await live.StatsAsync()).CurrentViewers);
    }

    [Fact]
    public async Task A_viewer_who_cancels_the_call_leaves_the_count_at_once()
    {
        // Default keepalive (30 s + 30 s): pings cannot be what removes the viewer within the deadline.
        await using var live = await LiveServer.StartAsync();
        await using var dashboard = WatchFeed.Open(live.Presence(live.InstructorToken), live.SessionId);
        await dashboard.UntilAsync(s => s is { Status: SessionStatus.Live, Watching: 1 }, PushDeadline, "Live with the instructor watching");
        await using var viewer = WatchFeed.Open(live.Presence(live.ViewerToken), live.SessionId);
        await dashboard.UntilAsync(s => s.Watching == 2, PushDeadline, "2 watching after the viewer joined");
        Assert.Equal(2, (await live.StatsAsync()).CurrentViewers);

        viewer.Leave();
        var cancelledFor = Stopwatch.StartNew();

        await dashboard.UntilAsync(s => s.Watching == 1, LeaveDeadline, "back to 1 after the viewer cancelled");
        output.WriteLine($"The cancelled viewer left the count after {cancelledFor.Elapsed.TotalMilliseconds:0} ms.");
        Assert.Equal(1, (await live.StatsAsync()).CurrentViewers);
    }

    [Fact]
    public void The_shipped_keepalive_settings_drop_a_vanished_viewer_within_90_seconds()
    {
        // The appsettings.json the server runs with: copied beside LearnHub.Server.dll in this test's output.
        var path = Path.Combine(Path.GetDirectoryName(ServerChildProcess.ServerDll)!, "appsettings.json");
        using var settings = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        var http2 = settings.RootElement.GetProperty("Kestrel").GetProperty("Limits").GetProperty("Http2");
        var delay = TimeSpan.Parse(http2.GetProperty("KeepAlivePingDelay").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        var timeout = TimeSpan.Parse(http2.GetProperty("KeepAlivePingTimeout").GetString()!, System.Globalization.CultureInfo.InvariantCulture);

        // Kestrel's defaults are no pings at all (TimeSpan.MaxValue): both must be set, and their sum is the worst case.
        Assert.InRange(delay, TimeSpan.FromSeconds(1), VanishedViewerBound);
        Assert.InRange(timeout, TimeSpan.FromSeconds(1), VanishedViewerBound);
        Assert.True(delay + timeout <= VanishedViewerBound, $"KeepAlivePingDelay {delay} + KeepAlivePingTimeout {timeout} exceeds {VanishedViewerBound}.");
    }
}
