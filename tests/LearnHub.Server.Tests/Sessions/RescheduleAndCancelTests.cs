using Dapper;
using Grpc.Core;
using LearnHub.Api.V1;
using LearnHub.Server.Data;
using LearnHub.Server.Sessions;
using LearnHub.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static LearnHub.Server.Tests.Infrastructure.Scenario;

namespace LearnHub.Server.Tests.Sessions;

public sealed class RescheduleAndCancelTests
{
    [Fact]
    public async Task Rescheduling_moves_every_trigger_and_tells_reserved_viewers()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var viewer = await app.CreateUserAsync("xiaowang");
        var bystander = await app.CreateUserAsync("demo-viewer-01");
        var oldStart = Shanghai(1, 19, 30);
        var newStart = Shanghai(2, 20, 0);
        var session = await instructor.ScheduleAsync(oldStart, minutes: 90);
        await viewer.ReserveAsync(session.Id);

        var moved = await instructor.Sessions.UpdateSessionAsync(new UpdateSessionRequest
        {
            SessionId = session.Id, PlannedStart = Ts(newStart), DurationMinutes = 60, ExpectedVersion = session.Version,
        });

        Assert.Equal(newStart, moved.PlannedStart.ToDateTimeOffset());
        Assert.Equal(newStart.AddMinutes(60), moved.PlannedEnd.ToDateTimeOffset());
        Assert.Equal(session.Version + 1, moved.Version);
        var rescheduled = Assert.Single(await viewer.NotificationsAsync());
        Assert.Equal(NotificationKind.Rescheduled, rescheduled.Kind);
        Assert.Equal(session.Id, rescheduled.SessionId);
        Assert.Equal(newStart, rescheduled.PlannedStart.ToDateTimeOffset());
        Assert.Contains($"{MonthDay(2)} 20:00", rescheduled.Text, StringComparison.Ordinal);
        Assert.Empty(await bystander.NotificationsAsync());

        // The old start and old end pass: nothing happens.
        await app.AdvanceToAsync(oldStart.AddMinutes(90));
        Assert.Equal(SessionStatus.Scheduled, (await viewer.GetAsync(session.Id)).Status);
        Assert.Single(await viewer.NotificationsAsync());

