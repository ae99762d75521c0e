using System.Globalization;
using Dapper;
using LearnHub.Core.Common;
using LearnHub.Core.Sessions;
using LearnHub.Server.Sessions;

namespace LearnHub.Server.Data;

/// <summary>
/// The first run's demo: the course 经济基础 by 万红coco with 第19章 and 第20章, and the 直播推荐 panel of the seed page —
/// 经济基础阶段测试2试题讲解 live now, 第19章考点梳理 on 05-04 19:30 with 54 reservations, 第20章 on 05-06 19:30 with 50.
/// Reservation counts are real rows by demo viewers; viewer counts come only from real watchers.
/// </summary>
public sealed partial class DemoData(Database database, SessionTriggers triggers, TimeProvider clock, ILogger<DemoData> logger)
{
    public const string InstructorHandle = "wanhongcoco";
    public const string ViewerHandle = "xiaowang";
    private const int DemoViewers = 60;

    public async Task SeedIfEmptyAsync(CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await Database.LockAsync(connection, tx, DecisionKeys.DemoSeed, ct);
        if (await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM users", transaction: tx, cancellationToken: ct)) > 0)
        {
            return;
        }
        var now = clock.GetUtcNow();
        var nowMs = now.ToUnixTimeMilliseconds();
        var zone = TimeZones.FindOrDefault(TimeZones.PlatformDefault);

        var instructorId = "u_demo_wanhongcoco";
        var users = new List<(string Id, string Handle, string DisplayName, string Roles)>
        {
            (instructorId, InstructorHandle, "万红coco", "instructor,viewer"),
            ("u_demo_xiaowang", ViewerHandle, "学员小王", "viewer"),
        };
        var viewerIds = Enumerable.Range(1, DemoViewers).Select(i => $"u_demo_viewer_{i:00}").ToList();
        users.AddRange(viewerIds.Select((id, i) => (id, $"demo-viewer-{i + 1:00}", $"学员{i + 1:00}", "viewer")));
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO users (id, handle, display_name, roles, time_zone, created_at_ms, handle_key, display_name_key)
            VALUES (@Id, @Handle, @DisplayName, @Roles, 'Asia/Shanghai', @nowMs, @HandleKey, @DisplayNameKey)
            """,
            users.Select(u => new
            {
                u.Id, u.Handle, u.DisplayName, u.Roles, nowMs,
                HandleKey = SearchKey.Of(u.Handle), DisplayNameKey = SearchKey.Of(u.DisplayName),
            }), tx, cancellationToken: ct));

        const string courseId = "c_demo_jingjijichu";
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO courses (id, instructor_id, title, description, version, created_at_ms, updated_at_ms)
            VALUES (@courseId, @instructorId, '经济基础', '中级经济师《经济基础知识》考点精讲', 1, @nowMs, @nowMs);
            INSERT INTO chapters (id, course_id, position, title) VALUES ('ch_demo_19', @courseId, 1, '第19章'), ('ch_demo_20', @courseId, 2, '第20章');
            """,
            new { courseId, instructorId, nowMs }, tx, cancellationToken: ct));

        // The page's dates are local (Asia/Shanghai); take their next occurrence so they are upcoming.
        var year = TimeZoneInfo.ConvertTime(now, zone).Year;
        var chapter19 = NextOccurrence(new DateTime(year, 5, 4, 19, 30, 0), zone, now);
        var chapter20 = chapter19.AddDays(2);
        var liveStart = now.AddMinutes(-20);
        var sessions = new[]
        {
            Row("s_demo_test2", instructorId, courseId, null, "经济基础阶段测试2试题讲解", liveStart, 120, SessionStatus.Live, nowMs),
            Row("s_demo_ch19", instructorId, courseId, "ch_demo_19", "经济基础第19章考点梳理", chapter19, 90, SessionStatus.Scheduled, nowMs),
            Row("s_demo_ch20", instructorId, courseId, "ch_demo_20", "经济基础第20章考点梳理", chapter20, 90, SessionStatus.Scheduled, nowMs),
        };
        foreach (var session in sessions)
        {
            await SessionStore.InsertAsync(connection, tx, session, null, ct);
        }
        foreach (var (sessionId, count) in new[] { ("s_demo_ch19", 54), ("s_demo_ch20", 50) })
        {
            foreach (var viewerId in viewerIds.Take(count))
            {
                await SessionStore.ReserveAsync(connection, tx, sessionId, viewerId, nowMs, ct);
            }
        }
        await tx.CommitAsync(ct);
        foreach (var session in sessions)
        {
            await triggers.SyncAsync(session.Id, ct);
        }
        LogSeeded(chapter19.ToString("u", CultureInfo.InvariantCulture));
    }

    private static DateTimeOffset NextOccurrence(DateTime local, TimeZoneInfo zone, DateTimeOffset after)
    {
        var instant = CourseSeriesPlanner.ToInstant(local, zone);
        return instant > after ? instant : CourseSeriesPlanner.ToInstant(local.AddYears(1), zone);
    }

    private static SessionRow Row(string id, string instructorId, string courseId, string? chapterId, string title, DateTimeOffset start, int minutes, SessionStatus status, long nowMs) => new()
    {
        Id = id,
        InstructorId = instructorId,
        CourseId = courseId,
        ChapterId = chapterId,
        Title = title,
        TimeZone = TimeZones.PlatformDefault,
        PlannedStartMs = start.ToUnixTimeMilliseconds(),
        DurationMinutes = minutes,
        PlannedEndMs = start.AddMinutes(minutes).ToUnixTimeMilliseconds(),
        Status = status,
        LiveAtMs = status == SessionStatus.Live ? start.ToUnixTimeMilliseconds() : null,
        Version = 1,
        CreatedAtMs = nowMs,
        UpdatedAtMs = nowMs,
    };

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Seeded the demo course 经济基础 (next 第19章 session {Chapter19Start})")]
    private partial void LogSeeded(string chapter19Start);
}
