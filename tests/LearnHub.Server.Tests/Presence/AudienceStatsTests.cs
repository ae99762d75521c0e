using Grpc.Core;
using LearnHub.Api.V1;
using LearnHub.Server.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using static LearnHub.Server.Tests.Infrastructure.Scenario;

namespace LearnHub.Server.Tests.Presence;

public sealed class AudienceStatsTests
{
    [Fact]
    public async Task Stats_give_peak_unique_viewers_average_watch_time_attendees_and_a_series_that_survive_a_restart()
    {
        var clock = new FakeTimeProvider(Scenario.Start) { AutoAdvanceAmount = TimeSpan.Zero };
        var app = await LearnHubApp.StartAsync(clock: clock);
        var data = app.DataDirectory;
        SessionStats during;
        SessionStats after;
        string sessionId;
        TestUser instructor;
        try
        {
            instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
            var early = await app.CreateUserAsync("xiaowang");
            var reserved = await app.CreateUserAsync("xiaoli");
            var scheduled = await instructor.ScheduleAsync(app.Now().AddMinutes(10), minutes: 60);
            sessionId = scheduled.Id;
            await reserved.ReserveAsync(sessionId);

            // xiaowang waits before the start: waiting time is not watch time.
            var a = await Watcher.OpenAsync(early, sessionId);
            app.Clock.Advance(TimeSpan.FromMinutes(2));
            var live = await instructor.Sessions.GoLiveAsync(new GoLiveRequest { SessionId = sessionId });
            var liveAt = live.LiveAt.ToDateTimeOffset();
            await a.UntilAsync(u => u.State.Status == SessionStatus.Live);

            await app.AdvanceToAsync(liveAt.AddMinutes(5));
            var b = await Watcher.OpenAsync(reserved, sessionId);
            await app.SettleAsync(sessionId, 2);
            var peakAt = liveAt.AddMinutes(5);

            // Read while both watch, before any sample: the figures already count them.
            var now = await instructor.Presence.GetSessionStatsAsync(new GetSessionStatsRequest { SessionId = sessionId });
            Assert.Equal((2, 2, 2), (now.CurrentViewers, now.PeakViewers, now.UniqueViewers));

            await app.AdvanceToAsync(liveAt.AddMinutes(10));
            // The sample the clock just triggered is written after a read of the store: let it count both first.
            await Wait.UntilAsync(
                () => instructor.Presence.GetSessionStatsAsync(new GetSessionStatsRequest { SessionId = sessionId }).ResponseAsync,
                s => s.Samples.Any(p => p.At.ToDateTimeOffset() == liveAt.AddMinutes(10)),
                what: "the sample at minute 10");
            await a.DisposeAsync();
            await Wait.UntilAsync(() => Task.FromResult(app.ServerCount(sessionId)), c => c == 1, what: "xiaowang leaving");

            await app.AdvanceToAsync(liveAt.AddMinutes(20));
            during = await Wait.UntilAsync(
                () => instructor.Presence.GetSessionStatsAsync(new GetSessionStatsRequest { SessionId = sessionId }).ResponseAsync,
                // The sample at minute 20 written before the end, whose own row at that instant must be the last word.
                s => s.Samples.Any(p => p.At.ToDateTimeOffset() == liveAt.AddMinutes(20)) && s.UniqueViewers == 2,
                what: "samples while live");
            Assert.Equal(1, during.CurrentViewers);
            Assert.Equal(2, during.PeakViewers);
            Assert.Equal(peakAt, during.PeakAt.ToDateTimeOffset());

            await instructor.Sessions.EndSessionAsync(new EndSessionRequest { SessionId = sessionId });
            Assert.Equal(StatusCode.OK, await b.CompletionAsync());
            await b.DisposeAsync();
            after = await Wait.UntilAsync(
                () => instructor.Presence.GetSessionStatsAsync(new GetSessionStatsRequest { SessionId = sessionId }).ResponseAsync,
                s => s.Samples.LastOrDefault()?.Viewers == 0 && s.AverageWatchSeconds > 0,
                what: "the final flush");
        }
        finally
        {
            await app.StopAsync();
        }

        var liveAtFinal = after.LiveAt.ToDateTimeOffset();
        Assert.Equal(SessionStatus.Ended, after.Status);
        Assert.Equal(0, after.CurrentViewers);
        Assert.Equal(2, after.PeakViewers);
        Assert.Equal(2, after.UniqueViewers);
        // xiaowang watched 10 minutes (from go-live), xiaoli 15 (from minute 5 to the end at 20).
        Assert.Equal((10 * 60 + 15 * 60) / 2, after.AverageWatchSeconds);
        Assert.Equal(1, after.ReservationCount);
        Assert.Equal(1, after.Attendees);
        Assert.Equal(liveAtFinal, after.Samples[0].At.ToDateTimeOffset());
        Assert.Equal(liveAtFinal.AddMinutes(20), after.Samples[^1].At.ToDateTimeOffset());
        Assert.Equal(after.Samples.Select(s => s.At.ToDateTimeOffset()).Order(), after.Samples.Select(s => s.At.ToDateTimeOffset()));
        Assert.Contains(after.Samples, s => s.Viewers == 2);

        await using var restarted = await LearnHubApp.StartAsync(dataDirectory: data, clock: clock);
        var admin = await restarted.CreateUserAsync("admin", "admin");
        var reread = await admin.Presence.GetSessionStatsAsync(new GetSessionStatsRequest { SessionId = sessionId });
        Assert.Equal(after, reread);
        Directory.Delete(data, recursive: true);
    }

