using Grpc.Core;
using LearnHub.Api.V1;
using LearnHub.Server.Tests.Infrastructure;
using static LearnHub.Server.Tests.Infrastructure.Scenario;

namespace LearnHub.Server.Tests.Sessions;

public sealed class LiveControlsTests
{
    [Fact]
    public async Task Going_live_30_minutes_early_is_allowed_and_the_scheduled_go_live_then_does_nothing()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var viewer = await app.CreateUserAsync("xiaowang");
        var start = Shanghai(1, 19, 30);
        var session = await instructor.ScheduleAsync(start, minutes: 90);
        await viewer.ReserveAsync(session.Id);
        await app.AdvanceToAsync(start.AddMinutes(-30));

        var live = await instructor.Sessions.GoLiveAsync(new GoLiveRequest { SessionId = session.Id });

        Assert.Equal(SessionStatus.Live, live.Status);
        Assert.Equal(start.AddMinutes(-30), live.LiveAt.ToDateTimeOffset());
        Assert.Equal(start, live.PlannedStart.ToDateTimeOffset()); // the plan stays; the live time is recorded apart
        await app.AdvanceToAsync(start);
        Assert.Equal(SessionStatus.Live, (await viewer.GetAsync(session.Id)).Status);
        // Live before the reminder was due: the went-live notice replaces it, once.
        Assert.Equal(NotificationKind.WentLive, Assert.Single(await viewer.NotificationsAsync()).Kind);
        await app.AdvanceToAsync(start.AddMinutes(90));
        Assert.Equal(SessionStatus.Ended, (await viewer.GetAsync(session.Id)).Status);
    }

    [Fact]
    public async Task Going_live_31_minutes_early_is_refused_and_nothing_changes()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var viewer = await app.CreateUserAsync("xiaowang");
        var start = Shanghai(1, 19, 30);
        var session = await instructor.ScheduleAsync(start);
        await viewer.ReserveAsync(session.Id);
        await app.AdvanceToAsync(start.AddMinutes(-31));
        var before = await instructor.AllSessionsAsync();

        await Refusal.AssertAsync(StatusCode.FailedPrecondition, "session_id", async () => await instructor.Sessions.GoLiveAsync(new GoLiveRequest { SessionId = session.Id }));

        Assert.Equal(before, await instructor.AllSessionsAsync());
        Assert.DoesNotContain(await viewer.NotificationsAsync(), n => n.Kind == NotificationKind.WentLive);
    }

    [Fact]
    public async Task Going_live_early_cannot_cut_into_the_previous_session()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var previous = await instructor.ScheduleAsync(Shanghai(1, 18, 0), minutes: 90); // until 19:30
        var next = await instructor.ScheduleAsync(Shanghai(1, 19, 30));
        await app.AdvanceToAsync(Shanghai(1, 19, 10));

        var refusal = await Refusal.AssertAsync(StatusCode.FailedPrecondition, "session_id", async () => await instructor.Sessions.GoLiveAsync(new GoLiveRequest { SessionId = next.Id }));

        Assert.Equal(previous.Id, refusal.ConflictingSessionId());
        Assert.Equal(SessionStatus.Scheduled, (await instructor.GetAsync(next.Id)).Status);
    }

    [Fact]
    public async Task Ending_early_ends_now_and_the_auto_end_then_does_nothing()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var start = Shanghai(1, 19, 30);
        var session = await instructor.ScheduleAsync(start, minutes: 90);
        await app.AdvanceToAsync(start);
        await app.AdvanceToAsync(start.AddMinutes(40));

        var ended = await instructor.Sessions.EndSessionAsync(new EndSessionRequest { SessionId = session.Id });

        Assert.Equal(SessionStatus.Ended, ended.Status);
        Assert.Equal(start.AddMinutes(40), ended.EndedAt.ToDateTimeOffset());
        await app.AdvanceToAsync(start.AddMinutes(90));
        var after = await instructor.GetAsync(session.Id);
        Assert.Equal(SessionStatus.Ended, after.Status);
        Assert.Equal(start.AddMinutes(40), after.EndedAt.ToDateTimeOffset());
        await Refusal.AssertAsync(StatusCode.FailedPrecondition, "session_id", async () => await instructor.Sessions.EndSessionAsync(new EndSessionRequest { SessionId = session.Id }));
        await Refusal.AssertAsync(StatusCode.FailedPrecondition, "session_id", async () => await instructor.Sessions.GoLiveAsync(new GoLiveRequest { SessionId = session.Id }));
        await Refusal.AssertAsync(StatusCode.FailedPrecondition, "session_id", async () => await instructor.Sessions.ExtendSessionAsync(new ExtendSessionRequest { SessionId = session.Id, Minutes = 10 }));
        Assert.Equal(after, await instructor.GetAsync(session.Id));
    }

    [Fact]
    public async Task Extending_moves_the_auto_end()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var start = Shanghai(1, 19, 30);
        var session = await instructor.ScheduleAsync(start, minutes: 90);
        await app.AdvanceToAsync(start.AddMinutes(60));

        var extended = await instructor.Sessions.ExtendSessionAsync(new ExtendSessionRequest { SessionId = session.Id, Minutes = 30 });

        Assert.Equal(120, extended.DurationMinutes);
        Assert.Equal(start.AddMinutes(120), extended.PlannedEnd.ToDateTimeOffset());
        await app.AdvanceToAsync(start.AddMinutes(90));
        Assert.Equal(SessionStatus.Live, (await instructor.GetAsync(session.Id)).Status);
        await app.AdvanceToAsync(start.AddMinutes(120));
        var ended = await instructor.GetAsync(session.Id);
        Assert.Equal(SessionStatus.Ended, ended.Status);
        Assert.Equal(start.AddMinutes(120), ended.EndedAt.ToDateTimeOffset());
    }

    [Fact]
    public async Task Extending_past_12_hours_is_refused_and_up_to_12_hours_is_allowed()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var start = Shanghai(1, 8, 0);
        var session = await instructor.ScheduleAsync(start, minutes: 700);
        await app.AdvanceToAsync(start);
        var before = await instructor.AllSessionsAsync();

        await Refusal.AssertAsync(StatusCode.InvalidArgument, "minutes", async () => await instructor.Sessions.ExtendSessionAsync(new ExtendSessionRequest { SessionId = session.Id, Minutes = 21 }));
        await Refusal.AssertAsync(StatusCode.InvalidArgument, "minutes", async () => await instructor.Sessions.ExtendSessionAsync(new ExtendSessionRequest { SessionId = session.Id, Minutes = 0 }));
        await Refusal.AssertAsync(StatusCode.InvalidArgument, "minutes", async () => await instructor.Sessions.ExtendSessionAsync(new ExtendSessionRequest { SessionId = session.Id, Minutes = 721 }));
        Assert.Equal(before, await instructor.AllSessionsAsync());

        var twelveHours = await instructor.Sessions.ExtendSessionAsync(new ExtendSessionRequest { SessionId = session.Id, Minutes = 20 });
        Assert.Equal(720, twelveHours.DurationMinutes);
        await Refusal.AssertAsync(StatusCode.InvalidArgument, "minutes", async () => await instructor.Sessions.ExtendSessionAsync(new ExtendSessionRequest { SessionId = session.Id, Minutes = 1 }));
    }

    [Fact]
    public async Task Extending_into_the_next_session_is_refused_naming_it()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var start = Shanghai(1, 19, 30);
        var session = await instructor.ScheduleAsync(start, minutes: 90); // until 21:00
        var next = await instructor.ScheduleAsync(Shanghai(1, 21, 30), title: "课后答疑");
        await app.AdvanceToAsync(start);

        var refusal = await Refusal.AssertAsync(StatusCode.FailedPrecondition, "minutes", async () => await instructor.Sessions.ExtendSessionAsync(new ExtendSessionRequest { SessionId = session.Id, Minutes = 31 }));
        Assert.Equal(next.Id, refusal.ConflictingSessionId());
        Assert.Equal(90, (await instructor.GetAsync(session.Id)).DurationMinutes);

        var upToNext = await instructor.Sessions.ExtendSessionAsync(new ExtendSessionRequest { SessionId = session.Id, Minutes = 30 });
        Assert.Equal(next.PlannedStart, upToNext.PlannedEnd);
    }

    [Fact]
    public async Task A_scheduled_session_cannot_be_ended_or_extended_and_a_cancelled_one_cannot_go_live()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var scheduled = await instructor.ScheduleAsync(app.Now().AddMinutes(20));
        var cancelled = await instructor.ScheduleAsync(app.Now().AddMinutes(120));
        await instructor.Sessions.CancelSessionAsync(new CancelSessionRequest { SessionId = cancelled.Id });
        var before = await instructor.AllSessionsAsync();

        await Refusal.AssertAsync(StatusCode.FailedPrecondition, "session_id", async () => await instructor.Sessions.EndSessionAsync(new EndSessionRequest { SessionId = scheduled.Id }));
        await Refusal.AssertAsync(StatusCode.FailedPrecondition, "session_id", async () => await instructor.Sessions.ExtendSessionAsync(new ExtendSessionRequest { SessionId = scheduled.Id, Minutes = 10 }));
        await Refusal.AssertAsync(StatusCode.FailedPrecondition, "session_id", async () => await instructor.Sessions.GoLiveAsync(new GoLiveRequest { SessionId = cancelled.Id }));

        Assert.Equal(before, await instructor.AllSessionsAsync());
    }

    [Fact]
    public async Task Live_controls_on_an_unknown_or_another_instructors_session_are_refused()
    {
        await using var app = await Scenario.StartAsync();
        var wan = await app.CreateUserAsync("wanhongcoco", "instructor");
        var li = await app.CreateUserAsync("li", "instructor");
        var session = await wan.ScheduleAsync(app.Now().AddMinutes(20));
        var before = await wan.AllSessionsAsync();

        await Refusal.AssertAsync(StatusCode.NotFound, "session_id", async () => await wan.Sessions.GoLiveAsync(new GoLiveRequest { SessionId = "s_missing" }));
        await Refusal.AssertAsync(StatusCode.NotFound, "session_id", async () => await wan.Sessions.EndSessionAsync(new EndSessionRequest { SessionId = "s_missing" }));
        await Refusal.AssertAsync(StatusCode.NotFound, "session_id", async () => await wan.Sessions.ExtendSessionAsync(new ExtendSessionRequest { SessionId = "s_missing", Minutes = 5 }));
        await Refusal.AssertAsync(StatusCode.PermissionDenied, "session_id", async () => await li.Sessions.GoLiveAsync(new GoLiveRequest { SessionId = session.Id }));
        Assert.Equal(before, await wan.AllSessionsAsync());

        await wan.Sessions.GoLiveAsync(new GoLiveRequest { SessionId = session.Id });
        var live = await wan.AllSessionsAsync();
        await Refusal.AssertAsync(StatusCode.PermissionDenied, "session_id", async () => await li.Sessions.EndSessionAsync(new EndSessionRequest { SessionId = session.Id }));
        await Refusal.AssertAsync(StatusCode.PermissionDenied, "session_id", async () => await li.Sessions.ExtendSessionAsync(new ExtendSessionRequest { SessionId = session.Id, Minutes = 5 }));
        Assert.Equal(live, await wan.AllSessionsAsync());
    }
}
