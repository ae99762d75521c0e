using Grpc.Core;
using Google.Protobuf;
using LearnHub.Api.V1;
using LearnHub.Server.Tests.Broadcasts;
using LearnHub.Server.Tests.Infrastructure;
using LearnHub.Server.Tests.Presence;
using Microsoft.Extensions.Time.Testing;

namespace LearnHub.Server.Tests.Telemetry;

/// <summary>
/// What an operator's Prometheus sees: the scrape endpoint on the web side, anonymous, with the gRPC duration histogram
/// and every learnhub.* instrument moving after the calls and scheduler steps that feed it.
/// </summary>
[Collection(TelemetryCollection.Name)]
public sealed class MetricsEndpointTests
{
    /// <summary>
    /// Every family the product exports without RTMP ingest, as Prometheus names them (docs/operations.md, "Metrics and
    /// traces"); the ingest counters are <see cref="IngestMetricsTests"/>'.
    /// </summary>
    private static readonly string[] LearnHubFamilies =
    [
        "learnhub_watch_streams",
        "learnhub_watch_viewers",
        "learnhub_scheduler_lateness_seconds_count",
        "learnhub_scheduler_lateness_seconds_sum",
        "learnhub_scheduler_lateness_seconds_bucket",
        "learnhub_broadcast_quota_decisions_total",
        "learnhub_review_queue_depth",
        "learnhub_review_queue_oldest_age_seconds",
        "learnhub_broadcasts_delivered_total",
        "learnhub_hub_connections",
        "learnhub_rate_limit_refusals_total",
    ];

    private const string PingMethod = "rpc_method=\"/learnhub.v1.DiagnosticsService/Ping\"";