    [Fact]
    public async Task While_live_unique_viewers_and_average_watch_time_count_the_people_still_watching()
    {
        var clock = new FakeTimeProvider(Scenario.Start) { AutoAdvanceAmount = TimeSpan.Zero };
        await using var app = await LearnHubApp.StartAsync(clock: clock);
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var first = await app.CreateUserAsync("xiaowang");
        var second = await app.CreateUserAsync("xiaoli");
        var live = await instructor.LiveSessionAsync();
        var liveAt = live.LiveAt.ToDateTimeOffset();

        await using var a = await Watcher.OpenAsync(first, live.Id);
        await Wait.UntilAsync(() => Task.FromResult(app.ServerCount(live.Id)), c => c == 1, what: "xiaowang watching");
        await app.AdvanceToAsync(liveAt.AddMinutes(2));
        await using var b = await Watcher.OpenAsync(second, live.Id);
        await Wait.UntilAsync(() => Task.FromResult(app.ServerCount(live.Id)), c => c == 2, what: "xiaoli watching");
        await app.AdvanceToAsync(liveAt.AddMinutes(5));

        // Nobody has left and the session has not ended: 5 and 3 minutes so far.
        var stats = await instructor.Presence.GetSessionStatsAsync(new GetSessionStatsRequest { SessionId = live.Id });
        Assert.Equal(SessionStatus.Live, stats.Status);
        Assert.Equal(2, stats.CurrentViewers);
        Assert.Equal(2, stats.UniqueViewers);
        Assert.Equal(4 * 60, stats.AverageWatchSeconds);

        // A minute later, still live: both figures keep counting the open spans (6 and 4 minutes).
        await app.AdvanceToAsync(liveAt.AddMinutes(6));
        var later = await instructor.Presence.GetSessionStatsAsync(new GetSessionStatsRequest { SessionId = live.Id });
        Assert.Equal(2, later.UniqueViewers);
        Assert.Equal(5 * 60, later.AverageWatchSeconds);
    }

    [Fact]
    public async Task Only_the_sessions_instructor_reviewers_and_admins_read_its_stats()
    {
        await using var app = await Scenario.StartAsync();
        var owner = await app.CreateUserAsync("wanhongcoco", "instructor");
        var other = await app.CreateUserAsync("zhanglaoshi", "instructor");
        var viewer = await app.CreateUserAsync("xiaowang");
        var reviewer = await app.CreateUserAsync("shenhe", "reviewer");
        var session = await owner.LiveSessionAsync();

        foreach (var refused in new[] { other, viewer })
        {
            var refusal = await Assert.ThrowsAsync<RpcException>(() => refused.Presence.GetSessionStatsAsync(new GetSessionStatsRequest { SessionId = session.Id }).ResponseAsync);
            Assert.Equal(StatusCode.PermissionDenied, refusal.StatusCode);
        }
        Assert.Equal(session.Id, (await reviewer.Presence.GetSessionStatsAsync(new GetSessionStatsRequest { SessionId = session.Id })).SessionId);
        var missing = await Assert.ThrowsAsync<RpcException>(() => owner.Presence.GetSessionStatsAsync(new GetSessionStatsRequest { SessionId = "s_missing" }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
    }
}
