using LearnHub.Api.V1;
using LearnHub.Server.Tests.Infrastructure;
using LearnHub.Server.Tests.Sessions;
using Microsoft.Extensions.Time.Testing;

namespace LearnHub.Server.Tests.Durability;

/// <summary>
/// The late-start steps survive restarts: a step that came due while the host was down runs once when a host with
/// ingest starts again on the same store, and a step already run never runs again. As in <see cref="RestartTests"/>,
/// the stopped host's fake clock moves on while nothing runs and is handed to the next host.
/// </summary>
public sealed class LateStartRestartTests
{
    [Fact]
    public async Task Late_notice_and_not_held_due_while_stopped_each_reach_every_reserver_once()
    {
        var settings = LateStartTests.Ingest();
        await using var first = await LearnHubApp.StartAsync(settings, clock: new FakeTimeProvider(Scenario.Start) { AutoAdvanceAmount = TimeSpan.Zero });
        var (instructor, viewers) = await LateStartTests.CreatePeopleAsync(first);
        var start = Scenario.Shanghai(1, 20, 0);
        var session = await instructor.ScheduleAsync(start, minutes: 90);
        await LateStartTests.ReserveAllAsync(viewers, session.Id);
        await first.AdvanceToAsync(start.AddMinutes(5));
        await first.StopAsync();

        // Down across the late notice.
        first.Clock.SetUtcNow(start.AddMinutes(11));
        await using (var second = await LearnHubApp.StartAsync(settings, first.DataDirectory, first.Clock))
        {
            var onSecond = viewers.Select(v => v.On(second)).ToArray();
            await Wait.UntilAsync(() => CountAsync(onSecond[1], session.Id, NotificationKind.LateStart), n => n == 1, what: "late notice after the restart");
            await second.AdvanceToAsync(start.AddMinutes(11));
            await LateStartTests.AssertEachGotAsync(onSecond, session.Id, NotificationKind.LateStart, 1);
            Assert.Equal(SessionStatus.Scheduled, (await onSecond[0].GetAsync(session.Id)).Status);
            await second.StopAsync();
        }

        // Down across the not-held step.
        first.Clock.SetUtcNow(start.AddMinutes(61));
        await using (var third = await LearnHubApp.StartAsync(settings, first.DataDirectory, first.Clock))
        {
            var onThird = viewers.Select(v => v.On(third)).ToArray();
            var notHeld = await Wait.UntilAsync(() => onThird[0].GetAsync(session.Id), s => s.Status == SessionStatus.Cancelled, what: "not held after the restart");
            Assert.True(notHeld.NotHeld);
            await third.AdvanceToAsync(start.AddMinutes(61));
            await LateStartTests.AssertEachGotAsync(onThird, session.Id, NotificationKind.NotHeld, 1);
            await third.StopAsync();
        }

        // Once more, past the planned end: nothing runs twice.
        first.Clock.SetUtcNow(start.AddMinutes(120));
        await using var fourth = await LearnHubApp.StartAsync(settings, first.DataDirectory, first.Clock);
        await fourth.AdvanceToAsync(start.AddMinutes(121));
        var onFourth = viewers.Select(v => v.On(fourth)).ToArray();
        var final = await onFourth[0].GetAsync(session.Id);
        Assert.Equal((SessionStatus.Cancelled, true), (final.Status, final.NotHeld));
        await LateStartTests.AssertEachGotAsync(onFourth, session.Id, NotificationKind.LateStart, 1);
        await LateStartTests.AssertEachGotAsync(onFourth, session.Id, NotificationKind.NotHeld, 1);
        await LateStartTests.AssertEachGotAsync(onFourth, session.Id, NotificationKind.WentLive, 0);
    }

    [Fact]
    public async Task Down_across_both_steps_reservers_hear_only_that_it_was_not_held()
    {
        var settings = LateStartTests.Ingest();
        await using var first = await LearnHubApp.StartAsync(settings, clock: new FakeTimeProvider(Scenario.Start) { AutoAdvanceAmount = TimeSpan.Zero });
        var (instructor, viewers) = await LateStartTests.CreatePeopleAsync(first);
        var start = Scenario.Shanghai(1, 20, 0);
        var session = await instructor.ScheduleAsync(start, minutes: 90);
        await LateStartTests.ReserveAllAsync(viewers, session.Id);
        await first.StopAsync();

        first.Clock.SetUtcNow(start.AddMinutes(75));
        await using var second = await LearnHubApp.StartAsync(settings, first.DataDirectory, first.Clock);
        var onSecond = viewers.Select(v => v.On(second)).ToArray();
        await Wait.UntilAsync(() => onSecond[0].GetAsync(session.Id), s => s.Status == SessionStatus.Cancelled, what: "not held after the restart");
        await second.AdvanceToAsync(start.AddMinutes(75));
        await LateStartTests.AssertEachGotAsync(onSecond, session.Id, NotificationKind.NotHeld, 1);
        await LateStartTests.AssertEachGotAsync(onSecond, session.Id, NotificationKind.LateStart, 0);
        await LateStartTests.AssertEachGotAsync(onSecond, session.Id, NotificationKind.WentLive, 0);
    }

    [Fact]
    public async Task Bounds_shortened_across_a_restart_apply_to_the_session_already_scheduled()
    {
        await using var first = await LearnHubApp.StartAsync(LateStartTests.Ingest(), clock: new FakeTimeProvider(Scenario.Start) { AutoAdvanceAmount = TimeSpan.Zero });
        var (instructor, viewers) = await LateStartTests.CreatePeopleAsync(first);
        var start = Scenario.Shanghai(1, 20, 0);
        var session = await instructor.ScheduleAsync(start, minutes: 90);
        await LateStartTests.ReserveAllAsync(viewers, session.Id);
        await first.StopAsync();

        // Its triggers were written for +10 and +60 min; the new host says +5 and +20.
        await using var second = await LearnHubApp.StartAsync(
            LateStartTests.Ingest(lateNoticeAfter: "00:05:00", notHeldAfter: "00:20:00"), first.DataDirectory, first.Clock);
        var onSecond = viewers.Select(v => v.On(second)).ToArray();
        await second.AdvanceToAsync(start.AddMinutes(19));
        await LateStartTests.AssertEachGotAsync(onSecond, session.Id, NotificationKind.LateStart, 1);
        Assert.Equal(SessionStatus.Scheduled, (await onSecond[0].GetAsync(session.Id)).Status);

        // The overdue pass runs the step once it is 10 s overdue: move the clock on a second at a time until it has.
        await second.AdvanceToAsync(start.AddMinutes(20));
        var notHeld = await Wait.UntilAsync(
            async () =>
            {
                if (second.Now() < start.AddMinutes(21))
                {
                    second.Clock.Advance(TimeSpan.FromSeconds(1));
                }
                return await onSecond[0].GetAsync(session.Id);
            },
            s => s.Status == SessionStatus.Cancelled, what: "not held at the new bound");
        Assert.True(notHeld.NotHeld);
        Assert.True(second.Now() < start.AddMinutes(21), $"not held only at {second.Now():O}");
        await LateStartTests.AssertEachGotAsync(onSecond, session.Id, NotificationKind.NotHeld, 1);
    }

    private static async Task<int> CountAsync(TestUser viewer, string sessionId, NotificationKind kind) =>
        (await viewer.NotificationsAsync()).Count(n => n.SessionId == sessionId && n.Kind == kind);
}
