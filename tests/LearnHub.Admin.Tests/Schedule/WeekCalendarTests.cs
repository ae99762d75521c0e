using LearnHub.Admin.Components.Pages.Schedule;
using LearnHub.Admin.Tests.Infrastructure;
using LearnHub.Api.V1;

namespace LearnHub.Admin.Tests.Schedule;

public sealed class WeekCalendarTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    // The fake clock is Friday 2026-05-01 02:00 UTC, so "this week" starts on Monday 2026-04-27 in both zones.
    [Theory]
    [InlineData("Asia/Shanghai", "2026-04-29", "01:30–02:30", "2026-04-26T16:00:00+00:00")]
    [InlineData("UTC", "2026-04-28", "17:30–18:30", "2026-04-27T00:00:00+00:00")]
    public async Task A_session_is_on_its_day_in_the_users_zone(string zone, string day, string times, string weekStartUtc)
    {
        await using var context = ScheduleFakes.Context(zone);
        var session = ScheduleFakes.Session("s1", "经济基础第19章考点梳理", new DateTimeOffset(2026, 4, 28, 17, 30, 0, TimeSpan.Zero), reservations: 54);
        Serve(context, session);

        var cut = context.RenderWithProviders<MySchedule>();

        cut.WaitForAssertion(() =>
        {
            var chip = cut.Find($"[data-testid=calendar-day-{day}] [data-testid=session-chip-s1]");
            Assert.Contains(times, chip.TextContent, StringComparison.Ordinal);
            Assert.Contains("经济基础第19章考点梳理", chip.TextContent, StringComparison.Ordinal);
            Assert.Contains("未开播", chip.TextContent, StringComparison.Ordinal);
            Assert.Contains("预约 54", chip.TextContent, StringComparison.Ordinal);
            Assert.EndsWith("sessions/s1", chip.GetAttribute("href"), StringComparison.Ordinal);
        }, Timeout);
        Assert.Single(cut.FindAll("[data-testid^=session-chip-]"));
        Assert.Equal(7, cut.FindAll("[data-testid^=calendar-day-]").Count);
        var request = Assert.Single(context.Api.RequestsTo<ListSessionsRequest>("ListSessions"));
        Assert.Equal(ScheduleFakes.Me, request.InstructorId);
        // From the day before the week: a session running over midnight into Monday is shown there too.
        Assert.Equal(DateTimeOffset.Parse(weekStartUtc, System.Globalization.CultureInfo.InvariantCulture).AddDays(-1), request.StartFrom.ToDateTimeOffset());
        Assert.Equal(TimeSpan.FromDays(8), request.StartBefore.ToDateTimeOffset() - request.StartFrom.ToDateTimeOffset());
    }

    [Fact]
    public async Task Week_navigation_loads_and_shows_the_other_week()
    {
        await using var context = ScheduleFakes.Context();
        var thisWeek = ScheduleFakes.Session("s_this", "经济基础第19章考点梳理", new DateTimeOffset(2026, 4, 30, 11, 30, 0, TimeSpan.Zero));
        var nextWeek = ScheduleFakes.Session("s_next", "经济基础第20章考点梳理", new DateTimeOffset(2026, 5, 6, 11, 30, 0, TimeSpan.Zero), status: SessionStatus.Cancelled);
        Serve(context, thisWeek, nextWeek);
        var cut = context.RenderWithProviders<MySchedule>();
        cut.WaitForElement("[data-testid=calendar-day-2026-04-30] [data-testid=session-chip-s_this]", Timeout);
        Assert.Empty(cut.FindAll("[data-testid=session-chip-s_next]"));

        ScheduleUi.Click(cut, "week-next");

        cut.WaitForAssertion(() =>
        {
            Assert.Contains("已取消", cut.Find("[data-testid=calendar-day-2026-05-06] [data-testid=session-chip-s_next]").TextContent, StringComparison.Ordinal);
            Assert.Empty(cut.FindAll("[data-testid=session-chip-s_this]"));
            Assert.Contains("2026-05-04 – 2026-05-10", cut.Find("[data-testid=week-range]").TextContent, StringComparison.Ordinal);
        }, Timeout);
        var request = context.Api.RequestsTo<ListSessionsRequest>("ListSessions").Last();
        Assert.Equal(new DateTimeOffset(2026, 5, 2, 16, 0, 0, TimeSpan.Zero), request.StartFrom.ToDateTimeOffset());
        Assert.Equal(new DateTimeOffset(2026, 5, 10, 16, 0, 0, TimeSpan.Zero), request.StartBefore.ToDateTimeOffset());

        ScheduleUi.Click(cut, "week-prev");
        ScheduleUi.Click(cut, "week-prev");
        cut.WaitForAssertion(() => Assert.Contains("2026-04-20 – 2026-04-26", cut.Find("[data-testid=week-range]").TextContent, StringComparison.Ordinal), Timeout);
        Assert.Empty(cut.FindAll("[data-testid^=session-chip-]"));
        Assert.Contains("暂无记录", cut.Find("[data-testid=week-empty]").TextContent, StringComparison.Ordinal);

        ScheduleUi.Click(cut, "week-this");
        cut.WaitForElement("[data-testid=calendar-day-2026-04-30] [data-testid=session-chip-s_this]", Timeout);
    }

    /// <summary>Answers ListSessions like the server: the sessions starting in [start_from, start_before).</summary>
    internal static void Serve(AdminTestContext context, params Session[] sessions) => context.Api
        .On<ListSessionsRequest, ListSessionsResponse>("ListSessions", r => new ListSessionsResponse
        {
            Sessions =
            {
                sessions.Where(s =>
                    (r.StartFrom is null || s.PlannedStart.ToDateTimeOffset() >= r.StartFrom.ToDateTimeOffset())
                    && (r.StartBefore is null || s.PlannedStart.ToDateTimeOffset() < r.StartBefore.ToDateTimeOffset())
                    && (r.Statuses.Count == 0 || r.Statuses.Contains(s.Status))
                    && (r.CourseId.Length == 0 || r.CourseId == s.CourseId)),
            },
        })
        .On<ListCoursesRequest, ListCoursesResponse>("ListCourses", _ => new ListCoursesResponse
        {
            Courses = { ScheduleFakes.Course("c1", "经济基础", "第19章", "第20章"), ScheduleFakes.Course("c2", "人力资源管理", "第1章") },
        });
}
