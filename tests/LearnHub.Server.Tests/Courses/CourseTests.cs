using Grpc.Core;
using LearnHub.Api.V1;
using LearnHub.Server.Tests.Infrastructure;
using static LearnHub.Server.Tests.Infrastructure.Scenario;

namespace LearnHub.Server.Tests.Courses;

public sealed class CourseTests
{
    private static string[] Titles(Course course) => course.Chapters.Select(c => c.Title).ToArray();

    private static int[] Positions(Course course) => course.Chapters.Select(c => c.Position).ToArray();

    [Fact]
    public async Task Creates_a_course_with_its_chapters_in_order_and_reads_it_back()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var viewer = await app.CreateUserAsync("xiaowang");

        var course = await instructor.Courses.CreateCourseAsync(new CreateCourseRequest
        {
            Title = "经济基础",
            Description = "中级经济师",
            ChapterTitles = { "第19章", "第20章" },
        });

        Assert.StartsWith("c_", course.Id, StringComparison.Ordinal);
        Assert.Equal("经济基础", course.Title);
        Assert.Equal(instructor.Id, course.InstructorId);
        Assert.Equal("wanhongcoco", course.InstructorName);
        Assert.Equal("中级经济师", course.Description);
        Assert.Equal(["第19章", "第20章"], Titles(course));
        Assert.Equal([1, 2], Positions(course));
        Assert.Equal(1, course.Version);
        Assert.Equal(course, await viewer.Courses.GetCourseAsync(new GetCourseRequest { CourseId = course.Id }));
    }

    [Fact]
    public async Task Lists_courses_by_instructor_and_pages_through_them()
    {
        await using var app = await Scenario.StartAsync();
        var wan = await app.CreateUserAsync("wanhongcoco", "instructor");
        var li = await app.CreateUserAsync("li", "instructor");
        var wans = new List<string>();
        foreach (var title in new[] { "经济基础", "人力资源", "工商管理" })
        {
            wans.Add((await wan.Courses.CreateCourseAsync(new CreateCourseRequest { Title = title, ChapterTitles = { "第1章" } })).Id);
            app.Clock.Advance(TimeSpan.FromSeconds(1)); // courses list by creation time
        }
        var lis = await li.Courses.CreateCourseAsync(new CreateCourseRequest { Title = "财政税收" });

        var onlyWan = await li.Courses.ListCoursesAsync(new ListCoursesRequest { InstructorId = wan.Id });
        Assert.Equal(wans, onlyWan.Courses.Select(c => c.Id));
        Assert.All(onlyWan.Courses, c => Assert.Single(c.Chapters));
        Assert.Equal([lis.Id], (await wan.Courses.ListCoursesAsync(new ListCoursesRequest { InstructorId = li.Id })).Courses.Select(c => c.Id));

        var seen = new List<string>();
        var request = new ListCoursesRequest { PageSize = 3 };
        var first = await wan.Courses.ListCoursesAsync(request);
        seen.AddRange(first.Courses.Select(c => c.Id));
        Assert.NotEmpty(first.NextPageToken);
        var second = await wan.Courses.ListCoursesAsync(new ListCoursesRequest { PageSize = 3, PageToken = first.NextPageToken });
        seen.AddRange(second.Courses.Select(c => c.Id));
        Assert.Empty(second.NextPageToken);
        Assert.Equal([.. wans, lis.Id], seen);
    }

    [Fact]
    public async Task Adds_a_chapter_at_the_end_or_at_a_position_and_shifts_the_rest()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var course = await instructor.Courses.CreateCourseAsync(new CreateCourseRequest { Title = "经济基础", ChapterTitles = { "第19章", "第20章" } });

        var appended = await instructor.Courses.AddChapterAsync(new AddChapterRequest { CourseId = course.Id, Title = "第21章" });
        Assert.Equal(["第19章", "第20章", "第21章"], Titles(appended));
        Assert.Equal(2, appended.Version);

        var inserted = await instructor.Courses.AddChapterAsync(new AddChapterRequest { CourseId = course.Id, Title = "第18章", Position = 1 });
        Assert.Equal(["第18章", "第19章", "第20章", "第21章"], Titles(inserted));
        Assert.Equal([1, 2, 3, 4], Positions(inserted));
        Assert.Equal(course.Chapters[0].Id, inserted.Chapters[1].Id); // chapters keep their ids when they move
        Assert.Equal(3, inserted.Version);

        var middle = await instructor.Courses.AddChapterAsync(new AddChapterRequest { CourseId = course.Id, Title = "第19章习题", Position = 3 });
        Assert.Equal(["第18章", "第19章", "第19章习题", "第20章", "第21章"], Titles(middle));

        var last = await instructor.Courses.AddChapterAsync(new AddChapterRequest { CourseId = course.Id, Title = "总复习", Position = 6 });
        Assert.Equal("总复习", last.Chapters[^1].Title);

        await Refusal.AssertAsync(StatusCode.InvalidArgument, "position",
            async () => await instructor.Courses.AddChapterAsync(new AddChapterRequest { CourseId = course.Id, Title = "第99章", Position = 8 }));
        await Refusal.AssertAsync(StatusCode.InvalidArgument, "title",
            async () => await instructor.Courses.AddChapterAsync(new AddChapterRequest { CourseId = course.Id, Title = "" }));
        Assert.Equal(last, await instructor.Courses.GetCourseAsync(new GetCourseRequest { CourseId = course.Id }));
    }

    [Fact]
    public async Task Renames_and_reorders_chapters()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var course = await instructor.Courses.CreateCourseAsync(new CreateCourseRequest { Title = "经济基础", ChapterTitles = { "第19章", "第20章", "第21章" } });
        var (ch19, ch20, ch21) = (course.Chapters[0].Id, course.Chapters[1].Id, course.Chapters[2].Id);

        var renamed = await instructor.Courses.RenameChapterAsync(new RenameChapterRequest { CourseId = course.Id, ChapterId = ch20, Title = "第20章 货币供求" });
        Assert.Equal(["第19章", "第20章 货币供求", "第21章"], Titles(renamed));

        var reordered = await instructor.Courses.ReorderChaptersAsync(new ReorderChaptersRequest { CourseId = course.Id, ChapterIds = { ch21, ch19, ch20 } });
        Assert.Equal([ch21, ch19, ch20], reordered.Chapters.Select(c => c.Id));
        Assert.Equal([1, 2, 3], Positions(reordered));
        Assert.Equal(3, reordered.Version);

        foreach (var bad in new[] { new[] { ch21, ch19 }, [ch21, ch19, ch19], [ch21, ch19, ch20, "ch_missing"], [ch21, ch19, "ch_missing"] })
        {
            await Refusal.AssertAsync(StatusCode.InvalidArgument, "chapter_ids",
                async () => await instructor.Courses.ReorderChaptersAsync(new ReorderChaptersRequest { CourseId = course.Id, ChapterIds = { bad } }));
        }
        await Refusal.AssertAsync(StatusCode.InvalidArgument, "title",
            async () => await instructor.Courses.RenameChapterAsync(new RenameChapterRequest { CourseId = course.Id, ChapterId = ch19, Title = new string('章', 101) }));
        Assert.Equal(reordered, await instructor.Courses.GetCourseAsync(new GetCourseRequest { CourseId = course.Id }));
    }

    [Fact]
    public async Task Removing_a_chapter_while_a_session_is_scheduled_into_it_lets_one_win_and_refuses_the_other()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        const int Races = 40;
        var course = await instructor.Courses.CreateCourseAsync(new CreateCourseRequest
        {
            Title = "经济基础", ChapterTitles = { Enumerable.Range(1, Races).Select(i => $"第{i}章") },
        });

        // Each race at once: the chapter's removal against a session scheduled into it (on PostgreSQL the two run side by
        // side; before, a removal that counted no session could then fail on the session's foreign key, as INTERNAL).
        var outcomes = await Task.WhenAll(course.Chapters.Select(async (chapter, i) =>
        {
            var remove = Outcome(() => instructor.Courses.RemoveChapterAsync(new RemoveChapterRequest { CourseId = course.Id, ChapterId = chapter.Id }).ResponseAsync);
            var schedule = Outcome(() => instructor.ScheduleAsync(Shanghai(1 + i, 19, 30), courseId: course.Id, chapterId: chapter.Id));
            return (Chapter: chapter.Id, Removed: await remove, Scheduled: await schedule);
        }));

        var left = (await instructor.Courses.GetCourseAsync(new GetCourseRequest { CourseId = course.Id })).Chapters.Select(c => c.Id).ToHashSet();
        foreach (var (chapter, removed, scheduled) in outcomes)
        {
            // Exactly one wins: the removal (the session is refused, its chapter gone) or the session (the removal is refused).
            Assert.True(
                (removed, scheduled) is (StatusCode.OK, StatusCode.NotFound) or (StatusCode.FailedPrecondition, StatusCode.OK),
                $"chapter {chapter}: removal {removed}, session {scheduled}");
            Assert.Equal(removed != StatusCode.OK, left.Contains(chapter));
        }
    }

    private static async Task<StatusCode> Outcome(Func<Task> call)
    {
        try
        {
            await call();
            return StatusCode.OK;
        }
        catch (RpcException e)
        {
            return e.StatusCode;
        }
    }

    [Fact]
    public async Task Removes_an_unused_chapter_and_refuses_one_a_session_uses()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var course = await instructor.Courses.CreateCourseAsync(new CreateCourseRequest { Title = "经济基础", ChapterTitles = { "第19章", "第20章", "第21章" } });
        var session = await instructor.ScheduleAsync(Shanghai(1, 19, 30), courseId: course.Id, chapterId: course.Chapters[2].Id);

        var removed = await instructor.Courses.RemoveChapterAsync(new RemoveChapterRequest { CourseId = course.Id, ChapterId = course.Chapters[0].Id });
        Assert.Equal(["第20章", "第21章"], Titles(removed));
        Assert.Equal([1, 2], Positions(removed));

        await Refusal.AssertAsync(StatusCode.FailedPrecondition, "chapter_id",
            async () => await instructor.Courses.RemoveChapterAsync(new RemoveChapterRequest { CourseId = course.Id, ChapterId = course.Chapters[2].Id }));
        // Even once the session is cancelled: it keeps its chapter as history.
        await instructor.Sessions.CancelSessionAsync(new CancelSessionRequest { SessionId = session.Id });
        var afterCancel = await instructor.Courses.GetCourseAsync(new GetCourseRequest { CourseId = course.Id });
        await Refusal.AssertAsync(StatusCode.FailedPrecondition, "chapter_id",
            async () => await instructor.Courses.RemoveChapterAsync(new RemoveChapterRequest { CourseId = course.Id, ChapterId = course.Chapters[2].Id }));

        Assert.Equal(removed, afterCancel);
        Assert.Equal(afterCancel, await instructor.Courses.GetCourseAsync(new GetCourseRequest { CourseId = course.Id }));
        Assert.Equal(course.Chapters[2].Id, (await instructor.GetAsync(session.Id)).ChapterId);
    }

    [Fact]
    public async Task Updates_title_and_description_and_refuses_a_stale_version_with_aborted()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var course = await instructor.Courses.CreateCourseAsync(new CreateCourseRequest { Title = "经济基础", ChapterTitles = { "第19章" } });

        var updated = await instructor.Courses.UpdateCourseAsync(new UpdateCourseRequest { CourseId = course.Id, Title = "经济基础知识", ExpectedVersion = course.Version });
        Assert.Equal("经济基础知识", updated.Title);
        Assert.Equal("", updated.Description);
        Assert.Equal(course.Version + 1, updated.Version);

        var described = await instructor.Courses.UpdateCourseAsync(new UpdateCourseRequest { CourseId = course.Id, Description = "2027 版" });
        Assert.Equal("经济基础知识", described.Title);
        Assert.Equal("2027 版", described.Description);

        var stale = await Refusal.AssertAsync(StatusCode.Aborted, "expected_version",
            async () => await instructor.Courses.UpdateCourseAsync(new UpdateCourseRequest { CourseId = course.Id, Title = "旧的修改", ExpectedVersion = course.Version }));
        Assert.Equal(described.Version.ToString(System.Globalization.CultureInfo.InvariantCulture),
            stale.GetRpcStatus()!.GetDetail<Google.Rpc.ErrorInfo>()!.Metadata["current_version"]);

        // A chapter change is a change of the course too: an edit made before it is stale.
        var withChapter = await instructor.Courses.AddChapterAsync(new AddChapterRequest { CourseId = course.Id, Title = "第20章" });
        await Refusal.AssertAsync(StatusCode.Aborted, "expected_version",
            async () => await instructor.Courses.UpdateCourseAsync(new UpdateCourseRequest { CourseId = course.Id, Title = "旧的修改", ExpectedVersion = described.Version }));

        Assert.Equal(withChapter, await instructor.Courses.GetCourseAsync(new GetCourseRequest { CourseId = course.Id }));
    }

    [Fact]
    public async Task Bad_titles_are_refused_and_nothing_is_created()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");

        await Refusal.AssertAsync(StatusCode.InvalidArgument, "title",
            async () => await instructor.Courses.CreateCourseAsync(new CreateCourseRequest { Title = "" }));
        await Refusal.AssertAsync(StatusCode.InvalidArgument, "title",
            async () => await instructor.Courses.CreateCourseAsync(new CreateCourseRequest { Title = string.Concat(Enumerable.Repeat("经", 101)) }));
        await Refusal.AssertAsync(StatusCode.InvalidArgument, "chapter_titles[1]",
            async () => await instructor.Courses.CreateCourseAsync(new CreateCourseRequest { Title = "经济基础", ChapterTitles = { "第19章", " " } }));

        Assert.Empty((await instructor.Courses.ListCoursesAsync(new ListCoursesRequest())).Courses);

        var course = await instructor.Courses.CreateCourseAsync(new CreateCourseRequest { Title = "经济基础" });
        await Refusal.AssertAsync(StatusCode.InvalidArgument, "title",
            async () => await instructor.Courses.UpdateCourseAsync(new UpdateCourseRequest { CourseId = course.Id, Title = "" }));
        Assert.Equal(course, await instructor.Courses.GetCourseAsync(new GetCourseRequest { CourseId = course.Id }));
    }

    [Fact]
    public async Task Unknown_course_or_chapter_is_not_found()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var course = await instructor.Courses.CreateCourseAsync(new CreateCourseRequest { Title = "经济基础", ChapterTitles = { "第19章" } });

        await Refusal.AssertAsync(StatusCode.NotFound, "course_id", async () => await instructor.Courses.GetCourseAsync(new GetCourseRequest { CourseId = "c_missing" }));
        await Refusal.AssertAsync(StatusCode.NotFound, "course_id", async () => await instructor.Courses.UpdateCourseAsync(new UpdateCourseRequest { CourseId = "c_missing", Title = "x" }));
        await Refusal.AssertAsync(StatusCode.NotFound, "course_id", async () => await instructor.Courses.AddChapterAsync(new AddChapterRequest { CourseId = "c_missing", Title = "x" }));
        await Refusal.AssertAsync(StatusCode.NotFound, "chapter_id", async () => await instructor.Courses.RenameChapterAsync(new RenameChapterRequest { CourseId = course.Id, ChapterId = "ch_missing", Title = "x" }));
        await Refusal.AssertAsync(StatusCode.NotFound, "chapter_id", async () => await instructor.Courses.RemoveChapterAsync(new RemoveChapterRequest { CourseId = course.Id, ChapterId = "ch_missing" }));

        Assert.Equal(course, await instructor.Courses.GetCourseAsync(new GetCourseRequest { CourseId = course.Id }));
    }

    [Fact]
    public async Task Another_instructors_course_cannot_be_changed()
    {
        await using var app = await Scenario.StartAsync();
        var wan = await app.CreateUserAsync("wanhongcoco", "instructor");
        var li = await app.CreateUserAsync("li", "instructor");
        var course = await wan.Courses.CreateCourseAsync(new CreateCourseRequest { Title = "经济基础", ChapterTitles = { "第19章", "第20章" } });
        var chapter = course.Chapters[0].Id;

        await Refusal.AssertAsync(StatusCode.PermissionDenied, "course_id", async () => await li.Courses.UpdateCourseAsync(new UpdateCourseRequest { CourseId = course.Id, Title = "改名" }));
        await Refusal.AssertAsync(StatusCode.PermissionDenied, "course_id", async () => await li.Courses.AddChapterAsync(new AddChapterRequest { CourseId = course.Id, Title = "第21章" }));
        await Refusal.AssertAsync(StatusCode.PermissionDenied, "course_id", async () => await li.Courses.RenameChapterAsync(new RenameChapterRequest { CourseId = course.Id, ChapterId = chapter, Title = "x" }));
        await Refusal.AssertAsync(StatusCode.PermissionDenied, "course_id", async () => await li.Courses.RemoveChapterAsync(new RemoveChapterRequest { CourseId = course.Id, ChapterId = chapter }));
        await Refusal.AssertAsync(StatusCode.PermissionDenied, "course_id", async () => await li.Courses.ReorderChaptersAsync(new ReorderChaptersRequest { CourseId = course.Id, ChapterIds = { course.Chapters[1].Id, chapter } }));

        Assert.Equal(course, await li.Courses.GetCourseAsync(new GetCourseRequest { CourseId = course.Id }));
    }
}
