using System.Globalization;
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

    [Theory]
    [InlineData("zh-CN", "订阅链接已无法显示（服务器的密钥已更换），但已订阅的日历仍可使用。如需查看，请重置链接。", "重置链接")]
    [InlineData("en", "Your feed links can no longer be shown (the server's keys were replaced), though calendars already subscribed keep working. Reset the links to see new ones.", "Reset links")]
    public async Task Links_the_server_can_no_longer_show_say_why_and_a_reset_shows_new_ones(string culture, string reason, string reset)
    {
        await using var context = new AdminTestContext(roles: ["instructor"]);
        CultureInfo.CurrentUICulture = new CultureInfo(culture);
        context.Api.On<GetMyCalendarFeedKeyRequest, CalendarFeedKey>("GetMyCalendarFeedKey", r => r.Rotate
            ? new CalendarFeedKey { Key = "k2" }
            : throw Broadcasts.BroadcastFakes.Refused(Google.Rpc.Code.FailedPrecondition, reason, "CALENDAR_FEED_KEY_UNREADABLE"));
        context.Api.On<ListCoursesRequest, ListCoursesResponse>("ListCourses", r => new ListCoursesResponse
        {
            Courses = { new Course { Id = "c_econ", Title = "经济基础", InstructorId = r.InstructorId } },
        });
        var dialogs = context.Render<MudDialogProvider>();
        var page = context.Render<CalendarPage>();

        page.WaitForAssertion(() => Assert.Equal(reason, page.Find("[data-testid=calendar-key-unreadable]").TextContent.Trim()), Timeout);
        Assert.Empty(page.FindAll("[data-testid=calendar-error]"));
        Assert.Empty(page.FindAll("[data-testid=calendar-me-url]"));
        var rotate = page.Find("[data-testid=calendar-rotate]");
        Assert.False(rotate.HasAttribute("disabled"));
        Assert.Contains(reset, rotate.TextContent, StringComparison.Ordinal);

        rotate.Click();
        dialogs.WaitForAssertion(() => Assert.Contains(dialogs.FindAll("button"), b => b.TextContent.Contains(reset, StringComparison.Ordinal)), Timeout);
        dialogs.FindAll("button").Last(b => b.TextContent.Contains(reset, StringComparison.Ordinal)).Click();

        page.WaitForAssertion(() => Assert.EndsWith("key=k2", page.Find("[data-testid=calendar-me-url]").TextContent, StringComparison.Ordinal), Timeout);
        Assert.Empty(page.FindAll("[data-testid=calendar-key-unreadable]"));
        page.WaitForAssertion(() =>
            Assert.Equal("http://localhost/calendar/courses/c_econ.ics?key=k2", page.Find("[data-testid=calendar-course-c_econ-url]").TextContent), Timeout);
    }
}
