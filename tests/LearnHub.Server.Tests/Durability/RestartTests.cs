using Google.Protobuf.WellKnownTypes;
using Dapper;
using LearnHub.Api.V1;
using LearnHub.Server.Data;
using LearnHub.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Quartz;

namespace LearnHub.Server.Tests.Durability;

/// <summary>
/// The scheduler survives a graceful stop: what came due while the host was down fires once, as soon as a new host
/// starts on the same data folder. The stopped host's fake clock is moved on while nothing runs, then handed to
/// the new host, so "while down" is exact.
/// </summary>
public sealed class RestartTests
{
    [Fact]
    public async Task A_session_due_while_stopped_goes_live_once_after_the_restart()
    {
        await using var first = await LearnHubApp.StartAsync();
        var (teacher, viewers) = await CreatePeopleAsync(first);
        var session = await ScheduleAsync(teacher, first.Clock.GetUtcNow().AddMinutes(30), durationMinutes: 60);
        await ReserveAsync(viewers, session);
        // The reminder fires while the host runs; only the go-live is left for the restart.
        first.Clock.Advance(TimeSpan.FromMinutes(15));
        await Wait.UntilAsync(() => CountAsync(viewers[0], session, NotificationKind.Reminder), n => n == 1, what: "reminder before the stop");
        await first.StopAsync();

        first.Clock.Advance(TimeSpan.FromMinutes(16));
        await using var second = await LearnHubApp.StartAsync(dataDirectory: first.DataDirectory, clock: first.Clock);
        var live = await Wait.UntilAsync(
            () => GetAsync(teacher.On(second), session), s => s.Status == SessionStatus.Live, what: "go-live after the restart");

        // It went live when the host came back (the clock stands still), a minute after its planned start.
        Assert.Equal(second.Clock.GetUtcNow().ToUnixTimeMilliseconds(), live.LiveAt.ToDateTimeOffset().ToUnixTimeMilliseconds());
        await AssertEachViewerGotAsync(second, viewers, session, reminders: 1, wentLive: 1);

        // Nothing fires twice: one more restart, then on to the planned end, and still one notice each.
        await second.StopAsync();
        await using var third = await LearnHubApp.StartAsync(dataDirectory: first.DataDirectory, clock: first.Clock);
        third.Clock.Advance(TimeSpan.FromMinutes(60));
        await Wait.UntilAsync(() => GetAsync(teacher.On(third), session), s => s.Status == SessionStatus.Ended, what: "auto-end");
        await AssertEachViewerGotAsync(third, viewers, session, reminders: 1, wentLive: 1);
    }

    [Fact]
    public async Task A_reminder_and_go_live_both_due_while_stopped_are_each_delivered_once()
    {
        await using var first = await LearnHubApp.StartAsync();
        var (teacher, viewers) = await CreatePeopleAsync(first);
        var session = await ScheduleAsync(teacher, first.Clock.GetUtcNow().AddMinutes(30), durationMinutes: 60);
        await ReserveAsync(viewers, session);
        await first.StopAsync();

        first.Clock.Advance(TimeSpan.FromMinutes(31));
        await using var second = await LearnHubApp.StartAsync(dataDirectory: first.DataDirectory, clock: first.Clock);
        await Wait.UntilAsync(
            () => GetAsync(teacher.On(second), session), s => s.Status == SessionStatus.Live, what: "go-live after the restart");

        await AssertEachViewerGotAsync(second, viewers, session, reminders: 1, wentLive: 1);
        var newestFirst = (await viewers[0].On(second).Notifications.ListNotificationsAsync(new ListNotificationsRequest())).Notifications;
        Assert.Equal([NotificationKind.WentLive, NotificationKind.Reminder], newestFirst.Select(n => n.Kind));
    }

    [Fact]
    public async Task Go_live_and_auto_end_both_due_while_stopped_end_the_session_after_one_went_live_notice()
    {
        await using var first = await LearnHubApp.StartAsync();
        var (teacher, viewers) = await CreatePeopleAsync(first);
        var session = await ScheduleAsync(teacher, first.Clock.GetUtcNow().AddMinutes(30), durationMinutes: 30);
        await ReserveAsync(viewers, session);
        await first.StopAsync();

        // Reminder, go-live and auto-end all come due while the host is down.
        first.Clock.Advance(TimeSpan.FromHours(2));
        await using var second = await LearnHubApp.StartAsync(dataDirectory: first.DataDirectory, clock: first.Clock);
        var ended = await Wait.UntilAsync(
            () => GetAsync(teacher.On(second), session), s => s.Status == SessionStatus.Ended, what: "auto-end after the restart");

        Assert.NotNull(ended.LiveAt);
        Assert.NotNull(ended.EndedAt);
        Assert.True(ended.LiveAt <= ended.EndedAt, $"live at {ended.LiveAt}, ended at {ended.EndedAt}");
        await AssertEachViewerGotAsync(second, viewers, session, reminders: null, wentLive: 1);
    }

