using System.Data.Common;
using Grpc.Core;
using LearnHub.Api.V1;
using LearnHub.Core.Common;
using LearnHub.Core.Courses;
using LearnHub.Server.Data;
using LearnHub.Server.Grpc;
using LearnHub.Server.Identity;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.RateLimiting;

namespace LearnHub.Server.Courses;

[Authorize]
[EnableRateLimiting(RateLimitPolicies.Reads)]
public sealed class CourseGrpcService(Database database, PageTokens pageTokens, TimeProvider clock) : CourseService.CourseServiceBase
{
    [EnableRateLimiting(RateLimitPolicies.Writes)]
    public override async Task<Course> CreateCourse(CreateCourseRequest request, ServerCallContext context)
    {
        RpcErrors.ThrowIfBadId(request.InstructorId, "instructor_id", required: false);
        var caller = context.Caller();
        var instructorId = caller.ActingInstructorId(request.InstructorId);
        var errors = new List<FieldError?> { CourseRules.CheckTitle(request.Title), CourseRules.CheckDescription(request.Description) };
        if (request.ChapterTitles.Count > CourseRules.MaxChapters)
        {
            errors.Add(new("chapter_titles", LocalizedText.Pick($"最多 {CourseRules.MaxChapters} 章。", $"A course can have at most {CourseRules.MaxChapters} chapters.")));
        }
        // The first few bad chapters are enough to act on, and keep the refusal's trailers small.
        errors.AddRange(request.ChapterTitles.Take(CourseRules.MaxChapters)
            .Select((t, i) => CourseRules.CheckChapterTitle(t, $"chapter_titles[{i}]")).OfType<FieldError>().Take(10));
        RpcErrors.ThrowIfAny([.. errors]);

        var ct = context.CancellationToken;
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await EnsureInstructorAsync(connection, tx, instructorId, ct);
        var id = $"c_{Guid.CreateVersion7():N}";
        await CourseStore.InsertAsync(connection, tx, id, instructorId, request.Title.Trim(), request.Description, now, ct);
        var position = 1;
        foreach (var title in request.ChapterTitles)
        {
            await CourseStore.InsertChapterAsync(connection, tx, new ChapterRow(NewChapterId(), id, position++, title.Trim()), ct);
        }
        var course = await LoadAsync(connection, id, ct, tx);
        await tx.CommitAsync(ct);
        return course;
    }

    public override async Task<Course> GetCourse(GetCourseRequest request, ServerCallContext context)
    {
        RpcErrors.ThrowIfBadId(request.CourseId, "course_id");
        await using var connection = await database.OpenAsync(context.CancellationToken);
        return await LoadAsync(connection, request.CourseId, context.CancellationToken);
    }

    public override async Task<ListCoursesResponse> ListCourses(ListCoursesRequest request, ServerCallContext context)
    {
        RpcErrors.ThrowIfBadId(request.InstructorId, "instructor_id", required: false);
        var caller = context.Caller();
        var ct = context.CancellationToken;
        var pageSize = PageToken.PageSize(request.PageSize);
        var after = pageTokens.Read(request.PageToken, nameof(ListCourses), caller.UserId);
        await using var connection = await database.OpenAsync(ct);
        var rows = await CourseStore.ListAsync(
            connection, NullIfEmpty(request.InstructorId), after?.Number, after?.Key, pageSize + 1, ct);
        var page = rows.Take(pageSize).ToList();
        var chapters = page.Count == 0 ? [] : await CourseStore.ChaptersOfAsync(connection, page.Select(c => c.Id).ToList(), ct);
        // A course may hold 200 chapters: the page ends early when its courses are large (see PageBudget).
        var courses = page.Select(c => ToProto(c, chapters.Where(ch => ch.CourseId == c.Id))).ToList();
        var fits = PageBudget.Fit(courses);
        var response = new ListCoursesResponse { Courses = { courses.Take(fits) } };
        if (rows.Count > fits)
        {
            response.NextPageToken = pageTokens.Issue(nameof(ListCourses), caller.UserId, new(page[fits - 1].CreatedAtMs, page[fits - 1].Id));
        }
        return response;
    }

