using LearnHub.Admin.Components.Pages.Courses;
using LearnHub.Admin.Tests.Infrastructure;
using LearnHub.Api.V1;
using MudBlazor;

namespace LearnHub.Admin.Tests.Courses;

public sealed class CourseEditTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Moving_a_chapter_down_sends_the_whole_new_order()
    {
        await using var context = new AdminTestContext();
        var course = CourseTestData.Course("c1", "经济基础", 3, "第19章", "第20章", "第21章");
        context.Api.On<GetCourseRequest, Course>("GetCourse", _ => course);
        context.Api.On<ReorderChaptersRequest, Course>("ReorderChapters", r => CourseTestData.Reordered(course, r.ChapterIds));
        var page = RenderPage(context);

        page.Find("[data-testid=chapter-down-ch1]").Click();

        page.WaitForAssertion(() => Assert.Equal(["ch2", "ch1", "ch3"], ChapterRowIds(page)), Timeout);
        var request = context.Api.RequestsTo<ReorderChaptersRequest>("ReorderChapters").Single();
        Assert.Equal("c1", request.CourseId);
        Assert.Equal(["ch2", "ch1", "ch3"], request.ChapterIds);
    }

    [Fact]
    public async Task Moving_the_last_chapter_up_sends_the_new_order_and_the_ends_cannot_move_out()
    {
        await using var context = new AdminTestContext();
        var course = CourseTestData.Course("c1", "经济基础", 3, "第19章", "第20章", "第21章");
        context.Api.On<GetCourseRequest, Course>("GetCourse", _ => course);
        context.Api.On<ReorderChaptersRequest, Course>("ReorderChapters", r => CourseTestData.Reordered(course, r.ChapterIds));
        var page = RenderPage(context);
        Assert.True(page.Find("[data-testid=chapter-up-ch1]").HasAttribute("disabled"));
        Assert.True(page.Find("[data-testid=chapter-down-ch3]").HasAttribute("disabled"));

        page.Find("[data-testid=chapter-up-ch3]").Click();

        page.WaitForAssertion(() => Assert.Equal(["ch1", "ch3", "ch2"], ChapterRowIds(page)), Timeout);
        Assert.Equal(["ch1", "ch3", "ch2"], context.Api.RequestsTo<ReorderChaptersRequest>("ReorderChapters").Single().ChapterIds);
    }

    [Fact]
    public async Task A_course_without_chapters_shows_the_empty_state()
    {
        await using var context = new AdminTestContext();
        context.Api.On<GetCourseRequest, Course>("GetCourse", _ => CourseTestData.Course("c1", "经济基础", 1));
        var page = RenderPage(context);

        Assert.Contains("暂无章节", page.Find("[data-testid=chapters-empty]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Saving_sends_the_version_read_and_a_stale_save_asks_to_reload()
    {
        await using var context = new AdminTestContext();
        context.Api.On<GetCourseRequest, Course>("GetCourse", _ => CourseTestData.Course("c1", "经济基础", 7));
        context.Api.On<UpdateCourseRequest, Course>("UpdateCourse", r => throw CourseTestData.Stale(r.ExpectedVersion, 8));
        var page = RenderPage(context);

        page.Find("[data-testid=course-title]").Change("经济基础(2026)");
        page.Find("[data-testid=course-save]").Click();

        page.WaitForAssertion(() => page.Find("[data-testid=course-stale]"), Timeout);
        var request = context.Api.RequestsTo<UpdateCourseRequest>("UpdateCourse").Single();
        Assert.Equal(7, request.ExpectedVersion);
        Assert.Equal("经济基础(2026)", request.Title);
        Assert.True(page.Find("[data-testid=course-save]").HasAttribute("disabled"));
        page.Find("[data-testid=course-reload]").Click();
        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid=course-stale]")), Timeout);
        Assert.Equal(2, context.Api.RequestsTo<GetCourseRequest>("GetCourse").Count());
    }

    [Fact]
    public async Task Removing_a_chapter_asks_first_and_shows_the_servers_refusal()
    {
        await using var context = new AdminTestContext();
        context.Api.On<GetCourseRequest, Course>("GetCourse", _ => CourseTestData.Course("c1", "经济基础", 3, "第19章", "第20章"));
        context.Api.On<RemoveChapterRequest, Course>("RemoveChapter", _ =>
            throw CourseTestData.FailedPrecondition("chapter_id", "该章节已有直播,不能删除 (sessions refer to this chapter)."));
        var dialogs = context.Render<MudDialogProvider>();
        var page = RenderPage(context);

        page.Find("[data-testid=chapter-remove-ch1]").Click();
        dialogs.WaitForAssertion(() => Assert.Contains("第19章", dialogs.Find("[data-testid=confirm-message]").TextContent, StringComparison.Ordinal), Timeout);
        Assert.Empty(context.Api.RequestsTo<RemoveChapterRequest>("RemoveChapter"));
        dialogs.Find("[data-testid=confirm-yes]").Click();

        page.WaitForAssertion(() => Assert.Contains("该章节已有直播,不能删除", page.Find("[data-testid=chapter-error]").TextContent, StringComparison.Ordinal), Timeout);
        Assert.Equal("ch1", context.Api.RequestsTo<RemoveChapterRequest>("RemoveChapter").Single().ChapterId);
        Assert.Equal(["ch1", "ch2"], ChapterRowIds(page));
    }

    [Fact]
    public async Task Adding_a_chapter_at_a_position_sends_it_and_shows_the_servers_field_error()
    {
        await using var context = new AdminTestContext();
        context.Api.On<GetCourseRequest, Course>("GetCourse", _ => CourseTestData.Course("c1", "经济基础", 3, "第19章"));
        context.Api.On<AddChapterRequest, Course>("AddChapter", _ => throw CourseTestData.Invalid(("position", "位置须在 1–2 之间,0 表示追加")));
        var page = RenderPage(context);

        page.Find("[data-testid=chapter-title]").Change("第18章");
        page.Find("[data-testid=chapter-position]").Change("5");
        page.Find("[data-testid=chapter-add]").Click();

        page.WaitForAssertion(() => Assert.Equal("true", page.Find("[data-testid=chapter-position]").GetAttribute("aria-invalid")), Timeout);
        var request = context.Api.RequestsTo<AddChapterRequest>("AddChapter").Single();
        Assert.Equal(("c1", "第18章", 5), (request.CourseId, request.Title, request.Position));
        Assert.Contains("位置须在 1–2 之间", page.Find("[data-testid=chapter-position]").Closest(".mud-input-control")!.TextContent, StringComparison.Ordinal);
    }

    private static IRenderedComponent<CourseEdit> RenderPage(AdminTestContext context)
    {
        context.RenderProviders();
        var page = context.Render<CourseEdit>(p => p.Add(x => x.CourseId, "c1"));
        page.WaitForAssertion(() => page.Find("[data-testid=course-heading]"), Timeout);
        return page;
    }

    private static List<string> ChapterRowIds(IRenderedComponent<CourseEdit> page) =>
        [.. page.FindAll("[data-testid^=chapter-row-]").Select(r => r.GetAttribute("data-testid")!["chapter-row-".Length..])];
}