    [Fact]
    public async Task A_scrape_after_real_calls_shows_the_grpc_histogram_and_every_learnhub_series_moving()
    {
        await using var app = await LearnHubApp.StartAsync(
            new Dictionary<string, string?>
            {
                // One user's read bucket is small, so a burst of Pings meets the limiter; every other user stays far below it.
                ["RateLimits:ReadBurst"] = "20",
                ["RateLimits:ReadsPerSecond"] = "1",
                ["Telemetry:ReviewQueueReadInterval"] = "00:00:01",
            },
            clock: new FakeTimeProvider(Scenario.Start) { AutoAdvanceAmount = TimeSpan.Zero });
        // Tokens are checked against the wall clock: every user before the fake clock moves.
        var instructor = await app.CreateUserAsync("laoshi", "instructor");
        var viewer = await app.CreateUserAsync("xiaowang");
        var creator = await app.CreateUserAsync("wanhongcoco", "instructor");
        var reviewer = await app.CreateUserAsync("shenhe", "reviewer");
        var follower = await app.CreateUserAsync("fensi");
        var flooder = await app.CreateUserAsync("shuaping");
        await app.CertifyAsync(creator);
        using var web = app.CreateWebClient();

        var before = await Scrape.GetAsync(web);

        // A scheduler step that fires five minutes late: the clock jumps past the reminder's due time.
        var later = await creator.ScheduleAsync(app.Now().AddMinutes(60));
        await viewer.ReserveAsync(later.Id);
        await app.AdvanceAsync(TimeSpan.FromMinutes(50));

        // Watching a live session; a dashboard on the hub.
        var live = await instructor.LiveSessionAsync();
        await using var watcher = await Watcher.OpenAsync(viewer, live.Id);
        await using var dashboard = await Dashboard.ConnectAsync(instructor);

        // The quota: frozen twice, consumed, refused, returned, frozen again and left waiting for review.
        await follower.Follows.FollowAsync(new FollowRequest { CreatorId = creator.Id });
        var first = await creator.SubmitTextAsync("经济基础第19章考点梳理，今晚19:30直播");
        var second = await creator.SubmitTextAsync("第二条");
        await reviewer.BroadcastApi().ApproveBroadcastAsync(new ApproveBroadcastRequest { BroadcastId = first.Id });
        var refused = await Assert.ThrowsAsync<RpcException>(() => creator.SubmitTextAsync("第三条"));
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        await creator.BroadcastApi().WithdrawBroadcastAsync(new WithdrawBroadcastRequest { BroadcastId = second.Id });
        await creator.SubmitTextAsync("等待审核");
        // Delivery on sign-in.
        var summary = await follower.Inbox.CheckInAsync(new CheckInRequest());
        Assert.Equal(1, summary.NewlyReceived);

        // Pings: answered, then refused by the read limiter.
        var diagnostics = new DiagnosticsService.DiagnosticsServiceClient(app.Invoker(flooder.Token));
        await diagnostics.PingAsync(new PingRequest());
        var limited = await Wait.UntilAsync(
            async () =>
            {
                try
                {
                    await diagnostics.PingAsync(new PingRequest());
                    return StatusCode.OK;
                }
                catch (RpcException e)
                {
                    return e.StatusCode;
                }
            },
            code => code != StatusCode.OK,
            what: "a Ping refused by the rate limiter");
        Assert.Equal(StatusCode.ResourceExhausted, limited);

        // A call to a method no service has: counted, under a label callers cannot vary.
        var nowhere = new Method<PingRequest, PingRequest>(MethodType.Unary, "learnhub.v1.NoSuchService", "Anything",
            Marshallers.Create(m => m.ToByteArray(), PingRequest.Parser.ParseFrom), Marshallers.Create(m => m.ToByteArray(), PingRequest.Parser.ParseFrom));
        var unimplemented = await Assert.ThrowsAsync<RpcException>(() => app.Invoker(viewer.Token).AsyncUnaryCall(nowhere, null, default, new PingRequest()).ResponseAsync);
        Assert.Equal(StatusCode.Unimplemented, unimplemented.StatusCode);

        // A web request (the console's sign-in page): in http.server.request.duration, by method, route and status.
        Assert.True((await web.GetAsync(new Uri("/account/login", UriKind.Relative), TestContext.Current.CancellationToken)).IsSuccessStatusCode);

        // The review queue's gauges read the store at most once a second of the (fake) clock.
        app.Clock.Advance(TimeSpan.FromSeconds(2));
        var after = await Scrape.GetAsync(web);

        Assert.True(after.Sum("rpc_server_call_duration_seconds_count", PingMethod, "rpc_grpc_status_code=\"0\"") > before.Sum("rpc_server_call_duration_seconds_count", PingMethod, "rpc_grpc_status_code=\"0\""), after.Text);
        Assert.True(after.Has("rpc_server_call_duration_seconds_bucket", PingMethod, "rpc_grpc_status_code=\"8\""), "the refused Pings are labelled RESOURCE_EXHAUSTED");
        // A gRPC call is measured once, by its own histogram, not also as an HTTP request (POST 200 says nothing of it).
        Assert.False(after.Has("http_server_request_duration_seconds_count", "http_route=\"/learnhub.v1.DiagnosticsService/Ping\""), after.Text);
        const string SignInPage = "http_route=\"/account/login\"";
        Assert.Equal(1, after.Sum("http_server_request_duration_seconds_count", SignInPage, "http_request_method=\"GET\"", "http_response_status_code=\"200\"")
            - before.Sum("http_server_request_duration_seconds_count", SignInPage));
        Assert.False(after.Has("http_server_request_duration_seconds_count", "http_route=\"/metrics\""), "scrapes are not counted");

        Assert.Equal((0, 1), (before.Sum("learnhub_watch_streams"), after.Sum("learnhub_watch_streams")));
        Assert.Equal((0, 1), (before.Sum("learnhub_watch_viewers"), after.Sum("learnhub_watch_viewers")));
        Assert.Equal((0, 1), (before.Sum("learnhub_hub_connections"), after.Sum("learnhub_hub_connections")));

        const string Reminder = "step=\"reminder\"";
        Assert.Equal(0, before.Sum("learnhub_scheduler_lateness_seconds_count", Reminder));
        Assert.Equal(1, after.Sum("learnhub_scheduler_lateness_seconds_count", Reminder));
        // Due at +45 min, run when the clock reached +50 min.
        Assert.InRange(after.Sum("learnhub_scheduler_lateness_seconds_sum", Reminder), 299, 301);
        Assert.Equal(0, after.Sum("learnhub_scheduler_lateness_seconds_bucket", Reminder, "le=\"120\""));
        Assert.Equal(1, after.Sum("learnhub_scheduler_lateness_seconds_bucket", Reminder, "le=\"300\""));

        foreach (var (outcome, count) in new[] { ("frozen", 3), ("consumed", 1), ("refused", 1), ("returned", 1) })
        {
            var label = $"outcome=\"{outcome}\"";
            Assert.Equal((0, count), (before.Sum("learnhub_broadcast_quota_decisions_total", label), after.Sum("learnhub_broadcast_quota_decisions_total", label)));
        }
        Assert.Equal((0, 1), (before.Sum("learnhub_review_queue_depth"), after.Sum("learnhub_review_queue_depth")));
        Assert.Equal(0, before.Sum("learnhub_review_queue_oldest_age_seconds"));
        Assert.True(after.Sum("learnhub_review_queue_oldest_age_seconds") is >= 1.5 and <= 2.5, after.Text);
        Assert.Equal((0, 1), (before.Sum("learnhub_broadcasts_delivered_total"), after.Sum("learnhub_broadcasts_delivered_total")));
        Assert.Equal(0, before.Sum("learnhub_rate_limit_refusals_total"));
        Assert.True(after.Sum("learnhub_rate_limit_refusals_total", "policy=\"per-user-reads\"") >= 1, after.Text);

        Assert.True(after.Has("rpc_server_call_duration_seconds_count", "rpc_method=\"_OTHER\"", "rpc_grpc_status_code=\"12\""), after.Text);
        Assert.DoesNotContain("NoSuchService", after.Text, StringComparison.Ordinal);

        // Nothing exported goes untested here: a new instrument joins the list above (and the docs).
        Assert.Equal(LearnHubFamilies.Order(StringComparer.Ordinal), after.Names.Where(n => n.StartsWith("learnhub_", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        // The shipped Grafana dashboard asks for series and labels this scrape has (names as Prometheus spells them).
        var grafana = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "monitoring", "grafana-dashboard.json"));
        using (System.Text.Json.JsonDocument.Parse(grafana))
        {
        }
        var asked = System.Text.RegularExpressions.Regex.Matches(grafana, @"\b(?:learnhub|http_server|rpc_server)_[a-z_]+\b").Select(m => m.Value).Distinct().ToList();
        Assert.NotEmpty(asked);
        Assert.All(asked, name => Assert.Contains(name, after.Names));
        foreach (var label in new[] { "rpc_grpc_status_code=", "rpc_method=", "step=", "policy=", "outcome=" })
        {
            Assert.Contains(label, after.Text, StringComparison.Ordinal);
        }

        // Labels stay bounded: no series names a session or a user.
        foreach (var id in new[] { live.Id, later.Id, instructor.Id, viewer.Id, creator.Id, flooder.Id })
        {
            Assert.DoesNotContain(id, after.Text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_watch_stream_is_measured_when_it_ends_for_as_long_as_it_was_open()
    {
        await using var app = await LearnHubApp.StartAsync();
        var instructor = await app.CreateUserAsync("laoshi", "instructor");
        var viewer = await app.CreateUserAsync("xiaowang");
        var live = await instructor.LiveSessionAsync();
        using var web = app.CreateWebClient();
        const string WatchMethod = "rpc_method=\"/learnhub.v1.PresenceService/WatchSession\"";

        var watcher = await Watcher.OpenAsync(viewer, live.Id);
        var open = System.Diagnostics.Stopwatch.StartNew();
        // Open: not yet a call that took some time.
        Assert.Equal(0, (await Scrape.GetAsync(web)).Sum("rpc_server_call_duration_seconds_count", WatchMethod));
        var openAtLeast = open.Elapsed.TotalSeconds;
        await watcher.DisposeAsync();

        var ended = await Wait.UntilAsync(() => Scrape.GetAsync(web), scrape => scrape.Sum("rpc_server_call_duration_seconds_count", WatchMethod) > 0,
            what: "the ended stream in rpc.server.call.duration");
        Assert.Equal(1, ended.Sum("rpc_server_call_duration_seconds_count", WatchMethod));
        Assert.True(ended.Sum("rpc_server_call_duration_seconds_sum", WatchMethod) >= openAtLeast, ended.Text);
    }

    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "LearnHub.sln")))
            {
                return folder.FullName;
            }
        }
        throw new InvalidOperationException("LearnHub.sln not found above " + AppContext.BaseDirectory);
    }

    [Theory]
    [InlineData("Telemetry:Metrics:Path", "")]
    [InlineData("Telemetry:Enabled", "false")]
    public async Task The_endpoint_can_be_turned_off(string key, string value)
    {
        await using var app = await LearnHubApp.StartAsync(new Dictionary<string, string?> { [key] = value });
        using var web = app.CreateWebClient();

        using var response = await web.GetAsync(new Uri("/metrics", UriKind.Relative));

        Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task The_endpoint_moves_to_the_configured_path_and_answers_only_on_the_configured_port()
    {
        await using var app = await LearnHubApp.StartAsync(new Dictionary<string, string?> { ["Telemetry:Metrics:Path"] = "/ops/metrics" });
        using var web = app.CreateWebClient();
        var scrape = await Scrape.GetAsync(web, "/ops/metrics");
        Assert.Contains("learnhub_watch_streams", scrape.Names);
        using (var old = await web.GetAsync(new Uri("/metrics", UriKind.Relative)))
        {
            Assert.Equal(System.Net.HttpStatusCode.NotFound, old.StatusCode);
        }

        // The in-process server has no port: a scrape endpoint bound to one port answers nothing there.
        await using var bound = await LearnHubApp.StartAsync(new Dictionary<string, string?>
        {
            ["Kestrel:Endpoints:Metrics:Url"] = "http://127.0.0.1:9464",
            ["Telemetry:Metrics:Port"] = "9464",
        });
        using var other = bound.CreateWebClient();
        using var response = await other.GetAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
    }
}
