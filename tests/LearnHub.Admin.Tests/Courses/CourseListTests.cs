using LearnHub.Admin.Components.Pages.Courses;
using LearnHub.Admin.Tests.Infrastructure;
using LearnHub.Api.V1;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace LearnHub.Admin.Tests.Courses;

public sealed class CourseListTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task An_instructor_without_courses_sees_the_empty_state()
    {
        await using var context = new AdminTestContext(roles: ["instructor"]);
        context.Api.On<ListCoursesRequest, ListCoursesResponse>("ListCourses", _ => new ListCoursesResponse());
        context.RenderProviders();

        var page = context.Render<CourseList>();

        page.WaitForAssertion(() => Assert.Contains("暂无课程", page.Find("[data-testid=courses-empty]").TextContent, StringComparison.Ordinal), Timeout);
        Assert.Empty(page.FindAll("[data-testid^=course-row-]"));
    }

    [Fact]
    public async Task An_instructor_lists_only_their_own_courses()
    {
        await using var context = new AdminTestContext(roles: ["instructor"]);
        context.Api.On<ListCoursesRequest, ListCoursesResponse>("ListCourses", _ => new ListCoursesResponse
        {
            Courses = { CourseTestData.Course("c1", "经济基础", 1, "第19章", "第20章"), CourseTestData.Course("c2", "人力资源管理", 1) },
        });
        context.RenderProviders();

        var page = context.Render<CourseList>();

        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid^=course-row-]").Count), Timeout);
        Assert.Equal("u_tester", context.Api.RequestsTo<ListCoursesRequest>("ListCourses").Single().InstructorId);
        Assert.Equal("/courses/c1", page.Find("[data-testid=course-link-c1]").GetAttribute("href"));
        Assert.Equal("2", page.Find("[data-testid=course-chapter-count-c1]").TextContent.Trim());
    }

    [Fact]
    public async Task Creating_a_course_sends_title_description_and_one_chapter_per_line()
    {
        await using var context = new AdminTestContext(roles: ["instructor"]);
        context.Api.On<ListCoursesRequest, ListCoursesResponse>("ListCourses", _ => new ListCoursesResponse());
        context.Api.On<CreateCourseRequest, Course>("CreateCourse", r => CourseTestData.Course("c9", r.Title, 1, [.. r.ChapterTitles]));
        var dialogs = context.Render<MudDialogProvider>();
        context.RenderProviders();
        var page = context.Render<CourseList>();
        page.WaitForAssertion(() => page.Find("[data-testid=courses-empty]"), Timeout);

        page.Find("[data-testid=course-new]").Click();
        dialogs.WaitForAssertion(() => dialogs.Find("[data-testid=course-title]"), Timeout);
        dialogs.Find("[data-testid=course-title]").Change("经济基础");
        dialogs.Find("[data-testid=course-description]").Change("中级经济师");
        dialogs.Find("[data-testid=course-chapters]").Change("第19章\n\n 第20章 \n");
        dialogs.Find("[data-testid=course-create]").Click();

        dialogs.WaitForAssertion(() => Assert.Empty(dialogs.FindAll("[data-testid=course-create]")), Timeout);
        var request = context.Api.RequestsTo<CreateCourseRequest>("CreateCourse").Single();
        Assert.Equal("经济基础", request.Title);
        Assert.Equal("中级经济师", request.Description);
        Assert.Equal(["第19章", "第20章"], request.ChapterTitles);
        Assert.Equal("", request.InstructorId);
        Assert.EndsWith("/courses/c9", context.Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>().Uri, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_course_shows_the_servers_errors_at_the_fields_and_keeps_the_dialog_open()
    {
        await using var context = new AdminTestContext(roles: ["instructor"]);
        context.Api.On<ListCoursesRequest, ListCoursesResponse>("ListCourses", _ => new ListCoursesResponse());
        context.Api.On<CreateCourseRequest, Course>("CreateCourse", _ => throw CourseTestData.Invalid(
            ("title", "标题不能为空 (title is required)."), ("chapter_titles[1]", "标题最多 100 个字符")));
        var dialogs = context.Render<MudDialogProvider>();
        context.RenderProviders();
        var page = context.Render<CourseList>();
        page.WaitForAssertion(() => page.Find("[data-testid=courses-empty]"), Timeout);

        page.Find("[data-testid=course-new]").Click();
        dialogs.WaitForAssertion(() => dialogs.Find("[data-testid=course-create]"), Timeout);
        dialogs.Find("[data-testid=course-create]").Click();

        dialogs.WaitForAssertion(() => Assert.Equal("true", dialogs.Find("[data-testid=course-title]").GetAttribute("aria-invalid")), Timeout);
        Assert.Contains("标题不能为空", HelperText(dialogs.Find("[data-testid=course-title]")), StringComparison.Ordinal);
        Assert.Contains("标题最多 100 个字符", HelperText(dialogs.Find("[data-testid=course-chapters]")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_admin_lists_every_instructors_courses_with_the_instructor_named()
    {
        await using var context = new AdminTestContext(roles: ["admin"]);
        context.Api.On<ListUsersRequest, ListUsersResponse>("ListUsers", _ => new ListUsersResponse
        {
            Users = { new User { Id = "u_wan", DisplayName = "万红coco", Handle = "wanhongcoco", Roles = { "instructor", "viewer" } } },
        });
        var course = CourseTestData.Course("c1", "经济基础", 1, "第19章");
        course.InstructorId = "u_wan";
        course.InstructorName = "万红coco";
        context.Api.On<ListCoursesRequest, ListCoursesResponse>("ListCourses", _ => new ListCoursesResponse { Courses = { course } });
        context.RenderProviders();

        var page = context.Render<CourseList>();

        page.WaitForAssertion(() => Assert.Contains("万红coco", page.Find("[data-testid=course-row-c1]").TextContent, StringComparison.Ordinal), Timeout);
        Assert.Equal("", context.Api.RequestsTo<ListCoursesRequest>("ListCourses").Single().InstructorId);
        page.Find("[data-testid=course-instructor-filter]");
    }

    [Fact]
    public async Task An_admin_who_also_teaches_creates_for_themselves_by_default()
    {
        await using var context = new AdminTestContext(roles: ["admin", "instructor"]);
        context.Api.On<ListUsersRequest, ListUsersResponse>("ListUsers", _ => new ListUsersResponse
        {
            Users = { new User { Id = "u_tester", DisplayName = "tester", Handle = "tester", Roles = { "admin", "instructor" } } },
        });
        context.Api.On<ListCoursesRequest, ListCoursesResponse>("ListCourses", _ => new ListCoursesResponse());
        context.Api.On<CreateCourseRequest, Course>("CreateCourse", r => CourseTestData.Course("c9", r.Title, 1));
        var dialogs = context.Render<MudDialogProvider>();
        context.RenderProviders();
        var page = context.Render<CourseList>();
        page.WaitForAssertion(() => page.Find("[data-testid=courses-empty]"), Timeout);
        Assert.Equal("u_tester", context.Api.RequestsTo<ListCoursesRequest>("ListCourses").Single().InstructorId);

        page.Find("[data-testid=course-new]").Click();
        dialogs.WaitForAssertion(() => dialogs.Find("[data-testid=course-instructor]"), Timeout);
        dialogs.Find("[data-testid=course-title]").Change("人力资源管理");
        dialogs.Find("[data-testid=course-create]").Click();

        dialogs.WaitForAssertion(() => Assert.Single(context.Api.RequestsTo<CreateCourseRequest>("CreateCourse")), Timeout);
        Assert.Equal("u_tester", context.Api.RequestsTo<CreateCourseRequest>("CreateCourse").Single().InstructorId);
    }

    private static string HelperText(AngleSharp.Dom.IElement input) =>
        input.Closest(".mud-input-control")?.QuerySelector(".mud-input-helper-text")?.TextContent ?? "";
}
