using System.Data.Common;
using Dapper;
using LearnHub.Server.Data;

namespace LearnHub.Server.Courses;

public sealed class CourseRow
{
    public string Id { get; init; } = "";
    public string InstructorId { get; init; } = "";
    public string InstructorName { get; init; } = "";
    public string Title { get; init; } = "";
    public string Description { get; init; } = "";
    public long Version { get; init; }
    public long CreatedAtMs { get; init; }
}

public sealed record ChapterRow(string Id, string CourseId, int Position, string Title)
{
    /// <summary>What Dapper materializes from: SQLite reads INTEGER as Int64 and Dapper matches constructors by exact type.</summary>
    public ChapterRow(string id, string courseId, long position, string title)
        : this(id, courseId, checked((int)position), title)
    {
    }
}

/// <summary>The courses and chapters SQL, on the caller's connection and transaction.</summary>
public static class CourseStore
{
    private const string Columns = "c.id, c.instructor_id, u.display_name AS instructor_name, c.title, c.description, c.version, c.created_at_ms";

    public static Task<CourseRow?> FindAsync(DbConnection connection, string id, CancellationToken ct, DbTransaction? tx = null) =>
        connection.QuerySingleOrDefaultAsync<CourseRow>(new CommandDefinition(
            $"SELECT {Columns} FROM courses c JOIN users u ON u.id = c.instructor_id WHERE c.id = @id",
            new { id }, tx, cancellationToken: ct));

    public static async Task<IReadOnlyList<ChapterRow>> ChaptersAsync(DbConnection connection, string courseId, CancellationToken ct, DbTransaction? tx = null) =>
        (await connection.QueryAsync<ChapterRow>(new CommandDefinition(
            "SELECT id, course_id AS CourseId, position, title FROM chapters WHERE course_id = @courseId ORDER BY position",
            new { courseId }, tx, cancellationToken: ct))).AsList();

    public static async Task<bool> HasChapterAsync(DbConnection connection, DbTransaction tx, string courseId, string chapterId, CancellationToken ct) =>
        await connection.ExecuteScalarAsync<int?>(new CommandDefinition(
            "SELECT 1 FROM chapters WHERE id = @chapterId AND course_id = @courseId",
            new { courseId, chapterId }, tx, cancellationToken: ct)) is not null;

    public static async Task<IReadOnlyList<ChapterRow>> ChaptersOfAsync(DbConnection connection, IReadOnlyCollection<string> courseIds, CancellationToken ct) =>
        (await connection.QueryAsync<ChapterRow>(new CommandDefinition(
            $"SELECT id, course_id AS CourseId, position, title FROM chapters WHERE {SqlDialect.In(connection, "course_id", "@courseIds")} ORDER BY course_id, position",
            new { courseIds }, cancellationToken: ct))).AsList();

    public static async Task<IReadOnlyList<CourseRow>> ListAsync(
        DbConnection connection, string? instructorId, long? afterCreatedMs, string? afterId, int limit, CancellationToken ct) =>
        (await connection.QueryAsync<CourseRow>(new CommandDefinition(
            $"""
            SELECT {Columns} FROM courses c JOIN users u ON u.id = c.instructor_id
            WHERE (@instructorId IS NULL OR c.instructor_id = @instructorId)
              AND (@afterCreatedMs IS NULL OR c.created_at_ms > @afterCreatedMs OR (c.created_at_ms = @afterCreatedMs AND c.id > @afterId))
            ORDER BY c.created_at_ms, c.id
            LIMIT @limit
            """,
            new { instructorId, afterCreatedMs, afterId, limit }, cancellationToken: ct))).AsList();

    public static Task InsertAsync(DbConnection connection, DbTransaction tx, string id, string instructorId, string title, string description, long nowMs, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO courses (id, instructor_id, title, description, version, created_at_ms, updated_at_ms)
            VALUES (@id, @instructorId, @title, @description, 1, @nowMs, @nowMs)
            """,
            new { id, instructorId, title, description, nowMs }, tx, cancellationToken: ct));

    /// <summary>Writes title and description; the version moves once per change, in <see cref="TouchAsync"/>.</summary>
    public static Task UpdateAsync(DbConnection connection, DbTransaction tx, string id, string title, string description, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition(
            "UPDATE courses SET title = @title, description = @description WHERE id = @id",
            new { id, title, description }, tx, cancellationToken: ct));

    /// <summary>Any chapter change is a change of the course: its version moves so stale edits are caught.</summary>
    public static Task TouchAsync(DbConnection connection, DbTransaction tx, string id, long nowMs, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition(
            "UPDATE courses SET version = version + 1, updated_at_ms = @nowMs WHERE id = @id",
            new { id, nowMs }, tx, cancellationToken: ct));

    public static Task InsertChapterAsync(DbConnection connection, DbTransaction tx, ChapterRow chapter, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO chapters (id, course_id, position, title) VALUES (@Id, @CourseId, @Position, @Title)",
            chapter, tx, cancellationToken: ct));

    public static Task SetChapterAsync(DbConnection connection, DbTransaction tx, string id, int position, string title, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition(
            "UPDATE chapters SET position = @position, title = @title WHERE id = @id",
            new { id, position, title }, tx, cancellationToken: ct));

    public static Task DeleteChapterAsync(DbConnection connection, DbTransaction tx, string id, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition("DELETE FROM chapters WHERE id = @id", new { id }, tx, cancellationToken: ct));

    /// <summary>Sessions of any status that name the chapter (they keep it as history, so it cannot go).</summary>
    public static Task<int> CountSessionsOfChapterAsync(DbConnection connection, DbTransaction tx, string chapterId, CancellationToken ct) =>
        connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT COUNT(*) FROM sessions WHERE chapter_id = @chapterId", new { chapterId }, tx, cancellationToken: ct));
}