        await app.AdvanceToAsync(newStart.AddMinutes(-15));
        Assert.Contains(await viewer.NotificationsAsync(), n => n.Kind == NotificationKind.Reminder && n.PlannedStart.ToDateTimeOffset() == newStart);
        await app.AdvanceToAsync(newStart);
        var live = await viewer.GetAsync(session.Id);
        Assert.Equal(SessionStatus.Live, live.Status);
        Assert.Equal(newStart, live.LiveAt.ToDateTimeOffset());
        await app.AdvanceToAsync(newStart.AddMinutes(60));
        Assert.Equal(SessionStatus.Ended, (await viewer.GetAsync(session.Id)).Status);
        Assert.Equal(
            [NotificationKind.Rescheduled, NotificationKind.Reminder, NotificationKind.WentLive],
            (await viewer.NotificationsAsync()).Reverse().Select(n => n.Kind));
    }

    [Fact]
    public async Task Changing_only_the_duration_moves_the_auto_end()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var viewer = await app.CreateUserAsync("xiaowang");
        var start = Shanghai(1, 19, 30);
        var session = await instructor.ScheduleAsync(start, minutes: 90);
        await viewer.ReserveAsync(session.Id);

        await instructor.Sessions.UpdateSessionAsync(new UpdateSessionRequest { SessionId = session.Id, DurationMinutes = 120 });

        Assert.Equal(NotificationKind.Rescheduled, Assert.Single(await viewer.NotificationsAsync()).Kind);
        await app.AdvanceToAsync(start.AddMinutes(90));
        Assert.Equal(SessionStatus.Live, (await viewer.GetAsync(session.Id)).Status);
        await app.AdvanceToAsync(start.AddMinutes(120));
        Assert.Equal(SessionStatus.Ended, (await viewer.GetAsync(session.Id)).Status);
    }

    [Fact]
    public async Task Editing_title_or_description_is_not_a_reschedule()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var viewer = await app.CreateUserAsync("xiaowang");
        var session = await instructor.ScheduleAsync(Shanghai(1, 19, 30));
        await viewer.ReserveAsync(session.Id);

        var edited = await instructor.Sessions.UpdateSessionAsync(new UpdateSessionRequest
        {
            SessionId = session.Id, Title = "经济基础第19章考点梳理(加餐)", Description = "带上讲义", PlannedStart = Ts(Shanghai(1, 19, 30)),
        });

        Assert.Equal("经济基础第19章考点梳理(加餐)", edited.Title);
        Assert.Equal("带上讲义", edited.Description);
        Assert.Equal(session.PlannedStart, edited.PlannedStart);
        Assert.Equal(2, edited.Version);
        Assert.Empty(await viewer.NotificationsAsync());
    }

    public static TheoryData<string> BadUpdates() =>
        ["empty title", "101-character title", "start in the past", "duration 0", "duration 13 h", "unknown time zone"];

    [Theory]
    [MemberData(nameof(BadUpdates))]
    public async Task Bad_input_to_an_update_is_refused_and_nothing_changes(string badInput)
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var viewer = await app.CreateUserAsync("xiaowang");
        var session = await instructor.ScheduleAsync(Shanghai(1, 19, 30));
        await viewer.ReserveAsync(session.Id);
        var before = await instructor.AllSessionsAsync();
        var request = new UpdateSessionRequest { SessionId = session.Id };
        var field = badInput switch
        {
            "empty title" => Refusal.Spoil("title", () => request.Title = ""),
            "101-character title" => Refusal.Spoil("title", () => request.Title = string.Concat(Enumerable.Repeat("经", 101))),
            "start in the past" => Refusal.Spoil("planned_start", () => request.PlannedStart = Ts(app.Now().AddMinutes(-5))),
            "duration 0" => Refusal.Spoil("duration_minutes", () => request.DurationMinutes = 0),
            "duration 13 h" => Refusal.Spoil("duration_minutes", () => request.DurationMinutes = 780),
            "unknown time zone" => Refusal.Spoil("time_zone", () => request.TimeZone = "Moon/Tranquility_Base"),
            _ => throw new ArgumentOutOfRangeException(nameof(badInput)),
        };

        await Refusal.AssertAsync(StatusCode.InvalidArgument, field, async () => await instructor.Sessions.UpdateSessionAsync(request));

        Assert.Equal(before, await instructor.AllSessionsAsync());
        Assert.Empty(await viewer.NotificationsAsync());
    }

    [Fact]
    public async Task Rescheduling_onto_another_session_is_refused_naming_it_and_back_to_back_is_allowed()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var first = await instructor.ScheduleAsync(Shanghai(1, 19, 30), minutes: 90, title: "第19章");
        var second = await instructor.ScheduleAsync(Shanghai(1, 22, 0), minutes: 90, title: "第20章");
        var before = await instructor.AllSessionsAsync();

        var refusal = await Refusal.AssertAsync(StatusCode.FailedPrecondition, "planned_start", async () => await instructor.Sessions.UpdateSessionAsync(
            new UpdateSessionRequest { SessionId = second.Id, PlannedStart = Ts(Shanghai(1, 20, 0)) }));
        Assert.Equal(first.Id, refusal.ConflictingSessionId());
        Assert.DoesNotContain(first.Id, refusal.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("《第19章》", refusal.Status.Detail, StringComparison.Ordinal);
        var longer = await Refusal.AssertAsync(StatusCode.FailedPrecondition, "duration_minutes", async () => await instructor.Sessions.UpdateSessionAsync(
            new UpdateSessionRequest { SessionId = first.Id, DurationMinutes = 720 }));
        Assert.Equal(second.Id, longer.ConflictingSessionId());
        Assert.Equal(before, await instructor.AllSessionsAsync());

        var backToBack = await instructor.Sessions.UpdateSessionAsync(new UpdateSessionRequest { SessionId = second.Id, PlannedStart = Ts(Shanghai(1, 21, 0)) });
        Assert.Equal(Shanghai(1, 21, 0), backToBack.PlannedStart.ToDateTimeOffset());
        // Moving a session within its own time is no conflict with itself.
        var shifted = await instructor.Sessions.UpdateSessionAsync(new UpdateSessionRequest { SessionId = first.Id, PlannedStart = Ts(Shanghai(1, 19, 0)) });
        Assert.Equal(Shanghai(1, 20, 30), shifted.PlannedEnd.ToDateTimeOffset());
    }

    [Fact]
    public async Task A_stale_expected_version_is_aborted_and_nothing_changes()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var session = await instructor.ScheduleAsync(Shanghai(1, 19, 30));
        var edited = await instructor.Sessions.UpdateSessionAsync(new UpdateSessionRequest { SessionId = session.Id, Title = "新标题" });
        var before = await instructor.AllSessionsAsync();

        await Refusal.AssertAsync(StatusCode.Aborted, "expected_version", async () => await instructor.Sessions.UpdateSessionAsync(
            new UpdateSessionRequest { SessionId = session.Id, PlannedStart = Ts(Shanghai(2, 19, 30)), ExpectedVersion = session.Version }));
        await Refusal.AssertAsync(StatusCode.Aborted, "expected_version", async () => await instructor.Sessions.CancelSessionAsync(
            new CancelSessionRequest { SessionId = session.Id, ExpectedVersion = session.Version }));

        Assert.Equal(before, await instructor.AllSessionsAsync());
        Assert.Equal(edited.Version, (await instructor.GetAsync(session.Id)).Version);
    }

    [Fact]
    public async Task A_reminder_racing_a_reschedule_never_announces_the_old_start()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var viewer = await app.CreateUserAsync("xiaowang");
        var start = Shanghai(1, 19, 30);
        var session = await instructor.ScheduleAsync(start);
        await viewer.ReserveAsync(session.Id);
        var database = app.Services.GetRequiredService<Database>();

        // A reschedule in flight, an hour later and not yet committed, as the reminder for the old start runs.
        await using var rescheduling = await database.OpenAsync(CancellationToken.None);
        await using var tx = await rescheduling.BeginTransactionAsync();
        await rescheduling.ExecuteAsync(
            "UPDATE sessions SET planned_start_ms = planned_start_ms + 3600000, planned_end_ms = planned_end_ms + 3600000, version = version + 1 WHERE id = @id",
            new { id = session.Id }, tx);
        var lifecycle = app.Services.GetRequiredService<SessionLifecycle>();
        var reminding = Task.Run(() => lifecycle.RemindAsync(session.Id, start.ToUnixTimeMilliseconds(), CancellationToken.None));
        if (TestStore.IsPostgres)
        {
            // Commit once the reminder has decided or waits on the row (SQLite's single writer makes it wait anyway).
            await Wait.UntilAsync(async () => reminding.IsCompleted || await WaitsOnALockAsync(database), done => done, what: "the reminder reading the row");
        }
        await tx.CommitAsync();
        await reminding.WaitAsync(Wait.DefaultDeadline);

        Assert.DoesNotContain(await viewer.NotificationsAsync(), n => n.Kind == NotificationKind.Reminder);
    }

    private static async Task<bool> WaitsOnALockAsync(Database database)
    {
        await using var connection = await database.OpenAsync(CancellationToken.None);
        return await connection.ExecuteScalarAsync<long>(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'") > 0;
    }

    [Fact]
    public async Task Cancelling_removes_the_triggers_and_tells_reserved_viewers()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var viewer = await app.CreateUserAsync("xiaowang");
        var start = Shanghai(1, 19, 30);
        var session = await instructor.ScheduleAsync(start, minutes: 90);
        await viewer.ReserveAsync(session.Id);

        var cancelled = await instructor.Sessions.CancelSessionAsync(new CancelSessionRequest { SessionId = session.Id, Reason = "讲师临时出差", ExpectedVersion = session.Version });

        Assert.Equal(SessionStatus.Cancelled, cancelled.Status);
        Assert.Equal("讲师临时出差", cancelled.CancelReason);
        var notice = Assert.Single(await viewer.NotificationsAsync());
        Assert.Equal(NotificationKind.Cancelled, notice.Kind);
        Assert.Contains("讲师临时出差", notice.Text, StringComparison.Ordinal);

        // Its time is free again.
        var replacement = await instructor.ScheduleAsync(start.AddMinutes(30), minutes: 30, title: "改期后的第19章");
        Assert.Equal(SessionStatus.Scheduled, replacement.Status);

        await app.AdvanceToAsync(start.AddMinutes(-15));
        await app.AdvanceToAsync(start);
        await app.AdvanceToAsync(start.AddMinutes(90));
        Assert.Equal(SessionStatus.Cancelled, (await viewer.GetAsync(session.Id)).Status);
        Assert.Single(await viewer.NotificationsAsync());
        Assert.Equal(SessionStatus.Ended, (await viewer.GetAsync(replacement.Id)).Status);
    }

    [Fact]
    public async Task A_cancel_reason_over_500_characters_is_refused_and_nothing_changes()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var session = await instructor.ScheduleAsync(Shanghai(1, 19, 30));
        var before = await instructor.AllSessionsAsync();

        await Refusal.AssertAsync(StatusCode.InvalidArgument, "reason", async () => await instructor.Sessions.CancelSessionAsync(
            new CancelSessionRequest { SessionId = session.Id, Reason = new string('因', 501) }));

        Assert.Equal(before, await instructor.AllSessionsAsync());
        var cancelled = await instructor.Sessions.CancelSessionAsync(new CancelSessionRequest { SessionId = session.Id, Reason = new string('因', 500) });
        Assert.Equal(SessionStatus.Cancelled, cancelled.Status);
    }

    [Fact]
    public async Task A_cancelled_or_live_session_cannot_be_cancelled_or_rescheduled()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var viewer = await app.CreateUserAsync("xiaowang");
        var cancelled = await instructor.ScheduleAsync(Shanghai(2, 19, 30));
        await viewer.ReserveAsync(cancelled.Id);
        await instructor.Sessions.CancelSessionAsync(new CancelSessionRequest { SessionId = cancelled.Id });
        var live = await instructor.ScheduleAsync(app.Now().AddMinutes(10));
        await instructor.Sessions.GoLiveAsync(new GoLiveRequest { SessionId = live.Id });
        var before = await instructor.AllSessionsAsync();

        await Refusal.AssertAsync(StatusCode.FailedPrecondition, "session_id", async () => await instructor.Sessions.CancelSessionAsync(new CancelSessionRequest { SessionId = cancelled.Id }));
        await Refusal.AssertAsync(StatusCode.FailedPrecondition, "session_id", async () => await instructor.Sessions.UpdateSessionAsync(new UpdateSessionRequest { SessionId = cancelled.Id, PlannedStart = Ts(Shanghai(3, 19, 30)) }));
        await Refusal.AssertAsync(StatusCode.FailedPrecondition, "session_id", async () => await instructor.Sessions.CancelSessionAsync(new CancelSessionRequest { SessionId = live.Id }));
        await Refusal.AssertAsync(StatusCode.FailedPrecondition, "planned_start", async () => await instructor.Sessions.UpdateSessionAsync(new UpdateSessionRequest { SessionId = live.Id, PlannedStart = Ts(Shanghai(3, 19, 30)) }));

        Assert.Equal(before, await instructor.AllSessionsAsync());
        Assert.Single(await viewer.NotificationsAsync());
    }

    [Fact]
    public async Task Unknown_or_another_instructors_session_is_refused_and_nothing_changes()
    {
        await using var app = await Scenario.StartAsync();
        var wan = await app.CreateUserAsync("wanhongcoco", "instructor");
        var li = await app.CreateUserAsync("li", "instructor");
        var session = await wan.ScheduleAsync(Shanghai(1, 19, 30));
        var before = await wan.AllSessionsAsync();

        await Refusal.AssertAsync(StatusCode.NotFound, "session_id", async () => await wan.Sessions.UpdateSessionAsync(new UpdateSessionRequest { SessionId = "s_missing", Title = "x" }));
        await Refusal.AssertAsync(StatusCode.NotFound, "session_id", async () => await wan.Sessions.CancelSessionAsync(new CancelSessionRequest { SessionId = "s_missing" }));
        await Refusal.AssertAsync(StatusCode.PermissionDenied, "session_id", async () => await li.Sessions.UpdateSessionAsync(new UpdateSessionRequest { SessionId = session.Id, Title = "抢课" }));
        await Refusal.AssertAsync(StatusCode.PermissionDenied, "session_id", async () => await li.Sessions.UpdateSessionAsync(new UpdateSessionRequest { SessionId = session.Id, PlannedStart = Ts(Shanghai(3, 19, 30)) }));
        await Refusal.AssertAsync(StatusCode.PermissionDenied, "session_id", async () => await li.Sessions.CancelSessionAsync(new CancelSessionRequest { SessionId = session.Id }));

        Assert.Equal(before, await wan.AllSessionsAsync());
    }
}
