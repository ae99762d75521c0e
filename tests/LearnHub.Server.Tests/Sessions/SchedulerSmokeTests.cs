using Google.Protobuf.WellKnownTypes;
using LearnHub.Api.V1;
using LearnHub.Server.Tests.Infrastructure;

namespace LearnHub.Server.Tests.Sessions;

public sealed class SchedulerSmokeTests
{
    [Fact]
    public async Task A_session_goes_live_when_the_fake_clock_reaches_its_start()
    {
        await using var app = await LearnHubApp.StartAsync();
        var instructor = await app.CreateUserAsync("teacher", "instructor");
        var viewer = await app.CreateUserAsync("student");
        var session = await instructor.Sessions.CreateSessionAsync(new CreateSessionRequest
        {
            Title = "经济基础第19章考点梳理",
            PlannedStart = Timestamp.FromDateTimeOffset(app.Clock.GetUtcNow().AddMinutes(30)),
            DurationMinutes = 90,
        });
        await viewer.Sessions.ReserveSessionAsync(new ReserveSessionRequest { SessionId = session.Id });

        app.Clock.Advance(TimeSpan.FromMinutes(15));
        await Wait.UntilAsync(
            async () => await viewer.Notifications.ListNotificationsAsync(new ListNotificationsRequest()),
            n => n.Notifications.Any(x => x.Kind == NotificationKind.Reminder), what: "reminder");
        app.Clock.Advance(TimeSpan.FromMinutes(15));

        var live = await Wait.UntilAsync(
            async () => await viewer.Sessions.GetSessionAsync(new GetSessionRequest { SessionId = session.Id }),
            s => s.Status == SessionStatus.Live, what: "go-live");
        Assert.Equal(SessionStatus.Live, live.Status);
        var notices = await viewer.Notifications.ListNotificationsAsync(new ListNotificationsRequest());
        Assert.Contains(notices.Notifications, n => n.Kind == NotificationKind.Reminder);
        Assert.Contains(notices.Notifications, n => n.Kind == NotificationKind.WentLive);
    }

    [Fact]
    public async Task Steps_missed_by_more_than_a_minute_still_run_promptly()
    {
        // One jump of the clock past reminder, go-live and end: to Quartz all three missed their time by over its
        // one-minute misfire threshold, so only its misfire scan (not the normal acquisition) can fire them.
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var start = Scenario.Shanghai(1, 20, 0);
        var session = await instructor.ScheduleAsync(start, minutes: 30);
        await app.AdvanceToAsync(start.AddMinutes(-30));

        await app.AdvanceToAsync(start.AddMinutes(60));

        Assert.Equal(SessionStatus.Ended, (await instructor.GetAsync(session.Id)).Status);
    }
}
