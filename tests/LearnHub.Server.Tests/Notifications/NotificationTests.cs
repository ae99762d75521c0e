using Grpc.Core;
using LearnHub.Api.V1;
using LearnHub.Server.Tests.Infrastructure;
using static LearnHub.Server.Tests.Infrastructure.Scenario;

namespace LearnHub.Server.Tests.Notifications;

public sealed class NotificationTests
{
    [Fact]
    public async Task Reserved_viewers_get_the_reminder_15_minutes_ahead_and_the_went_live_notice_each_exactly_once()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var xiaowang = await app.CreateUserAsync("xiaowang");
        var fan = await app.CreateUserAsync("demo-viewer-01");
        var bystander = await app.CreateUserAsync("demo-viewer-02");
        var start = Shanghai(1, 19, 30);
        var session = await instructor.ScheduleAsync(start, minutes: 90, title: "经济基础第19章考点梳理");
        await xiaowang.ReserveAsync(session.Id);
        await fan.ReserveAsync(session.Id);

        await app.AdvanceToAsync(start.AddMinutes(-16));
        Assert.Empty(await xiaowang.NotificationsAsync());

        await app.AdvanceToAsync(start.AddMinutes(-15));
        foreach (var viewer in new[] { xiaowang, fan })
        {
            var reminder = Assert.Single(await viewer.NotificationsAsync());
            Assert.Equal(NotificationKind.Reminder, reminder.Kind);
            Assert.Equal(session.Id, reminder.SessionId);
            Assert.Equal("经济基础第19章考点梳理", reminder.SessionTitle);
            Assert.Equal(start, reminder.PlannedStart.ToDateTimeOffset());
            Assert.Equal(start.AddMinutes(-15), reminder.CreateTime.ToDateTimeOffset());
            Assert.Equal($"开播提醒：《经济基础第19章考点梳理》将于 {MonthDay(1)} 19:30 开播", reminder.Text);
            Assert.False(reminder.Read);
        }
        Assert.Equal(SessionStatus.Scheduled, (await xiaowang.GetAsync(session.Id)).Status);

