using Grpc.Core;
using LearnHub.Api.V1;
using LearnHub.Server.Sessions;
using LearnHub.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace LearnHub.Server.Tests.Sessions;

/// <summary>
/// With RTMP ingest configured, the clock alone never takes a session live: reserved viewers of a session nobody
/// started hear 晚点开播 once at start + Ingest:LateNoticeAfter, and at start + Ingest:NotHeldAfter (or its planned end,
/// if sooner) it is cancelled as not held and they are told once more. No nginx is needed: only whether the session
/// went live matters, and 开播 takes it live as a stream would.
/// </summary>
public sealed class LateStartTests
{
    private const string Title = "经济基础第19章考点梳理";

    public static Dictionary<string, string?> Ingest(string? lateNoticeAfter = null, string? notHeldAfter = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Ingest:RtmpUrl"] = "rtmp://127.0.0.1/live",
            ["Ingest:CallbackSecret"] = "late-start-tests-callback-secret",
        };
        if (lateNoticeAfter is not null)
        {
            settings["Ingest:LateNoticeAfter"] = lateNoticeAfter;
        }
        if (notHeldAfter is not null)
        {
            settings["Ingest:NotHeldAfter"] = notHeldAfter;
        }
        return settings;
    }

    private static Task<LearnHubApp> StartAsync(Dictionary<string, string?>? settings) =>
        LearnHubApp.StartAsync(settings, clock: new FakeTimeProvider(Scenario.Start) { AutoAdvanceAmount = TimeSpan.Zero });

    [Fact]
    public async Task The_clock_takes_nothing_live_and_each_reserver_hears_once_that_it_starts_late()
    {
        await using var app = await StartAsync(Ingest());
        var (instructor, viewers) = await CreatePeopleAsync(app);
        var start = Scenario.Shanghai(1, 20, 0);
        var session = await instructor.ScheduleAsync(start, minutes: 90);
        await ReserveAllAsync(viewers, session.Id);

        await app.AdvanceToAsync(start);
        Assert.Equal(SessionStatus.Scheduled, (await viewers[0].GetAsync(session.Id)).Status);
        await app.AdvanceToAsync(start.AddMinutes(10).AddSeconds(-1));
        await AssertEachGotAsync(viewers, session.Id, NotificationKind.LateStart, 0);

        await app.AdvanceToAsync(start.AddMinutes(10));
        foreach (var viewer in viewers)
        {
            var notice = Assert.Single(await viewer.NotificationsAsync(), n => n.Kind == NotificationKind.LateStart);
            Assert.Equal(session.Id, notice.SessionId);
            Assert.Equal($"《{Title}》晚点开播，请稍候", notice.Text);
        }
        await app.AdvanceToAsync(start.AddMinutes(59));
        Assert.Equal(SessionStatus.Scheduled, (await viewers[0].GetAsync(session.Id)).Status);
        await AssertEachGotAsync(viewers, session.Id, NotificationKind.LateStart, 1);
        await AssertEachGotAsync(viewers, session.Id, NotificationKind.WentLive, 0);
    }

    [Fact]
    public async Task Going_live_by_hand_before_the_grace_means_no_late_notice_and_the_session_still_auto_ends()
    {
        await using var app = await StartAsync(Ingest());
        var (instructor, viewers) = await CreatePeopleAsync(app);
        var start = Scenario.Shanghai(1, 20, 0);
        var session = await instructor.ScheduleAsync(start, minutes: 90);
        await ReserveAllAsync(viewers, session.Id);

        await app.AdvanceToAsync(start.AddMinutes(5));
        await instructor.Sessions.GoLiveAsync(new GoLiveRequest { SessionId = session.Id });
        await app.AdvanceToAsync(start.AddMinutes(61));
        var live = await viewers[0].GetAsync(session.Id);
        Assert.Equal(SessionStatus.Live, live.Status);
        Assert.False(live.NotHeld);

        await app.AdvanceToAsync(start.AddMinutes(90));
        var ended = await viewers[0].GetAsync(session.Id);
        Assert.Equal(SessionStatus.Ended, ended.Status);
        Assert.False(ended.NotHeld);
        await AssertEachGotAsync(viewers, session.Id, NotificationKind.WentLive, 1);
        await AssertEachGotAsync(viewers, session.Id, NotificationKind.LateStart, 0);
        await AssertEachGotAsync(viewers, session.Id, NotificationKind.NotHeld, 0);
    }

    [Fact]
    public async Task A_session_nobody_starts_within_an_hour_is_not_held_and_reservers_are_told_once()
    {
        await using var app = await StartAsync(Ingest());
        var (instructor, viewers) = await CreatePeopleAsync(app);
        var latecomer = await app.CreateUserAsync("latecomer");
        var start = Scenario.Shanghai(1, 20, 0);
        var session = await instructor.ScheduleAsync(start, minutes: 90);
        await ReserveAllAsync(viewers, session.Id);

        await app.AdvanceToAsync(start.AddMinutes(60).AddSeconds(-1));
        Assert.Equal(SessionStatus.Scheduled, (await viewers[0].GetAsync(session.Id)).Status);
        await app.AdvanceToAsync(start.AddMinutes(60));

        var notHeld = await NotHeldSessionAsync(viewers[0], session.Id);
        Assert.Equal(SessionStatus.Cancelled, notHeld.Status);
        Assert.Null(notHeld.LiveAt);
        foreach (var viewer in viewers)
        {
            var notice = Assert.Single(await viewer.NotificationsAsync(), n => n.Kind == NotificationKind.NotHeld);
            Assert.Equal($"《{Title}》未能开播，本场直播已取消", notice.Text);
        }
        var refused = await Assert.ThrowsAsync<RpcException>(() => latecomer.ReserveAsync(session.Id));
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        refused = await Assert.ThrowsAsync<RpcException>(async () => await instructor.Sessions.GoLiveAsync(new GoLiveRequest { SessionId = session.Id }));
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);

        // Its planned end passes: nothing more happens to it.
        await app.AdvanceToAsync(start.AddMinutes(120));
        Assert.Equal(SessionStatus.Cancelled, (await viewers[0].GetAsync(session.Id)).Status);
        await AssertEachGotAsync(viewers, session.Id, NotificationKind.NotHeld, 1);
        await AssertEachGotAsync(viewers, session.Id, NotificationKind.LateStart, 1);
        await AssertEachGotAsync(viewers, session.Id, NotificationKind.WentLive, 0);
    }

    [Fact]
    public async Task A_short_session_is_not_held_at_its_planned_end()
    {
        await using var app = await StartAsync(Ingest());
        var (instructor, viewers) = await CreatePeopleAsync(app);
        var start = Scenario.Shanghai(1, 20, 0);
        var halfHour = await instructor.ScheduleAsync(start, minutes: 30);
        // Ten minutes long: not held at its end, which is when a late notice would come, so none comes.
        var tenMinutes = await instructor.ScheduleAsync(start.AddHours(2), minutes: 10);
        await ReserveAllAsync(viewers, halfHour.Id);
        await ReserveAllAsync(viewers, tenMinutes.Id);

        await app.AdvanceToAsync(start.AddMinutes(30).AddSeconds(-1));
        Assert.Equal(SessionStatus.Scheduled, (await viewers[0].GetAsync(halfHour.Id)).Status);
        await AssertEachGotAsync(viewers, halfHour.Id, NotificationKind.LateStart, 1);
        await app.AdvanceToAsync(start.AddMinutes(30));
        var notHeld = await NotHeldSessionAsync(viewers[0], halfHour.Id);
        Assert.Equal(SessionStatus.Cancelled, notHeld.Status);
        await AssertEachGotAsync(viewers, halfHour.Id, NotificationKind.NotHeld, 1);

        await app.AdvanceToAsync(start.AddHours(2).AddMinutes(10));
        notHeld = await NotHeldSessionAsync(viewers[0], tenMinutes.Id);
        Assert.Equal(SessionStatus.Cancelled, notHeld.Status);
        await AssertEachGotAsync(viewers, tenMinutes.Id, NotificationKind.NotHeld, 1);
        await AssertEachGotAsync(viewers, tenMinutes.Id, NotificationKind.LateStart, 0);
    }

    [Fact]
    public async Task The_settings_set_when_the_notice_and_the_not_held_step_come()
    {
        await using var app = await StartAsync(Ingest(lateNoticeAfter: "00:05:00", notHeldAfter: "00:20:00"));
        var (instructor, viewers) = await CreatePeopleAsync(app);
        var start = Scenario.Shanghai(1, 20, 0);
        var session = await instructor.ScheduleAsync(start, minutes: 90);
        await ReserveAllAsync(viewers, session.Id);

        await app.AdvanceToAsync(start.AddMinutes(5).AddSeconds(-1));
        await AssertEachGotAsync(viewers, session.Id, NotificationKind.LateStart, 0);
        await app.AdvanceToAsync(start.AddMinutes(5));
        await AssertEachGotAsync(viewers, session.Id, NotificationKind.LateStart, 1);
        await app.AdvanceToAsync(start.AddMinutes(20).AddSeconds(-1));
        Assert.Equal(SessionStatus.Scheduled, (await viewers[0].GetAsync(session.Id)).Status);
        await app.AdvanceToAsync(start.AddMinutes(20));
        await NotHeldSessionAsync(viewers[0], session.Id);
        await AssertEachGotAsync(viewers, session.Id, NotificationKind.NotHeld, 1);
    }

    [Fact]
    public async Task A_reschedule_moves_the_late_notice_and_the_not_held_step()
    {
        await using var app = await StartAsync(Ingest());
        var (instructor, viewers) = await CreatePeopleAsync(app);
        var start = Scenario.Shanghai(1, 20, 0);
        var session = await instructor.ScheduleAsync(start, minutes: 90);
        await ReserveAllAsync(viewers, session.Id);
        await app.AdvanceToAsync(start.AddMinutes(-30));
        var moved = start.AddHours(3);
        await instructor.Sessions.UpdateSessionAsync(new UpdateSessionRequest { SessionId = session.Id, PlannedStart = Scenario.Ts(moved) });

        await app.AdvanceToAsync(start.AddMinutes(61));
        Assert.Equal(SessionStatus.Scheduled, (await viewers[0].GetAsync(session.Id)).Status);
        await AssertEachGotAsync(viewers, session.Id, NotificationKind.LateStart, 0);

        await app.AdvanceToAsync(moved.AddMinutes(10));
        await AssertEachGotAsync(viewers, session.Id, NotificationKind.LateStart, 1);
        var notice = Assert.Single(await viewers[0].NotificationsAsync(), n => n.Kind == NotificationKind.LateStart);
        Assert.Equal(moved, notice.PlannedStart.ToDateTimeOffset());
        await app.AdvanceToAsync(moved.AddMinutes(60));
        await NotHeldSessionAsync(viewers[0], session.Id);
        await AssertEachGotAsync(viewers, session.Id, NotificationKind.NotHeld, 1);
    }

    [Fact]
    public async Task Steps_run_at_once_by_two_runners_take_effect_once()
    {
        // What two nodes (or Quartz and the overdue pass) do when both run a step: the row lock orders them, and the
        // second finds the step done.
        await using var app = await StartAsync(Ingest());
        var (instructor, viewers) = await CreatePeopleAsync(app);
        var start = Scenario.Shanghai(1, 20, 0);
        var session = await instructor.ScheduleAsync(start, minutes: 90);
        await ReserveAllAsync(viewers, session.Id);
        var lateStarts = app.Services.GetRequiredService<LateStarts>();
        var startMs = start.ToUnixTimeMilliseconds();
        var cancelled = 0;
        using var subscription = app.Services.GetRequiredService<ISessionEvents>().Subscribe(change =>
        {
            if (change.SessionId == session.Id && change.Status == LearnHub.Core.Sessions.SessionStatus.Cancelled)
            {
                Interlocked.Increment(ref cancelled);
            }
        });

        // The clock reaches each step and Quartz fires it while four more runners take it at the same moment.
        app.Clock.SetUtcNow(start.AddMinutes(10));
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => lateStarts.NoticeAsync(session.Id, startMs, CancellationToken.None))));
        await app.AdvanceToAsync(start.AddMinutes(10));
        await AssertEachGotAsync(viewers, session.Id, NotificationKind.LateStart, 1);

        app.Clock.SetUtcNow(start.AddMinutes(60));
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => lateStarts.NotHeldAsync(session.Id, startMs, CancellationToken.None))));
        await app.AdvanceToAsync(start.AddMinutes(60));
        await AssertEachGotAsync(viewers, session.Id, NotificationKind.NotHeld, 1);
        await NotHeldSessionAsync(viewers[0], session.Id);
        Assert.Equal(1, Volatile.Read(ref cancelled));
    }

    [Fact]
    public async Task Without_ingest_sessions_still_go_live_on_the_clock_and_hear_of_no_late_start()
    {
        await using var app = await StartAsync(settings: null);
        var (instructor, viewers) = await CreatePeopleAsync(app);
        var start = Scenario.Shanghai(1, 20, 0);
        var session = await instructor.ScheduleAsync(start, minutes: 90);
        await ReserveAllAsync(viewers, session.Id);

        await app.AdvanceToAsync(start);
        Assert.Equal(SessionStatus.Live, (await viewers[0].GetAsync(session.Id)).Status);
        await app.AdvanceToAsync(start.AddMinutes(61));
        var live = await viewers[0].GetAsync(session.Id);
        Assert.Equal((SessionStatus.Live, false), (live.Status, live.NotHeld));
        await AssertEachGotAsync(viewers, session.Id, NotificationKind.WentLive, 1);
        await AssertEachGotAsync(viewers, session.Id, NotificationKind.LateStart, 0);
        await AssertEachGotAsync(viewers, session.Id, NotificationKind.NotHeld, 0);
    }

    internal static async Task<(TestUser Instructor, TestUser[] Viewers)> CreatePeopleAsync(LearnHubApp app) =>
        (await app.CreateUserAsync("wanhongcoco", "instructor"),
         [await app.CreateUserAsync("viewer-1"), await app.CreateUserAsync("viewer-2")]);

    internal static async Task ReserveAllAsync(IEnumerable<TestUser> viewers, string sessionId)
    {
        foreach (var viewer in viewers)
        {
            await viewer.ReserveAsync(sessionId);
        }
    }

    /// <summary>Each viewer has exactly <paramref name="count"/> notices of <paramref name="kind"/> about the session.</summary>
    internal static async Task AssertEachGotAsync(IEnumerable<TestUser> viewers, string sessionId, NotificationKind kind, int count)
    {
        foreach (var viewer in viewers)
        {
            var got = (await viewer.NotificationsAsync()).Count(n => n.SessionId == sessionId && n.Kind == kind);
            Assert.True(count == got, $"{viewer.Handle}: {got} {kind} notices of {sessionId}, expected {count}");
        }
    }

    /// <summary>
    /// The session once its not-held cancel is readable. AdvanceToAsync waits for the step's trigger; on PostgreSQL a CI
    /// run once read the session a moment before the cancel was visible, so the read waits (with the usual deadline).
    /// </summary>
    private static async Task<Session> NotHeldSessionAsync(TestUser viewer, string sessionId) =>
        (await Wait.UntilAsync(() => viewer.GetAsync(sessionId), s => s.NotHeld, what: "the session cancelled as not held"))!;
}