    [EnableRateLimiting(RateLimitPolicies.Writes)]
    public override Task<Course> UpdateCourse(UpdateCourseRequest request, ServerCallContext context) =>
        ChangeAsync(context, request.CourseId, request.ExpectedVersion, async (connection, tx, course, chapters, now, ct) =>
        {
            RpcErrors.ThrowIfAny(
                request.HasTitle ? CourseRules.CheckTitle(request.Title) : null,
                request.HasDescription ? CourseRules.CheckDescription(request.Description) : null);
            await CourseStore.UpdateAsync(connection, tx, course.Id,
                request.HasTitle ? request.Title.Trim() : course.Title,
                request.HasDescription ? request.Description : course.Description, ct);
        });

    [EnableRateLimiting(RateLimitPolicies.Writes)]
    public override Task<Course> AddChapter(AddChapterRequest request, ServerCallContext context) =>
        ChangeAsync(context, request.CourseId, 0, async (connection, tx, course, chapters, now, ct) =>
        {
            RpcErrors.ThrowIfAny(CourseRules.CheckChapterTitle(request.Title));
            if (request.Position < 0 || request.Position > chapters.Count + 1)
            {
                RpcErrors.ThrowInvalid("position", LocalizedText.Pick($"位置须在 1–{chapters.Count + 1} 之间，0 表示追加。", $"The position must be 1–{chapters.Count + 1}, or 0 to add at the end."));
            }
            if (chapters.Count >= CourseRules.MaxChapters)
            {
                throw RpcErrors.FailedPrecondition("course_id", LocalizedText.Pick($"最多 {CourseRules.MaxChapters} 章。", $"A course can have at most {CourseRules.MaxChapters} chapters."));
            }
            var ordered = chapters.ToList();
            var added = new ChapterRow(NewChapterId(), course.Id, 0, request.Title.Trim());
            ordered.Insert(request.Position == 0 ? ordered.Count : request.Position - 1, added);
            await CourseStore.InsertChapterAsync(connection, tx, added with { Position = ordered.Count + 1000 }, ct);
            await RenumberAsync(connection, tx, ordered, ct);
        });

    [EnableRateLimiting(RateLimitPolicies.Writes)]
    public override Task<Course> RenameChapter(RenameChapterRequest request, ServerCallContext context) =>
        ChangeAsync(context, request.CourseId, 0, async (connection, tx, course, chapters, now, ct) =>
        {
            var chapter = FindChapter(chapters, request.ChapterId);
            RpcErrors.ThrowIfAny(CourseRules.CheckChapterTitle(request.Title));
            await CourseStore.SetChapterAsync(connection, tx, chapter.Id, chapter.Position, request.Title.Trim(), ct);
        });

    [EnableRateLimiting(RateLimitPolicies.Writes)]
    public override Task<Course> RemoveChapter(RemoveChapterRequest request, ServerCallContext context) =>
        ChangeAsync(context, request.CourseId, 0, async (connection, tx, course, chapters, now, ct) =>
        {
            var chapter = FindChapter(chapters, request.ChapterId);
            if (await CourseStore.CountSessionsOfChapterAsync(connection, tx, chapter.Id, ct) > 0)
            {
                throw RpcErrors.FailedPrecondition("chapter_id", LocalizedText.Pick("该章节已有直播，不能删除。", "This chapter has sessions, so it cannot be deleted."));
            }
            await CourseStore.DeleteChapterAsync(connection, tx, chapter.Id, ct);
            await RenumberAsync(connection, tx, chapters.Where(c => c.Id != chapter.Id).ToList(), ct);
        });

    [EnableRateLimiting(RateLimitPolicies.Writes)]
    public override Task<Course> ReorderChapters(ReorderChaptersRequest request, ServerCallContext context) =>
        ChangeAsync(context, request.CourseId, 0, async (connection, tx, course, chapters, now, ct) =>
        {
            for (var i = 0; i < request.ChapterIds.Count && i <= CourseRules.MaxChapters; i++)
            {
                RpcErrors.ThrowIfBadId(request.ChapterIds[i], $"chapter_ids[{i}]");
            }
            var byId = chapters.ToDictionary(c => c.Id);
            if (request.ChapterIds.Count != chapters.Count || request.ChapterIds.Distinct().Count() != chapters.Count || !request.ChapterIds.All(byId.ContainsKey))
            {
                RpcErrors.ThrowInvalid("chapter_ids", LocalizedText.Pick("须恰好列出本课程的每一章各一次。", "List every chapter of the course exactly once."));
            }
            await RenumberAsync(connection, tx, request.ChapterIds.Select(id => byId[id]).ToList(), ct);
        });

