using LearnHub.Admin.Components.Pages.Sessions;
using LearnHub.Admin.Tests.Infrastructure;
using LearnHub.Api.V1;

namespace LearnHub.Admin.Tests.Schedule;

public sealed class SessionPageTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);
    private static readonly DateTimeOffset Start = new(2026, 5, 4, 11, 30, 0, TimeSpan.Zero);

    [Fact]
    public async Task The_page_shows_the_times_in_the_users_zone_and_the_sessions_own_zone()
    {
        await using var context = ScheduleFakes.Context();
        var session = ScheduleFakes.Session("s1", "经济基础第19章考点梳理", Start, minutes: 90, reservations: 54);
        session.TimeZone = "Europe/London";
        session.CourseId = "c1";
        session.ChapterId = "c1_ch1";
        context.Api
            .On<GetSessionRequest, Session>("GetSession", _ => session)
            .On<GetCourseRequest, Course>("GetCourse", _ => ScheduleFakes.Course("c1", "经济基础", "第19章"));

        var cut = context.RenderWithProviders<SessionPage>(p => p.Add(x => x.SessionId, "s1"));

        cut.WaitForAssertion(() =>
        {
            Assert.Equal("2026-05-04 19:30 – 21:00", cut.Find("[data-testid=session-start-user]").TextContent.Trim());
            Assert.Equal("2026-05-04 12:30 – 14:00", cut.Find("[data-testid=session-start-zone]").TextContent.Trim());
            Assert.Equal("54", cut.Find("[data-testid=session-reservations]").TextContent.Trim());
            Assert.Equal("经济基础 / 第19章", cut.Find("[data-testid=session-course]").TextContent.Trim());
            Assert.Contains("未开播", cut.Find("[data-testid=session-status]").TextContent, StringComparison.Ordinal);
        }, Timeout);
        Assert.NotEmpty(cut.FindAll("[data-testid=golive]"));
        Assert.Empty(cut.FindAll("[data-testid=end]"));
    }

    [Fact]
    public async Task Going_live_too_early_shows_the_servers_refusal()
    {
        await using var context = ScheduleFakes.Context();
        const string refusal = "最早可在开播前 30 分钟开播 (too early to go live).";
        context.Api
            .On<GetSessionRequest, Session>("GetSession", _ => ScheduleFakes.Session("s1", "经济基础第19章考点梳理", Start))
            .On<GoLiveRequest, Session>("GoLive", _ => throw ScheduleFakes.FailedPrecondition("session_id", refusal));
        var cut = context.RenderWithProviders<SessionPage>(p => p.Add(x => x.SessionId, "s1"));
        cut.WaitForElement("[data-testid=golive]", Timeout);

        ScheduleUi.Click(cut, "golive");

        cut.WaitForAssertion(() => Assert.Contains(refusal, cut.Find("[data-testid=session-action-error]").TextContent, StringComparison.Ordinal), Timeout);
        Assert.Contains("未开播", cut.Find("[data-testid=session-status]").TextContent, StringComparison.Ordinal);
        Assert.Equal("s1", Assert.Single(context.Api.RequestsTo<GoLiveRequest>("GoLive")).SessionId);
    }

    [Fact]
    public async Task A_live_session_is_extended_and_ended_after_confirmation()
    {
        await using var context = ScheduleFakes.Context();
        var session = ScheduleFakes.Session("s1", "经济基础第19章考点梳理", Start, status: SessionStatus.Live);
        context.Api
            .On<GetSessionRequest, Session>("GetSession", _ => session)
            .On<ExtendSessionRequest, Session>("ExtendSession", r =>
            {
                session = ScheduleFakes.Session("s1", session.Title, Start, minutes: session.DurationMinutes + r.Minutes, status: SessionStatus.Live);
                return session;
            })
            .On<EndSessionRequest, Session>("EndSession", _ => ScheduleFakes.Session("s1", session.Title, Start, status: SessionStatus.Ended));
        var cut = context.RenderWithProviders<SessionPage>(p => p.Add(x => x.SessionId, "s1"));
        cut.WaitForElement("[data-testid=extend]", Timeout);

        ScheduleUi.Enter(cut, "extend-minutes", "30");
        ScheduleUi.Click(cut, "extend");
        cut.WaitForAssertion(() => Assert.Equal("90", cut.Find("[data-testid=session-duration-value]").TextContent.Trim()), Timeout);
        Assert.Equal(30, Assert.Single(context.Api.RequestsTo<ExtendSessionRequest>("ExtendSession")).Minutes);

        ScheduleUi.Click(cut, "end");
        cut.WaitForElement("[data-testid=confirm-yes]", Timeout);
        Assert.Empty(context.Api.RequestsTo<EndSessionRequest>("EndSession"));
        ScheduleUi.Click(cut, "confirm-yes");

        cut.WaitForAssertion(() => Assert.Contains("已结束", cut.Find("[data-testid=session-status]").TextContent, StringComparison.Ordinal), Timeout);
        Assert.Single(context.Api.RequestsTo<EndSessionRequest>("EndSession"));
        Assert.Empty(cut.FindAll("[data-testid=end]"));
    }

    [Fact]
    public async Task Cancelling_asks_for_confirmation_and_sends_the_reason()
    {
        await using var context = ScheduleFakes.Context();
        context.Api
            .On<GetSessionRequest, Session>("GetSession", _ => ScheduleFakes.Session("s1", "经济基础第19章考点梳理", Start, reservations: 3, version: 4))
            .On<CancelSessionRequest, Session>("CancelSession", r =>
            {
                var cancelled = ScheduleFakes.Session("s1", "经济基础第19章考点梳理", Start, status: SessionStatus.Cancelled, version: 5);
                cancelled.CancelReason = r.Reason;
                return cancelled;
            });
        var cut = context.RenderWithProviders<SessionPage>(p => p.Add(x => x.SessionId, "s1"));
        cut.WaitForElement("[data-testid=session-cancel]", Timeout);

        ScheduleUi.Click(cut, "session-cancel");
        cut.WaitForElement("[data-testid=confirm-yes]", Timeout);
        ScheduleUi.Enter(cut, "cancel-reason", "讲师临时有事");
        ScheduleUi.Click(cut, "confirm-yes");

        cut.WaitForAssertion(() => Assert.Contains("已取消", cut.Find("[data-testid=session-status]").TextContent, StringComparison.Ordinal), Timeout);
        var request = Assert.Single(context.Api.RequestsTo<CancelSessionRequest>("CancelSession"));
        Assert.Equal("讲师临时有事", request.Reason);
        Assert.Equal(4, request.ExpectedVersion);
        Assert.Equal("讲师临时有事", cut.Find("[data-testid=session-cancel-reason]").TextContent.Trim());
    }
}
