using LearnHub.Admin.Components.Pages.Schedule;
using LearnHub.Admin.Tests.Infrastructure;
using LearnHub.Api.V1;
using MudBlazor;

namespace LearnHub.Admin.Tests.Schedule;

public sealed class ScheduleListTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task The_list_filters_send_the_matching_ListSessions_request()
    {
        await using var context = ScheduleFakes.Context();
        var session = ScheduleFakes.Session("s1", "人力资源管理第1章精讲", new DateTimeOffset(2026, 5, 4, 11, 30, 0, TimeSpan.Zero), reservations: 12);
        session.CourseId = "c2";
        WeekCalendarTests.Serve(context, session);
        var cut = context.RenderWithProviders<MySchedule>();
        cut.WaitForElement("[data-testid=week-calendar]", Timeout);

        ScheduleUi.Click(cut, "view-list");
        cut.WaitForElement("[data-testid=session-row-s1]", Timeout);
        ScheduleUi.Click(cut, "filter-status-live");
        ScheduleUi.Click(cut, "filter-status-scheduled");
        ScheduleUi.Enter(cut, "filter-from", "2026-05-01");
        ScheduleUi.Enter(cut, "filter-to", "2026-05-10");
        var courseFilter = cut.FindComponents<MudSelect<string>>().Single(s => Equals(s.Instance.UserAttributes.GetValueOrDefault("data-testid"), "filter-course"));
        await cut.InvokeAsync(() => courseFilter.Instance.ValueChanged.InvokeAsync("c2"));

        cut.WaitForAssertion(() =>
        {
            var request = context.Api.RequestsTo<ListSessionsRequest>("ListSessions").Last();
            Assert.Equal(ScheduleFakes.Me, request.InstructorId);
            Assert.Equal("c2", request.CourseId);
            Assert.Equal([SessionStatus.Scheduled, SessionStatus.Live], request.Statuses);
            // The days are the user's (Asia/Shanghai): from 05-01 00:00 up to and including 05-10.
            Assert.Equal(new DateTimeOffset(2026, 4, 30, 16, 0, 0, TimeSpan.Zero), request.StartFrom.ToDateTimeOffset());
            Assert.Equal(new DateTimeOffset(2026, 5, 10, 16, 0, 0, TimeSpan.Zero), request.StartBefore.ToDateTimeOffset());
        }, Timeout);
        cut.WaitForAssertion(() =>
        {
            var row = cut.Find("[data-testid=session-row-s1]").Closest("tr")!;
            Assert.Contains("2026-05-04 19:30", row.TextContent, StringComparison.Ordinal);
            Assert.Contains("人力资源管理", row.TextContent, StringComparison.Ordinal);
            Assert.Contains("未开播", row.TextContent, StringComparison.Ordinal);
            Assert.Contains("12", row.QuerySelector("[data-testid=row-reservations]")!.TextContent, StringComparison.Ordinal);
        }, Timeout);

        // Un-toggling a status sends the remaining one only.
        ScheduleUi.Click(cut, "filter-status-scheduled");
        cut.WaitForAssertion(() => Assert.Equal([SessionStatus.Live], context.Api.RequestsTo<ListSessionsRequest>("ListSessions").Last().Statuses), Timeout);
        cut.WaitForAssertion(() => Assert.Contains("暂无记录", cut.Find("[data-testid=schedule-empty]").TextContent, StringComparison.Ordinal), Timeout);
    }

    [Fact]
    public async Task No_sessions_show_the_empty_state_in_both_views()
    {
        await using var context = ScheduleFakes.Context();
        WeekCalendarTests.Serve(context);
        var cut = context.RenderWithProviders<MySchedule>();

        cut.WaitForAssertion(() => Assert.Contains("暂无记录", cut.Find("[data-testid=week-empty]").TextContent, StringComparison.Ordinal), Timeout);
        ScheduleUi.Click(cut, "view-list");
        cut.WaitForAssertion(() => Assert.Contains("暂无记录", cut.Find("[data-testid=schedule-empty]").TextContent, StringComparison.Ordinal), Timeout);
    }

    [Fact]
    public async Task An_admin_picks_the_instructor_whose_schedule_is_shown()
    {
        await using var context = ScheduleFakes.Context(roles: ["admin"]);
        WeekCalendarTests.Serve(context);
        context.Api.On<ListUsersRequest, ListUsersResponse>("ListUsers", _ => new ListUsersResponse
        {
            Users =
            {
                new User { Id = "u_viewer", Handle = "xiaowang", DisplayName = "小王", Roles = { "viewer" } },
                new User { Id = "u_wan", Handle = "wanhongcoco", DisplayName = "万红coco", Roles = { "viewer", "instructor" } },
            },
        });

        var cut = context.RenderWithProviders<MySchedule>();

        cut.WaitForAssertion(() => Assert.Equal("u_wan", context.Api.RequestsTo<ListSessionsRequest>("ListSessions").Last().InstructorId), Timeout);
        Assert.Equal("u_wan", context.Api.RequestsTo<ListCoursesRequest>("ListCourses").Last().InstructorId);
    }
}