    private delegate Task CourseChange(DbConnection connection, DbTransaction tx, CourseRow course, IReadOnlyList<ChapterRow> chapters, long nowMs, CancellationToken ct);

    /// <summary>Loads the course, checks the caller may change it and the version, applies the change and bumps the version, in one transaction.</summary>
    private async Task<Course> ChangeAsync(ServerCallContext context, string courseId, long expectedVersion, CourseChange change)
    {
        RpcErrors.ThrowIfBadId(courseId, "course_id");
        var caller = context.Caller();
        var ct = context.CancellationToken;
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await Database.LockAsync(connection, tx, DecisionKeys.Course(courseId), ct);
        var course = await CourseStore.FindAsync(connection, courseId, ct, tx) ?? throw RpcErrors.NotFound("course_id", "course", courseId);
        caller.EnsureOwnerOrAdmin(course.InstructorId, "course_id", new LocalizedText("课程", "course"));
        if (expectedVersion != 0 && expectedVersion != course.Version)
        {
            throw RpcErrors.Stale(expectedVersion, course.Version);
        }
        var chapters = await CourseStore.ChaptersAsync(connection, course.Id, ct, tx);
        await change(connection, tx, course, chapters, now, ct);
        await CourseStore.TouchAsync(connection, tx, course.Id, now, ct);
        var result = await LoadAsync(connection, course.Id, ct, tx);
        await tx.CommitAsync(ct);
        return result;
    }

    private static async Task RenumberAsync(DbConnection connection, DbTransaction tx, IReadOnlyList<ChapterRow> ordered, CancellationToken ct)
    {
        for (var i = 0; i < ordered.Count; i++)
        {
            await CourseStore.SetChapterAsync(connection, tx, ordered[i].Id, i + 1, ordered[i].Title, ct);
        }
    }

    private static ChapterRow FindChapter(IReadOnlyList<ChapterRow> chapters, string chapterId)
    {
        RpcErrors.ThrowIfBadId(chapterId, "chapter_id");
        return chapters.FirstOrDefault(c => c.Id == chapterId) ?? throw RpcErrors.NotFound("chapter_id", "chapter", chapterId);
    }

    private static async Task<Course> LoadAsync(DbConnection connection, string courseId, CancellationToken ct, DbTransaction? tx = null)
    {
        var course = await CourseStore.FindAsync(connection, courseId, ct, tx) ?? throw RpcErrors.NotFound("course_id", "course", courseId);
        return ToProto(course, await CourseStore.ChaptersAsync(connection, courseId, ct, tx));
    }

    /// <summary>Refuses an admin naming someone who is not an instructor (or nobody).</summary>
    internal static async Task EnsureInstructorAsync(DbConnection connection, DbTransaction tx, string userId, CancellationToken ct)
    {
        var roles = await Dapper.SqlMapper.QuerySingleOrDefaultAsync<string>(connection, new Dapper.CommandDefinition(
            "SELECT roles FROM users WHERE id = @userId", new { userId }, tx, cancellationToken: ct))
            ?? throw RpcErrors.NotFound("instructor_id", "user", userId);
        if (!roles.Split(',').Contains(Roles.Instructor))
        {
            RpcErrors.ThrowInvalid("instructor_id", LocalizedText.Pick("该用户不是讲师。", "That user is not an instructor."));
        }
    }

    private static Course ToProto(CourseRow course, IEnumerable<ChapterRow> chapters) => new()
    {
        Id = course.Id,
        Title = course.Title,
        InstructorId = course.InstructorId,
        InstructorName = course.InstructorName,
        Description = course.Description,
        Version = course.Version,
        Chapters = { chapters.Select(c => new Chapter { Id = c.Id, Position = c.Position, Title = c.Title }) },
    };

    private static string NewChapterId() => $"ch_{Guid.CreateVersion7():N}";

    private static string? NullIfEmpty(string value) => string.IsNullOrEmpty(value) ? null : value;
}