        await app.AdvanceToAsync(start);
        await app.AdvanceToAsync(start.AddMinutes(90));
        await app.AdvanceToAsync(start.AddDays(1));
        foreach (var viewer in new[] { xiaowang, fan })
        {
            var notices = await viewer.NotificationsAsync();
            Assert.Equal([NotificationKind.WentLive, NotificationKind.Reminder], notices.Select(n => n.Kind)); // newest first
            Assert.Equal(start, notices[0].CreateTime.ToDateTimeOffset());
        }
        Assert.Empty(await bystander.NotificationsAsync());
        Assert.Empty(await instructor.NotificationsAsync());
    }

    [Fact]
    public async Task A_session_scheduled_inside_the_lead_time_sends_no_reminder_only_the_went_live_notice()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var viewer = await app.CreateUserAsync("xiaowang");
        var start = app.Now().AddMinutes(10);
        var session = await instructor.ScheduleAsync(start);
        await viewer.ReserveAsync(session.Id);

        await app.AdvanceToAsync(start);

        Assert.Equal(NotificationKind.WentLive, Assert.Single(await viewer.NotificationsAsync()).Kind);
    }

    [Fact]
    public async Task A_session_rescheduled_after_its_reminder_reminds_again_for_the_new_start_each_once()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var viewer = await app.CreateUserAsync("xiaowang");
        var start = Shanghai(1, 19, 30);
        var newStart = Shanghai(2, 19, 30);
        var session = await instructor.ScheduleAsync(start);
        await viewer.ReserveAsync(session.Id);
        await app.AdvanceToAsync(start.AddMinutes(-15));

        await instructor.Sessions.UpdateSessionAsync(new UpdateSessionRequest { SessionId = session.Id, PlannedStart = Ts(newStart) });
        await app.AdvanceToAsync(start);
        await app.AdvanceToAsync(newStart.AddMinutes(-15));
        await app.AdvanceToAsync(newStart);

        var notices = (await viewer.NotificationsAsync()).Reverse().ToList();
        Assert.Equal(
            [NotificationKind.Reminder, NotificationKind.Rescheduled, NotificationKind.Reminder, NotificationKind.WentLive],
            notices.Select(n => n.Kind));
        Assert.Equal([start, newStart, newStart, newStart], notices.Select(n => n.PlannedStart.ToDateTimeOffset()));
        Assert.Equal(SessionStatus.Live, (await viewer.GetAsync(session.Id)).Status);
    }

    [Fact]
    public async Task Unread_count_and_marking_read()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var viewer = await app.CreateUserAsync("xiaowang");
        var other = await app.CreateUserAsync("demo-viewer-01");
        var first = await instructor.ScheduleAsync(Shanghai(1, 19, 30), title: "第19章");
        var second = await instructor.ScheduleAsync(Shanghai(2, 19, 30), title: "第20章");
        foreach (var user in new[] { viewer, other })
        {
            await user.ReserveAsync(first.Id);
            await user.ReserveAsync(second.Id);
        }
        await instructor.Sessions.UpdateSessionAsync(new UpdateSessionRequest { SessionId = second.Id, PlannedStart = Ts(Shanghai(3, 19, 30)) });
        await app.AdvanceToAsync(Shanghai(1, 19, 30));
        await instructor.Sessions.CancelSessionAsync(new CancelSessionRequest { SessionId = second.Id });

        var all = await viewer.Notifications.ListNotificationsAsync(new ListNotificationsRequest());
        Assert.Equal(
            [NotificationKind.Cancelled, NotificationKind.WentLive, NotificationKind.Reminder, NotificationKind.Rescheduled],
            all.Notifications.Select(n => n.Kind));
        Assert.Equal(4, all.UnreadCount);

        var marked = await viewer.Notifications.MarkNotificationsReadAsync(new MarkNotificationsReadRequest { NotificationIds = { all.Notifications[0].Id, all.Notifications[2].Id } });
        Assert.Equal(2, marked.Marked);
        var again = await viewer.Notifications.MarkNotificationsReadAsync(new MarkNotificationsReadRequest { NotificationIds = { all.Notifications[0].Id } });
        Assert.Equal(0, again.Marked);

        var unread = await viewer.Notifications.ListNotificationsAsync(new ListNotificationsRequest { UnreadOnly = true });
        Assert.Equal([all.Notifications[1].Id, all.Notifications[3].Id], unread.Notifications.Select(n => n.Id));
        Assert.Equal(2, unread.UnreadCount);
        var afterPartial = await viewer.Notifications.ListNotificationsAsync(new ListNotificationsRequest());
        Assert.Equal([true, false, true, false], afterPartial.Notifications.Select(n => n.Read));

        // Nobody marks another user's notifications.
        var othersIds = (await other.NotificationsAsync()).Select(n => n.Id).ToList();
        Assert.Equal(0, (await viewer.Notifications.MarkNotificationsReadAsync(new MarkNotificationsReadRequest { NotificationIds = { othersIds } })).Marked);
        Assert.Equal(4, (await other.Notifications.ListNotificationsAsync(new ListNotificationsRequest())).UnreadCount);

        Assert.Equal(2, (await viewer.Notifications.MarkNotificationsReadAsync(new MarkNotificationsReadRequest())).Marked);
        Assert.Equal(0, (await viewer.Notifications.ListNotificationsAsync(new ListNotificationsRequest())).UnreadCount);
        Assert.Empty((await viewer.Notifications.ListNotificationsAsync(new ListNotificationsRequest { UnreadOnly = true })).Notifications);
        Assert.Equal(4, (await other.Notifications.ListNotificationsAsync(new ListNotificationsRequest())).UnreadCount);

        await Refusal.AssertAsync(StatusCode.InvalidArgument, "notification_ids[0]",
            async () => await viewer.Notifications.MarkNotificationsReadAsync(new MarkNotificationsReadRequest { NotificationIds = { "not-an-id" } }));
    }

    [Fact]
    public async Task Pages_newest_first()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var viewer = await app.CreateUserAsync("xiaowang");
        var sessions = new List<Session>();
        for (var day = 1; day <= 3; day++)
        {
            var session = await instructor.ScheduleAsync(Shanghai(day, 19, 30), title: $"第{day}讲");
            await viewer.ReserveAsync(session.Id);
            sessions.Add(session);
        }
        foreach (var session in sessions)
        {
            await instructor.Sessions.CancelSessionAsync(new CancelSessionRequest { SessionId = session.Id });
        }

        var first = await viewer.Notifications.ListNotificationsAsync(new ListNotificationsRequest { PageSize = 2 });
        var second = await viewer.Notifications.ListNotificationsAsync(new ListNotificationsRequest { PageSize = 2, PageToken = first.NextPageToken });

        Assert.Equal([sessions[2].Id, sessions[1].Id], first.Notifications.Select(n => n.SessionId));
        Assert.Equal([sessions[0].Id], second.Notifications.Select(n => n.SessionId));
        Assert.Empty(second.NextPageToken);
        Assert.Equal(3, first.UnreadCount);
    }
}