    [Fact]
    public async Task A_session_whose_triggers_were_lost_in_a_crash_after_its_commit_still_goes_live_once()
    {
        await using var first = await LearnHubApp.StartAsync();
        var (teacher, viewers) = await CreatePeopleAsync(first);
        var session = await ScheduleAsync(teacher, first.Clock.GetUtcNow().AddMinutes(30), durationMinutes: 60);
        await ReserveAsync(viewers, session);
        // What a crash between the commit and the trigger write leaves: the row, no job, the row marked behind.
        var scheduler = await first.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();
        Assert.True(await scheduler.DeleteJob(new JobKey(session.Id, "session-lifecycle")));
        await using (var connection = await first.Services.GetRequiredService<Database>().OpenAsync(CancellationToken.None))
        {
            await connection.ExecuteAsync("UPDATE sessions SET triggers_version = 0 WHERE id = @id", new { id = session.Id });
        }
        await first.StopAsync();

        first.Clock.Advance(TimeSpan.FromMinutes(31));
        await using var second = await LearnHubApp.StartAsync(dataDirectory: first.DataDirectory, clock: first.Clock);
        await Wait.UntilAsync(
            () => GetAsync(teacher.On(second), session), s => s.Status == SessionStatus.Live, what: "go-live of the reconciled session");

        await AssertEachViewerGotAsync(second, viewers, session, reminders: null, wentLive: 1);
        second.Clock.Advance(TimeSpan.FromMinutes(60));
        await Wait.UntilAsync(() => GetAsync(teacher.On(second), session), s => s.Status == SessionStatus.Ended, what: "auto-end");
        await AssertEachViewerGotAsync(second, viewers, session, reminders: null, wentLive: 1);
    }

    private static async Task<(TestUser Teacher, TestUser[] Viewers)> CreatePeopleAsync(LearnHubApp app) =>
        (await app.CreateUserAsync("teacher", "instructor"),
         [await app.CreateUserAsync("viewer-1"), await app.CreateUserAsync("viewer-2")]);

    private static Task<Session> ScheduleAsync(TestUser teacher, DateTimeOffset start, int durationMinutes) =>
        teacher.Sessions.CreateSessionAsync(new CreateSessionRequest
        {
            Title = "经济基础第19章考点梳理", PlannedStart = Timestamp.FromDateTimeOffset(start), DurationMinutes = durationMinutes,
        }).ResponseAsync;

    private static async Task ReserveAsync(IEnumerable<TestUser> viewers, Session session)
    {
        foreach (var viewer in viewers)
        {
            await viewer.Sessions.ReserveSessionAsync(new ReserveSessionRequest { SessionId = session.Id });
        }
    }

    private static async Task<Session> GetAsync(TestUser user, Session session) =>
        await user.Sessions.GetSessionAsync(new GetSessionRequest { SessionId = session.Id });

    private static async Task<int> CountAsync(TestUser viewer, Session session, NotificationKind kind) =>
        (await viewer.Notifications.ListNotificationsAsync(new ListNotificationsRequest { PageSize = 100 }))
            .Notifications.Count(n => n.SessionId == session.Id && n.Kind == kind);

    /// <summary>Exactly <paramref name="wentLive"/> went-live notices (and <paramref name="reminders"/> reminders, when given) per viewer.</summary>
    private static async Task AssertEachViewerGotAsync(LearnHubApp app, IEnumerable<TestUser> viewers, Session session, int? reminders, int wentLive)
    {
        foreach (var viewer in viewers.Select(v => v.On(app)))
        {
            Assert.Equal(wentLive, await CountAsync(viewer, session, NotificationKind.WentLive));
            if (reminders is { } expected)
            {
                Assert.Equal(expected, await CountAsync(viewer, session, NotificationKind.Reminder));
            }
        }
    }
}

internal static class TestUserExtensions
{
    /// <summary>The same user (same token) calling another host, e.g. the one started after a restart.</summary>
    public static TestUser On(this TestUser user, LearnHubApp app) => user with { App = app };
}
