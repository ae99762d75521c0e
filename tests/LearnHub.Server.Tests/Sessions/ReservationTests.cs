using Grpc.Core;
using LearnHub.Api.V1;
using LearnHub.Server.Tests.Infrastructure;
using static LearnHub.Server.Tests.Infrastructure.Scenario;

namespace LearnHub.Server.Tests.Sessions;

public sealed class ReservationTests
{
    [Fact]
    public async Task Reserving_is_idempotent_and_counts_each_viewer_once()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var xiaowang = await app.CreateUserAsync("xiaowang");
        var other = await app.CreateUserAsync("demo-viewer-01");
        var session = await instructor.ScheduleAsync(Shanghai(1, 19, 30));

        var first = await xiaowang.Sessions.ReserveSessionAsync(new ReserveSessionRequest { SessionId = session.Id });
        app.Clock.Advance(TimeSpan.FromMinutes(1));
        var again = await xiaowang.Sessions.ReserveSessionAsync(new ReserveSessionRequest { SessionId = session.Id });

        Assert.Equal(session.Id, first.SessionId);
        Assert.Equal(xiaowang.Id, first.UserId);
        Assert.Equal(1, first.Session.ReservationCount);
        Assert.True(first.Session.ReservedByMe);
        Assert.Equal(1, again.Session.ReservationCount);
        Assert.Equal(first.CreateTime, again.CreateTime); // the first reservation stands

        await other.ReserveAsync(session.Id);
        Assert.Equal(2, (await instructor.GetAsync(session.Id)).ReservationCount);
        Assert.False((await instructor.GetAsync(session.Id)).ReservedByMe);
        Assert.True((await xiaowang.GetAsync(session.Id)).ReservedByMe);
    }

    [Fact]
    public async Task Cancelling_a_reservation_is_idempotent_and_lowers_the_count()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var viewer = await app.CreateUserAsync("xiaowang");
        var session = await instructor.ScheduleAsync(Shanghai(1, 19, 30));
        await viewer.ReserveAsync(session.Id);

        var cancelled = await viewer.Sessions.CancelReservationAsync(new CancelReservationRequest { SessionId = session.Id });
        var again = await viewer.Sessions.CancelReservationAsync(new CancelReservationRequest { SessionId = session.Id });

        Assert.True(cancelled.Cancelled);
        Assert.False(again.Cancelled);
        var after = await viewer.GetAsync(session.Id);
        Assert.Equal(0, after.ReservationCount);
        Assert.False(after.ReservedByMe);
        Assert.Empty((await viewer.Sessions.ListMyReservationsAsync(new ListMyReservationsRequest())).Reservations);

        // Without a reservation the viewer hears nothing of the session.
        await app.AdvanceToAsync(Shanghai(1, 19, 30));
        Assert.Empty(await viewer.NotificationsAsync());
        await Refusal.AssertAsync(StatusCode.NotFound, "session_id", async () => await viewer.Sessions.CancelReservationAsync(new CancelReservationRequest { SessionId = "s_missing" }));
    }

    [Fact]
    public async Task Lists_my_reservations_newest_first_and_past_ones_only_when_asked()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var viewer = await app.CreateUserAsync("xiaowang");
        var someoneElse = await app.CreateUserAsync("demo-viewer-01");
        var ch19 = await instructor.ScheduleAsync(Shanghai(1, 19, 30), title: "第19章");
        var ch20 = await instructor.ScheduleAsync(Shanghai(3, 19, 30), title: "第20章");
        var ch21 = await instructor.ScheduleAsync(Shanghai(5, 19, 30), title: "第21章");
        var notMine = await instructor.ScheduleAsync(Shanghai(6, 19, 30), title: "第22章");
        foreach (var id in new[] { ch19.Id, ch21.Id, ch20.Id })
        {
            await viewer.ReserveAsync(id);
            app.Clock.Advance(TimeSpan.FromSeconds(1));
        }
        await someoneElse.ReserveAsync(notMine.Id);
        await instructor.Sessions.CancelSessionAsync(new CancelSessionRequest { SessionId = ch21.Id });

        var current = await viewer.Sessions.ListMyReservationsAsync(new ListMyReservationsRequest());
        Assert.Equal([ch20.Id, ch19.Id], current.Reservations.Select(r => r.SessionId));
        Assert.All(current.Reservations, r => Assert.Equal(viewer.Id, r.UserId));
        Assert.All(current.Reservations, r => Assert.True(r.Session.ReservedByMe));

        var all = await viewer.Sessions.ListMyReservationsAsync(new ListMyReservationsRequest { IncludePast = true });
        Assert.Equal([ch20.Id, ch21.Id, ch19.Id], all.Reservations.Select(r => r.SessionId));
        Assert.Equal(SessionStatus.Cancelled, all.Reservations[1].Session.Status);

        var firstPage = await viewer.Sessions.ListMyReservationsAsync(new ListMyReservationsRequest { IncludePast = true, PageSize = 2 });
        var secondPage = await viewer.Sessions.ListMyReservationsAsync(new ListMyReservationsRequest { IncludePast = true, PageSize = 2, PageToken = firstPage.NextPageToken });
        Assert.Equal([ch20.Id, ch21.Id], firstPage.Reservations.Select(r => r.SessionId));
        Assert.Equal([ch19.Id], secondPage.Reservations.Select(r => r.SessionId));
        Assert.Empty(secondPage.NextPageToken);
    }

    [Fact]
    public async Task An_ended_or_cancelled_session_cannot_be_reserved()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var viewer = await app.CreateUserAsync("xiaowang");
        var early = await app.CreateUserAsync("demo-viewer-01");
        var ended = await instructor.ScheduleAsync(Shanghai(1, 19, 30), minutes: 30);
        var cancelled = await instructor.ScheduleAsync(Shanghai(2, 19, 30));
        await early.ReserveAsync(ended.Id);
        await early.ReserveAsync(cancelled.Id);
        await instructor.Sessions.CancelSessionAsync(new CancelSessionRequest { SessionId = cancelled.Id });
        await app.AdvanceToAsync(Shanghai(1, 19, 30));
        var live = await viewer.GetAsync(ended.Id);
        Assert.Equal(SessionStatus.Live, live.Status);
        await Refusal.AssertAsync(StatusCode.FailedPrecondition, "session_id", async () => await viewer.Sessions.ReserveSessionAsync(new ReserveSessionRequest { SessionId = ended.Id }));
        await app.AdvanceToAsync(Shanghai(1, 20, 0));
        var before = await viewer.AllSessionsAsync();
        Assert.Equal(SessionStatus.Ended, before.Single(s => s.Id == ended.Id).Status);

        await Refusal.AssertAsync(StatusCode.FailedPrecondition, "session_id", async () => await viewer.Sessions.ReserveSessionAsync(new ReserveSessionRequest { SessionId = ended.Id }));
        await Refusal.AssertAsync(StatusCode.FailedPrecondition, "session_id", async () => await viewer.Sessions.ReserveSessionAsync(new ReserveSessionRequest { SessionId = cancelled.Id }));
        await Refusal.AssertAsync(StatusCode.NotFound, "session_id", async () => await viewer.Sessions.ReserveSessionAsync(new ReserveSessionRequest { SessionId = "s_missing" }));

        Assert.Equal(before, await viewer.AllSessionsAsync());
        Assert.All(before, s => Assert.Equal(1, s.ReservationCount));
        Assert.Empty((await viewer.Sessions.ListMyReservationsAsync(new ListMyReservationsRequest { IncludePast = true })).Reservations);
    }
}
