using LearnHub.Api.V1;
using LearnHub.Server.Sessions;
using LearnHub.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Quartz;
using static LearnHub.Server.Tests.Infrastructure.Scenario;

namespace LearnHub.Server.Tests.Durability;

/// <summary>
/// A reminder lost in flight: a node killed while running it leaves no trigger and no notice (Quartz's cluster recovery
/// can drop the step; seen once in the two-node run). Reserved viewers still get it once, before the went-live notice:
/// the go-live sends a reminder that came due and never went out, and on a cluster the overdue pass sends it before
/// the start. Viewers who reserved after its time are not reminded, as they would not have been.
/// </summary>
public sealed class LostReminderTests
{
    [Fact]
    public async Task A_reminder_lost_in_flight_reaches_its_viewers_once_before_the_went_live_notice()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var early = await app.CreateUserAsync("xiaowang");
        var late = await app.CreateUserAsync("demo-viewer-01");
        var start = Shanghai(1, 19, 30);
        var session = await instructor.ScheduleAsync(start);
        await early.ReserveAsync(session.Id);
        await LoseReminderAsync(app, session.Id);

        await app.AdvanceToAsync(start.AddMinutes(-10));
        await late.ReserveAsync(session.Id);
        await app.AdvanceToAsync(start);
        await app.AdvanceToAsync(start.AddMinutes(90));

        var notices = await early.NotificationsAsync();
        Assert.Equal([NotificationKind.WentLive, NotificationKind.Reminder], notices.Select(n => n.Kind)); // newest first
        Assert.Equal(start, notices[1].PlannedStart.ToDateTimeOffset());
        Assert.Equal([NotificationKind.WentLive], (await late.NotificationsAsync()).Select(n => n.Kind));
    }

    [Fact]
    public async Task A_session_moved_inside_the_lead_is_not_reminded_late_at_its_go_live()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var viewer = await app.CreateUserAsync("xiaowang");
        var start = Shanghai(1, 19, 30);
        var session = await instructor.ScheduleAsync(start);
        await viewer.ReserveAsync(session.Id);
        await app.AdvanceToAsync(start.AddMinutes(-20));

        // Moved ten minutes earlier, 20 minutes ahead: the new start's reminder time was five minutes before the change,
        // so it has none (the rescheduled notice carries the new start), not even late.
        var moved = start.AddMinutes(-10);
        await instructor.Sessions.UpdateSessionAsync(new UpdateSessionRequest { SessionId = session.Id, PlannedStart = Ts(moved) });
        await app.AdvanceToAsync(moved);

        Assert.Equal([NotificationKind.WentLive, NotificationKind.Rescheduled], (await viewer.NotificationsAsync()).Select(n => n.Kind));
    }

    [Fact]
    public async Task On_a_cluster_the_overdue_pass_sends_a_lost_reminder_before_the_start()
    {
        if (!TestStore.IsPostgres)
        {
            Assert.Skip("The overdue pass runs on a cluster, which needs the PostgreSQL store: run with LEARNHUB_TEST_STORE=Postgres.");
        }
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var viewer = await app.CreateUserAsync("xiaowang");
        var start = Shanghai(1, 19, 30);
        var session = await instructor.ScheduleAsync(start);
        await viewer.ReserveAsync(session.Id);
        await LoseReminderAsync(app, session.Id);

        // Ten minutes before the start (five after the reminder's time) the pass has run; the clock stays there.
        await app.AdvanceToAsync(start.AddMinutes(-10));

        var reminder = await Wait.UntilAsync(() => viewer.NotificationsAsync(), n => n.Count > 0, what: "the overdue pass's reminder");
        Assert.Equal(NotificationKind.Reminder, Assert.Single(reminder).Kind);
        Assert.Equal(SessionStatus.Scheduled, (await viewer.GetAsync(session.Id)).Status);
        await app.AdvanceToAsync(start);
        Assert.Equal([NotificationKind.WentLive, NotificationKind.Reminder], (await viewer.NotificationsAsync()).Select(n => n.Kind));
    }

    /// <summary>What a node killed while running the reminder leaves behind: its trigger gone, no notice written.</summary>
    private static async Task LoseReminderAsync(LearnHubApp app, string sessionId)
    {
        var scheduler = await app.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();
        Assert.True(await scheduler.UnscheduleJob(SessionTriggers.TriggerKeyFor(sessionId, SessionStep.Reminder)));
    }
}
