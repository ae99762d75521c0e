using System.Net;
using LearnHub.Api.V1;
using LearnHub.Server.Tests.Infrastructure;
using LearnHub.Server.Tests.Ingest;
using Microsoft.Extensions.Time.Testing;

namespace LearnHub.Server.Tests.Telemetry;

/// <summary>
/// The ingest figures an operator watches, scraped after nginx's callbacks (posted as nginx posts them): every publish
/// counted once under what it came to, stops, streams lost after the reconnect grace, and refused callbacks.
/// </summary>
[Collection(TelemetryCollection.Name)]
public sealed class IngestMetricsTests
{
    private const string Publishes = "learnhub_ingest_publishes_total";

    [Fact]
    public async Task Each_publish_stop_lost_stream_and_refused_callback_is_counted_once_under_its_outcome()
    {
        await using var app = await LearnHubApp.StartAsync(
            IngestWorld.Settings("rtmp://127.0.0.1:1935/live", "https://live.example.com/hls"),
            clock: new FakeTimeProvider(Scenario.Start) { AutoAdvanceAmount = TimeSpan.Zero });
        var instructor = await app.CreateUserAsync("wanhong", "instructor");
        var first = await instructor.ScheduleAsync(app.Now() + TimeSpan.FromMinutes(5), minutes: 60);
        var next = await instructor.ScheduleAsync(first.PlannedEnd.ToDateTimeOffset(), minutes: 60, title: "经济基础第20章");
        var firstKey = (await instructor.Sessions.GetStreamKeyAsync(new GetStreamKeyRequest { SessionId = first.Id })).Key;
        var nextKey = (await instructor.Sessions.GetStreamKeyAsync(new GetStreamKeyRequest { SessionId = next.Id })).Key;
        using var web = app.CreateWebClient();
        async Task<HttpStatusCode> Post(string call, string key, string clientId, string secret = IngestWorld.Secret)
        {
            using var response = await web.PostAsync($"/ingest/rtmp/{call}?secret={Uri.EscapeDataString(secret)}", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["call"] = call.Replace("on_", "", StringComparison.Ordinal), ["app"] = "live", ["name"] = key, ["clientid"] = clientId, ["addr"] = "127.0.0.1",
            }));
            return response.StatusCode;
        }

        var before = await Scrape.GetAsync(web);

        // Refused before the key is read: a wrong secret, a form without the stream key.
        Assert.Equal(HttpStatusCode.Forbidden, await Post("on_publish", firstKey, "1", secret: "guessed-secret-0123456789"));
        using (var noKey = await web.PostAsync($"/ingest/rtmp/on_publish?secret={IngestWorld.Secret}", new FormUrlEncodedContent(new Dictionary<string, string> { ["clientid"] = "1" })))
        {
            Assert.Equal(HttpStatusCode.BadRequest, noKey.StatusCode);
        }
        Assert.Equal(HttpStatusCode.Forbidden, await Post("on_publish", "not-a-key-of-any-session", "1"));
        Assert.Equal(HttpStatusCode.Forbidden, await Post("on_publish", nextKey, "9")); // more than 30 minutes early

        Assert.Equal(HttpStatusCode.Found, await Post("on_publish", firstKey, "1"));
        Assert.Equal(HttpStatusCode.Found, await Post("on_publish", firstKey, "1"));
        Assert.Equal(HttpStatusCode.Forbidden, await Post("on_publish", firstKey, "2"));
        Assert.Equal(HttpStatusCode.OK, await Post("on_publish_done", firstKey, "1"));
        Assert.Equal(HttpStatusCode.OK, await Post("on_publish_done", firstKey, "1")); // the same stop again: not a second one
        Assert.Equal(HttpStatusCode.Forbidden, await Post("on_publish", firstKey, "1"));
        Assert.Equal(HttpStatusCode.Found, await Post("on_publish", firstKey, "3"));

        // Within the next session's window while the first is still on the air.
        await app.AdvanceAsync(next.PlannedStart.ToDateTimeOffset() - TimeSpan.FromMinutes(20) - app.Now());
        Assert.Equal(HttpStatusCode.Forbidden, await Post("on_publish", nextKey, "9"));

        // The stream stops and stays away past the grace: the session ends.
        Assert.Equal(HttpStatusCode.OK, await Post("on_publish_done", firstKey, "3"));
        await app.AdvanceAsync(TimeSpan.FromMinutes(6));
        Assert.Equal(SessionStatus.Ended, (await instructor.GetAsync(first.Id)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, await Post("on_publish", firstKey, "4"));

        var after = await Scrape.GetAsync(web);
        foreach (var (outcome, count) in new[]
        {
            ("went-live", 1), ("repeated", 1), ("already-receiving", 1), ("stopped-publisher", 1), ("resumed", 1),
            ("unknown-key", 1), ("outside-window", 1), ("instructor-busy", 1), ("session-over", 1),
        })
        {
            var label = $"outcome=\"{outcome}\"";
            Assert.Equal((outcome, 0d, (double)count), (outcome, before.Sum(Publishes, label), after.Sum(Publishes, label)));
        }
        Assert.Equal(9, after.Sum(Publishes));
        Assert.Equal((0d, 2d), (before.Sum("learnhub_ingest_stops_total"), after.Sum("learnhub_ingest_stops_total")));
        Assert.Equal((0d, 1d), (before.Sum("learnhub_ingest_lost_streams_total"), after.Sum("learnhub_ingest_lost_streams_total")));
        const string Refusals = "learnhub_ingest_callback_refusals_total";
        Assert.Equal((1d, 1d), (after.Sum(Refusals, "reason=\"forbidden\""), after.Sum(Refusals, "reason=\"malformed\"")));
        Assert.Equal(2, after.Sum(Refusals));
    }
}
