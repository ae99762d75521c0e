using LearnHub.Admin.Tests.Infrastructure;
using LearnHub.Api.V1;
using MudBlazor;
using CalendarPage = LearnHub.Admin.Components.Pages.Calendar;

namespace LearnHub.Admin.Tests.Admin;

public sealed class CalendarPageTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task An_instructor_sees_reservation_instructor_and_course_feed_urls()
    {
        await using var context = new AdminTestContext(roles: ["instructor"]);
        context.Api.On<GetMyCalendarFeedKeyRequest, CalendarFeedKey>("GetMyCalendarFeedKey", _ => new CalendarFeedKey { Key = "k1" });
        context.Api.On<ListCoursesRequest, ListCoursesResponse>("ListCourses", r => new ListCoursesResponse
        {
            Courses = { new Course { Id = "c_econ", Title = "经济基础", InstructorId = r.InstructorId } },
        });

        var page = context.Render<CalendarPage>();

        page.WaitForAssertion(() => Assert.Equal("http://localhost/calendar/me.ics?key=k1", page.Find("[data-testid=calendar-me-url]").TextContent), Timeout);
        Assert.Equal("http://localhost/calendar/instructors/u_tester.ics?key=k1", page.Find("[data-testid=calendar-instructor-url]").TextContent);
        page.WaitForAssertion(() =>
            Assert.Equal("http://localhost/calendar/courses/c_econ.ics?key=k1", page.Find("[data-testid=calendar-course-c_econ-url]").TextContent), Timeout);
        Assert.Equal("u_tester", Assert.Single(context.Api.RequestsTo<ListCoursesRequest>("ListCourses")).InstructorId);
    }

    [Fact]
    public async Task A_viewer_sees_only_the_reservations_feed()
    {
        await using var context = new AdminTestContext(roles: ["viewer"]);
        context.Api.On<GetMyCalendarFeedKeyRequest, CalendarFeedKey>("GetMyCalendarFeedKey", _ => new CalendarFeedKey { Key = "k1" });

        var page = context.Render<CalendarPage>();

        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid=calendar-me-url]")), Timeout);
        Assert.Empty(page.FindAll("[data-testid=calendar-instructor-url]"));
        Assert.Empty(context.Api.RequestsTo<ListCoursesRequest>("ListCourses"));
    }

    [Fact]
    public async Task Resetting_after_confirmation_rotates_the_key_in_every_url()
    {
        await using var context = new AdminTestContext(roles: ["viewer"]);
        context.Api.On<GetMyCalendarFeedKeyRequest, CalendarFeedKey>("GetMyCalendarFeedKey", r => new CalendarFeedKey { Key = r.Rotate ? "k2" : "k1" });
        var dialogs = context.Render<MudDialogProvider>();
        var page = context.Render<CalendarPage>();
        page.WaitForAssertion(() => Assert.EndsWith("key=k1", page.Find("[data-testid=calendar-me-url]").TextContent, StringComparison.Ordinal), Timeout);

        page.Find("[data-testid=calendar-rotate]").Click();
        dialogs.WaitForAssertion(() => Assert.Contains("旧的订阅链接", dialogs.Markup, StringComparison.Ordinal), Timeout);
        dialogs.FindAll("button").Last(b => b.TextContent.Contains("重置链接", StringComparison.Ordinal)).Click();

        page.WaitForAssertion(() => Assert.EndsWith("key=k2", page.Find("[data-testid=calendar-me-url]").TextContent, StringComparison.Ordinal), Timeout);
        Assert.Contains(context.Api.RequestsTo<GetMyCalendarFeedKeyRequest>("GetMyCalendarFeedKey"), r => r.Rotate);
    }
}
