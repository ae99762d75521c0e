using System.Net;
using LearnHub.Api.V1;
using LearnHub.Server.Tests.Infrastructure;
using LearnHub.Server.Tests.ScaleOut;
using LearnHub.Server.Sessions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Quartz;

namespace LearnHub.Server.Tests.Ingest;

/// <summary>
/// nginx's publish callbacks posted directly, as a replaying proxy, a late delivery or a stranger would: only the
/// first delivery of a real callback changes anything. Runs on the test's store.
/// </summary>
public sealed class IngestCallbackTests
{
    private const string RtmpUrl = "rtmp://127.0.0.1:1935/live";

    [Fact]
    public async Task Replayed_late_and_foreign_callbacks_change_nothing()
    {
        await using var app = await LearnHubApp.StartAsync(IngestWorld.Settings(RtmpUrl, "https://live.example.com/hls"), clock: new FakeTimeProvider(Scenario.Start) { AutoAdvanceAmount = TimeSpan.Zero });
        var instructor = await app.CreateUserAsync("wanhong", "instructor");
        var viewer = await app.CreateUserAsync("xiaowang");
        var session = await instructor.ScheduleAsync(app.Now() + TimeSpan.FromMinutes(5));
        await viewer.ReserveAsync(session.Id);
        var key = (await instructor.Sessions.GetStreamKeyAsync(new GetStreamKeyRequest { SessionId = session.Id })).Key;
        using var web = app.CreateWebClient();
        async Task<HttpResponseMessage> Post(string call, string clientId, string name = "", string secret = IngestWorld.Secret) =>
            await web.PostAsync($"/ingest/rtmp/{call}?secret={Uri.EscapeDataString(secret)}", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["call"] = call.Replace("on_", "", StringComparison.Ordinal), ["app"] = "live", ["name"] = name.Length > 0 ? name : key,
                ["clientid"] = clientId, ["addr"] = "127.0.0.1",
            }));
        async Task<Session> Now() => await instructor.GetAsync(session.Id);

        // A stranger: wrong secret, no secret, or not a form. Nothing moves.
        Assert.Equal(HttpStatusCode.Forbidden, (await Post("on_publish", "1", secret: "guessed-secret-0123456789")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await web.PostAsync("/ingest/rtmp/on_publish", new FormUrlEncodedContent(new Dictionary<string, string> { ["name"] = key, ["clientid"] = "1" }))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await web.PostAsync($"/ingest/rtmp/on_publish?secret={IngestWorld.Secret}", new StringContent(key))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await web.PostAsync($"/ingest/rtmp/on_publish?secret={IngestWorld.Secret}", new FormUrlEncodedContent(new Dictionary<string, string> { ["name"] = key }))).StatusCode);
        // A publish_done before any publish (out of order) is nothing either.
        Assert.Equal(HttpStatusCode.OK, (await Post("on_publish_done", "1")).StatusCode);
        Assert.Equal((SessionStatus.Scheduled, session.Version), ((await Now()).Status, (await Now()).Version));

        // The publish of client 1, then the same callback again (a replay, or nginx's retry): one go-live.
        var accepted = await Post("on_publish", "1");
        Assert.Equal((HttpStatusCode.Found, session.Id), (accepted.StatusCode, accepted.Headers.Location?.OriginalString));
        var live = await Now();
        Assert.Equal((SessionStatus.Live, IngestState.Receiving, "https://live.example.com/hls/" + session.Id + ".m3u8"), (live.Status, live.IngestState, live.PlaybackUrl));
        Assert.Equal(HttpStatusCode.Found, (await Post("on_publish", "1")).StatusCode);
        Assert.Equal(live, await Now());

        // A second publisher while one is received is refused; its publish_done is nobody's.
        Assert.Equal(HttpStatusCode.Forbidden, (await Post("on_publish", "2")).StatusCode);
        await Post("on_publish_done", "2");
        Assert.Equal(live, await Now());

        // Client 1 stops: the grace. Its publish_done again, or its publish replayed, change nothing.
        await Post("on_publish_done", "1");
        var grace = await Now();
        Assert.Equal((SessionStatus.Live, IngestState.ReconnectGrace), (grace.Status, grace.IngestState));
        Assert.Equal(app.Now() + TimeSpan.FromMinutes(5), grace.IngestGraceEnd.ToDateTimeOffset());
        await Post("on_publish_done", "1");
        Assert.Equal(HttpStatusCode.Forbidden, (await Post("on_publish", "1")).StatusCode);
        Assert.Equal(grace, await Now());

        // Client 3 comes back; client 1's late publish_done is not its stop.
        Assert.Equal(HttpStatusCode.Found, (await Post("on_publish", "3")).StatusCode);
        var back = await Now();
        Assert.Equal(IngestState.Receiving, back.IngestState);
        await Post("on_publish_done", "1");
        Assert.Equal(back, await Now());
        // Past the first grace's end: still live.
        await app.AdvanceAsync(TimeSpan.FromMinutes(6));
        Assert.Equal(SessionStatus.Live, (await Now()).Status);

        // After a rotation nginx reports the old key in publish_done: the stop is still the session's.
        await instructor.Sessions.RotateStreamKeyAsync(new RotateStreamKeyRequest { SessionId = session.Id });
        await Post("on_publish_done", "3", name: key);
        Assert.Equal(IngestState.ReconnectGrace, (await Now()).IngestState);
        await app.AdvanceAsync(TimeSpan.FromMinutes(5));
        Assert.Equal(SessionStatus.Ended, (await Now()).Status);
        // Over: nothing takes it live again.
        Assert.Equal(HttpStatusCode.Forbidden, (await Post("on_publish", "4")).StatusCode);
        Assert.Single(await viewer.NotificationsAsync(), n => n.SessionId == session.Id && n.Kind == NotificationKind.WentLive);
    }

    [Fact]
    public async Task A_grace_whose_scheduler_step_was_lost_still_ends_the_session()
    {
        await using var app = await LearnHubApp.StartAsync(IngestWorld.Settings(RtmpUrl), clock: new FakeTimeProvider(Scenario.Start) { AutoAdvanceAmount = TimeSpan.Zero });
        var instructor = await app.CreateUserAsync("wanhong", "instructor");
        var session = await instructor.ScheduleAsync(app.Now() + TimeSpan.FromMinutes(5));
        var key = (await instructor.Sessions.GetStreamKeyAsync(new GetStreamKeyRequest { SessionId = session.Id })).Key;
        using var web = app.CreateWebClient();
        foreach (var call in new[] { "on_publish", "on_publish_done" })
        {
            await web.PostAsync($"/ingest/rtmp/{call}?secret={IngestWorld.Secret}", new FormUrlEncodedContent(new Dictionary<string, string> { ["name"] = key, ["clientid"] = "1" }));
        }
        Assert.Equal(IngestState.ReconnectGrace, (await instructor.GetAsync(session.Id)).IngestState);
        // The step is gone, as after a job that met a full disk or a node killed while running it.
        var scheduler = await app.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();
        Assert.True(await scheduler.UnscheduleJob(SessionTriggers.TriggerKeyFor(session.Id, SessionStep.IngestGraceEnd)));

        app.Clock.Advance(TimeSpan.FromMinutes(5) + SessionTriggerReconciler.OverdueGrace + TimeSpan.FromSeconds(5));

        await Wait.UntilAsync(() => instructor.GetAsync(session.Id), s => s.Status == SessionStatus.Ended, what: "the overdue pass ending the session");
    }

    [Fact]
    public async Task Callbacks_from_outside_the_allow_list_are_refused()
    {
        var settings = IngestWorld.Settings(RtmpUrl);
        settings["Ingest:CallbackAllowedAddresses:0"] = "10.0.0.0/8";
        await using var app = await LearnHubApp.StartAsync(settings);
        var instructor = await app.CreateUserAsync("wanhong", "instructor");
        var session = await instructor.ScheduleAsync(app.Now() + TimeSpan.FromMinutes(5));
        var key = (await instructor.Sessions.GetStreamKeyAsync(new GetStreamKeyRequest { SessionId = session.Id })).Key;
        using var web = app.CreateWebClient();

        var response = await web.PostAsync($"/ingest/rtmp/on_publish?secret={IngestWorld.Secret}", new FormUrlEncodedContent(new Dictionary<string, string> { ["name"] = key, ["clientid"] = "1" }));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(SessionStatus.Scheduled, (await instructor.GetAsync(session.Id)).Status);
    }

    [Fact]
    public async Task The_same_publish_delivered_to_two_nodes_at_once_takes_the_session_live_once()
    {
        await using var nodes = await TwoNodes.StartAsync(IngestWorld.Settings(RtmpUrl));
        var instructor = await nodes.A.CreateUserAsync("wanhong", "instructor");
        var viewers = new[] { await nodes.A.CreateUserAsync("xiaowang"), await nodes.A.CreateUserAsync("xiaoli") };
        for (var round = 0; round < 5; round++)
        {
            var session = await instructor.ScheduleAsync(nodes.A.Now() + TimeSpan.FromMinutes(10));
            foreach (var viewer in viewers)
            {
                await viewer.ReserveAsync(session.Id);
            }
            var key = (await instructor.Sessions.GetStreamKeyAsync(new GetStreamKeyRequest { SessionId = session.Id })).Key;
            var before = (await instructor.GetAsync(session.Id)).Version;
            using var a = nodes.A.CreateWebClient();
            using var b = nodes.B.CreateWebClient();
            Task<HttpResponseMessage> Publish(HttpClient web) => web.PostAsync($"/ingest/rtmp/on_publish?secret={IngestWorld.Secret}",
                new FormUrlEncodedContent(new Dictionary<string, string> { ["call"] = "publish", ["name"] = key, ["clientid"] = "7" }));

            var answers = await Task.WhenAll(Publish(a), Publish(b));

            Assert.True(answers.All(r => r.StatusCode == HttpStatusCode.Found), $"answers {string.Join(", ", answers.Select(r => r.StatusCode))}\nA:\n{nodes.A.Logs.Describe()}\nB:\n{nodes.B.Logs.Describe()}");
            // Whichever node took it live, the other's read cache hears of it through the relay: within milliseconds.
            var live = await Wait.UntilAsync(() => instructor.GetAsync(session.Id), s => s.Status == SessionStatus.Live, what: "node A to see the session live");
            Assert.Equal(IngestState.Receiving, live.IngestState);
            // One go-live and one ingest write: the second delivery found the row receiving from the same client.
            Assert.Equal(before + 2, live.Version);
            Assert.Equal(live, await Wait.UntilAsync(() => nodes.OnB(instructor).GetAsync(session.Id), s => s.Version == live.Version, what: "node B to see the same session"));
            foreach (var viewer in viewers)
            {
                Assert.Single(await viewer.NotificationsAsync(), n => n.SessionId == session.Id && n.Kind == NotificationKind.WentLive);
            }
            await instructor.Sessions.EndSessionAsync(new EndSessionRequest { SessionId = session.Id });
        }
    }
}
