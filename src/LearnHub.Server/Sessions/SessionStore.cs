using System.Data.Common;
using Dapper;
using LearnHub.Core.Sessions;
using Npgsql;

namespace LearnHub.Server.Sessions;

/// <summary>The sessions and reservations SQL. Each method runs on the caller's connection and transaction.</summary>
public static class SessionStore
{
    private const string SelectColumns = """
        s.id, s.instructor_id, u.display_name AS instructor_name, s.course_id, s.chapter_id, s.title, s.description,
        s.time_zone, s.planned_start_ms, s.duration_minutes, s.planned_end_ms, s.status, s.live_at_ms, s.ended_at_ms,
        s.cancel_reason, s.reservation_count, s.version, s.triggers_version, s.created_at_ms, s.updated_at_ms,
        s.ingest_state, s.ingest_client_id, s.ingest_grace_end_ms, s.playback_url, s.not_held
        """;

    private const string ReservedByMe = "EXISTS (SELECT 1 FROM reservations r WHERE r.session_id = s.id AND r.user_id = @me) AS reserved_by_me";

    public static Task<SessionRow?> FindAsync(DbConnection connection, string id, string? me, CancellationToken ct, DbTransaction? tx = null) =>
        connection.QuerySingleOrDefaultAsync<SessionRow>(new CommandDefinition(
            $"SELECT {SelectColumns}, {ReservedByMe} FROM sessions s JOIN users u ON u.id = s.instructor_id WHERE s.id = @id",
            new { id, me }, tx, cancellationToken: ct));

    /// <summary>
    /// On PostgreSQL, locks the session's row until the transaction ends: a writer of the row (a reschedule) that got
    /// there first has committed before the row is read, and one that comes later waits. SQLite's single writer
    /// (transactions begin immediate) already orders them.
    /// </summary>
    public static Task LockRowAsync(DbConnection connection, DbTransaction tx, string id, CancellationToken ct) =>
        connection is NpgsqlConnection
            ? connection.ExecuteAsync(new CommandDefinition("SELECT 1 FROM sessions WHERE id = @id FOR UPDATE", new { id }, tx, cancellationToken: ct))
            : Task.CompletedTask;

    public static Task<SessionRow?> FindByRequestIdAsync(DbConnection connection, DbTransaction tx, string instructorId, string requestId, CancellationToken ct) =>
        connection.QuerySingleOrDefaultAsync<SessionRow>(new CommandDefinition(
            $"SELECT {SelectColumns}, 0 AS reserved_by_me FROM sessions s JOIN users u ON u.id = s.instructor_id WHERE s.instructor_id = @instructorId AND s.request_id = @requestId",
            new { instructorId, requestId }, tx, cancellationToken: ct));

    /// <summary>
    /// The first Scheduled/Live session of the instructor overlapping [start, end). A session that went live early
    /// occupies time from when it went live.
    /// </summary>
    public static Task<SessionRow?> FindConflictAsync(
        DbConnection connection, DbTransaction tx, string instructorId, long startMs, long endMs, string? excludeId, CancellationToken ct) =>
        connection.QueryFirstOrDefaultAsync<SessionRow>(new CommandDefinition(
            $"""
            SELECT {SelectColumns}, 0 AS reserved_by_me
            FROM sessions s JOIN users u ON u.id = s.instructor_id
            WHERE s.instructor_id = @instructorId
              AND s.status IN (1, 2)
              AND (@excludeId IS NULL OR s.id <> @excludeId)
              AND s.planned_end_ms > @startMs
              AND (CASE WHEN s.live_at_ms IS NOT NULL AND s.live_at_ms < s.planned_start_ms THEN s.live_at_ms ELSE s.planned_start_ms END) < @endMs
            ORDER BY s.planned_start_ms
            """,
            new { instructorId, startMs, endMs, excludeId }, tx, cancellationToken: ct));

    public static Task InsertAsync(DbConnection connection, DbTransaction tx, SessionRow row, string? requestId, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO sessions (id, instructor_id, course_id, chapter_id, title, description, time_zone, planned_start_ms,
                duration_minutes, planned_end_ms, status, live_at_ms, ended_at_ms, reservation_count, version,
                request_id, created_at_ms, updated_at_ms)
            VALUES (@Id, @InstructorId, @CourseId, @ChapterId, @Title, @Description, @TimeZone, @PlannedStartMs,
                @DurationMinutes, @PlannedEndMs, @Status, @LiveAtMs, @EndedAtMs, @ReservationCount, @Version,
                @requestId, @CreatedAtMs, @UpdatedAtMs)
            """,
            new
            {
                row.Id, row.InstructorId, row.CourseId, row.ChapterId, row.Title, row.Description, row.TimeZone, row.PlannedStartMs,
                row.DurationMinutes, row.PlannedEndMs, Status = (int)row.Status, row.LiveAtMs, row.EndedAtMs, row.ReservationCount,
                row.Version, requestId, row.CreatedAtMs, row.UpdatedAtMs,
            },
            tx, cancellationToken: ct));

    /// <summary>Writes the editable fields and bumps the version (the caller read the row in this write transaction).</summary>
    public static Task UpdateDetailsAsync(DbConnection connection, DbTransaction tx, SessionRow row, long nowMs, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE sessions
            SET title = @Title, description = @Description, time_zone = @TimeZone, planned_start_ms = @PlannedStartMs,
                duration_minutes = @DurationMinutes, planned_end_ms = @PlannedEndMs, version = version + 1, updated_at_ms = @nowMs
            WHERE id = @Id
            """,
            new { row.Title, row.Description, row.TimeZone, row.PlannedStartMs, row.DurationMinutes, row.PlannedEndMs, nowMs, row.Id },
            tx, cancellationToken: ct));

    /// <summary>Moves the status if the session is still in <paramref name="from"/>; false when it was not.</summary>
    public static async Task<bool> MoveStatusAsync(
        DbConnection connection, DbTransaction tx, string id, SessionStatus from, SessionStatus to, long nowMs, CancellationToken ct,
        string? cancelReason = null, long? liveAtMs = null, long? expectedVersion = null, bool triggersStillValid = false)
    {
        if (!SessionStatusMachine.CanMove(from, to))
        {
            throw new InvalidOperationException($"{from} → {to} is not a session transition.");
        }
        return await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE sessions
            SET status = @to,
                live_at_ms = CASE WHEN @to = 2 THEN @liveAtMs ELSE live_at_ms END,
                ended_at_ms = CASE WHEN @to = 3 THEN @nowMs ELSE ended_at_ms END,
                cancel_reason = CASE WHEN @to = 4 THEN @cancelReason ELSE cancel_reason END,
                -- A scheduler step leaves the remaining triggers right: stay in sync if we were.
                triggers_version = CASE WHEN @triggersStillValid AND triggers_version = version THEN version + 1 ELSE triggers_version END,
                version = version + 1,
                updated_at_ms = @nowMs
            WHERE id = @id AND status = @from AND (@expectedVersion IS NULL OR version = @expectedVersion)
            """,
            new { id, from = (int)from, to = (int)to, nowMs, cancelReason, liveAtMs = liveAtMs ?? nowMs, expectedVersion, triggersStillValid },
            tx, cancellationToken: ct)) == 1;
    }

    /// <summary>Adds minutes to a Live session's planned end (the caller read the row in this write transaction).</summary>
    public static Task ExtendAsync(DbConnection connection, DbTransaction tx, string id, int minutes, long nowMs, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE sessions
            SET duration_minutes = duration_minutes + @minutes, planned_end_ms = planned_end_ms + @minutes * 60000,
                version = version + 1, updated_at_ms = @nowMs
            WHERE id = @id AND status = 2
            """,
            new { id, minutes, nowMs }, tx, cancellationToken: ct));

    /// <summary>Records that the Quartz triggers of this version are written.</summary>
    public static Task MarkTriggersSyncedAsync(DbConnection connection, string id, long version, CancellationToken ct, DbTransaction? tx = null) =>
        connection.ExecuteAsync(new CommandDefinition(
            "UPDATE sessions SET triggers_version = @version WHERE id = @id AND triggers_version < @version",
            new { id, version }, tx, cancellationToken: ct));

    /// <summary>Rows whose triggers lag their version (a crash or failure between commit and scheduling).</summary>
    public static async Task<IReadOnlyList<SessionRow>> ListTriggersPendingAsync(DbConnection connection, int limit, CancellationToken ct) =>
        (await connection.QueryAsync<SessionRow>(new CommandDefinition(
            $"SELECT {SelectColumns}, 0 AS reserved_by_me FROM sessions s JOIN users u ON u.id = s.instructor_id WHERE s.triggers_version <> s.version LIMIT @limit",
            new { limit }, cancellationToken: ct))).AsList();

    /// <summary>The latest <paramref name="limit"/> sessions whose row changed at or after <paramref name="sinceMs"/>, oldest change first.</summary>
    public static async Task<IReadOnlyList<SessionRow>> ListChangedSinceAsync(DbConnection connection, long sinceMs, int limit, CancellationToken ct)
    {
        var newestFirst = (await connection.QueryAsync<SessionRow>(new CommandDefinition(
            $"""
            SELECT {SelectColumns}, 0 AS reserved_by_me FROM sessions s JOIN users u ON u.id = s.instructor_id
            WHERE s.updated_at_ms >= @sinceMs
            ORDER BY s.updated_at_ms DESC, s.id DESC
            LIMIT @limit
            """,
            new { sinceMs, limit }, cancellationToken: ct))).AsList();
        newestFirst.Reverse();
        return newestFirst;
    }

    /// <summary>
    /// Scheduled sessions whose reminder was planned (start set at least the lead ahead), came due at or before
    /// <paramref name="cutoffMs"/>, and reached none of the viewers who had reserved by then.
    /// </summary>
    public static async Task<IReadOnlyList<SessionRow>> ListMissedRemindersAsync(DbConnection connection, long leadMs, long cutoffMs, int limit, CancellationToken ct) =>
        (await connection.QueryAsync<SessionRow>(new CommandDefinition(
            $"""
            SELECT {SelectColumns}, 0 AS reserved_by_me FROM sessions s JOIN users u ON u.id = s.instructor_id
            WHERE s.status = 1 AND s.planned_start_ms - @leadMs <= @cutoffMs AND s.planned_start_ms - @leadMs > s.updated_at_ms
              AND EXISTS (SELECT 1 FROM reservations r WHERE r.session_id = s.id AND r.created_at_ms <= s.planned_start_ms - @leadMs)
              AND NOT EXISTS (
                  SELECT 1 FROM reservations r JOIN notifications n ON n.user_id = r.user_id AND n.session_id = r.session_id
                  WHERE r.session_id = s.id AND n.kind = @reminder AND n.occurrence = CAST(s.planned_start_ms AS TEXT))
            LIMIT @limit
            """,
            new { leadMs, cutoffMs, limit, reminder = (int)NoticeKind.Reminder }, cancellationToken: ct))).AsList();

    /// <summary>
    /// Sessions whose go-live (Scheduled; not with <paramref name="goLiveDue"/> false: with ingest the clock takes none
    /// live) or auto-end (Live) was due at or before <paramref name="cutoffMs"/>.
    /// </summary>
    public static async Task<IReadOnlyList<SessionRow>> ListOverdueAsync(DbConnection connection, long cutoffMs, int limit, CancellationToken ct, bool goLiveDue = true) =>
        (await connection.QueryAsync<SessionRow>(new CommandDefinition(
            $"""
            SELECT {SelectColumns}, 0 AS reserved_by_me FROM sessions s JOIN users u ON u.id = s.instructor_id
            WHERE (@goLiveDue AND s.status = 1 AND s.planned_start_ms <= @cutoffMs) OR (s.status = 2 AND s.planned_end_ms <= @cutoffMs)
            LIMIT @limit
            """,
            new { cutoffMs, limit, goLiveDue }, cancellationToken: ct))).AsList();

    public static async Task<IReadOnlyList<SessionRow>> ListAsync(DbConnection connection, SessionQuery query, CancellationToken ct) =>
        (await connection.QueryAsync<SessionRow>(new CommandDefinition(
            $"""
            SELECT {SelectColumns}, {ReservedByMe}
            FROM sessions s JOIN users u ON u.id = s.instructor_id
            WHERE (@InstructorId IS NULL OR s.instructor_id = @InstructorId)
              AND (@CourseId IS NULL OR s.course_id = @CourseId)
              AND (@StatusMask = 0 OR (@StatusMask & (1 << CAST(s.status AS INTEGER))) <> 0)
              AND (@StartFromMs IS NULL OR s.planned_start_ms >= @StartFromMs)
              AND (@StartBeforeMs IS NULL OR s.planned_start_ms < @StartBeforeMs)
              AND (@AfterStartMs IS NULL OR s.planned_start_ms > @AfterStartMs OR (s.planned_start_ms = @AfterStartMs AND s.id > @AfterId))
            ORDER BY s.planned_start_ms, s.id
            LIMIT @Limit
            """,
            new
            {
                query.InstructorId, query.CourseId, query.StatusMask, query.StartFromMs, query.StartBeforeMs,
                query.AfterStartMs, query.AfterId, query.Limit, me = query.Me,
            },
            cancellationToken: ct))).AsList();

    public static async Task<IReadOnlyList<SessionRow>> ListLiveAsync(DbConnection connection, string me, CancellationToken ct) =>
        (await connection.QueryAsync<SessionRow>(new CommandDefinition(
            $"SELECT {SelectColumns}, {ReservedByMe} FROM sessions s JOIN users u ON u.id = s.instructor_id WHERE s.status = 2",
            new { me }, cancellationToken: ct))).AsList();

    public static async Task<IReadOnlyList<SessionRow>> ListUpcomingAsync(DbConnection connection, string me, int offset, int limit, CancellationToken ct) =>
        (await connection.QueryAsync<SessionRow>(new CommandDefinition(
            $"""
            SELECT {SelectColumns}, {ReservedByMe}
            FROM sessions s JOIN users u ON u.id = s.instructor_id
            WHERE s.status = 1
            ORDER BY s.planned_start_ms, s.id
            LIMIT @limit OFFSET @offset
            """,
            new { me, offset, limit }, cancellationToken: ct))).AsList();

    /// <summary>
    /// The panel's sessions in one statement (one consistent read on both engines): every Live one, then the first
    /// <paramref name="upcomingLimit"/> Scheduled ones by start. Live first; each part in the order the panel lists it
    /// (live ones are then ordered by viewers in memory). No reserved_by_me: that is the caller's, added per call.
    /// </summary>
    public static async Task<IReadOnlyList<SessionRow>> ListPanelAsync(DbConnection connection, int upcomingLimit, CancellationToken ct) =>
        (await connection.QueryAsync<SessionRow>(new CommandDefinition(
            $"""
            SELECT * FROM (
                SELECT {SelectColumns}, 0 AS reserved_by_me FROM sessions s JOIN users u ON u.id = s.instructor_id WHERE s.status = 2
                UNION ALL
                SELECT * FROM (
                    SELECT {SelectColumns}, 0 AS reserved_by_me FROM sessions s JOIN users u ON u.id = s.instructor_id
                    WHERE s.status = 1 ORDER BY s.planned_start_ms, s.id LIMIT @upcomingLimit) upcoming
            ) panel
            ORDER BY panel.status DESC, panel.planned_start_ms, panel.id
            """,
            new { upcomingLimit }, cancellationToken: ct))).AsList();

    /// <summary>The ids of every session <paramref name="userId"/> holds a reservation for.</summary>
    public static async Task<IReadOnlyList<string>> ListReservedSessionIdsAsync(DbConnection connection, string userId, CancellationToken ct) =>
        (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT session_id FROM reservations WHERE user_id = @userId", new { userId }, cancellationToken: ct))).AsList();

    /// <summary>
    /// The sessions of a calendar feed overlapping [fromMs, toMs), soonest first: one instructor's, one course's or those
    /// <paramref name="reservedBy"/> reserved (null: no such filter). <paramref name="statusMask"/> has bit (1 &lt;&lt; status).
    /// </summary>
    /// <summary>
    /// A calendar feed's sessions in <c>[fromMs, toMs)</c>, at most <paramref name="limit"/>: those not yet over first,
    /// soonest first, then past ones, most recent first, so a full feed drops the oldest past sessions.
    /// </summary>
    public static async Task<IReadOnlyList<SessionRow>> ListForFeedAsync(
        DbConnection connection, string? instructorId, string? courseId, string? reservedBy, int statusMask, long fromMs, long nowMs, long toMs, int limit, CancellationToken ct) =>
        (await connection.QueryAsync<SessionRow>(new CommandDefinition(
            $"""
            SELECT {SelectColumns}, 0 AS reserved_by_me
            FROM sessions s JOIN users u ON u.id = s.instructor_id
            WHERE (@instructorId IS NULL OR s.instructor_id = @instructorId)
              AND (@courseId IS NULL OR s.course_id = @courseId)
              AND (@reservedBy IS NULL OR EXISTS (SELECT 1 FROM reservations r WHERE r.session_id = s.id AND r.user_id = @reservedBy))
              AND (@statusMask & (1 << CAST(s.status AS INTEGER))) <> 0
              AND s.planned_end_ms > @fromMs AND s.planned_start_ms < @toMs
            ORDER BY CASE WHEN s.planned_end_ms > @nowMs THEN 0 ELSE 1 END,
                     CASE WHEN s.planned_end_ms > @nowMs THEN s.planned_start_ms ELSE -s.planned_start_ms END,
                     s.id
            LIMIT @limit
            """,
            new { instructorId, courseId, reservedBy, statusMask, fromMs, nowMs, toMs, limit }, cancellationToken: ct))).AsList();

    /// <summary>Adds a reservation once; keeps the session's count in the same transaction.</summary>
    public static async Task<bool> ReserveAsync(DbConnection connection, DbTransaction tx, string sessionId, string userId, long nowMs, CancellationToken ct)
    {
        var added = await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO reservations (session_id, user_id, created_at_ms) VALUES (@sessionId, @userId, @nowMs) ON CONFLICT DO NOTHING",
            new { sessionId, userId, nowMs }, tx, cancellationToken: ct));
        if (added == 1)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE sessions SET reservation_count = reservation_count + 1 WHERE id = @sessionId",
                new { sessionId }, tx, cancellationToken: ct));
        }
        return added == 1;
    }

    public static async Task<bool> CancelReservationAsync(DbConnection connection, DbTransaction tx, string sessionId, string userId, CancellationToken ct)
    {
        var removed = await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM reservations WHERE session_id = @sessionId AND user_id = @userId",
            new { sessionId, userId }, tx, cancellationToken: ct));
        if (removed == 1)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE sessions SET reservation_count = reservation_count - 1 WHERE id = @sessionId",
                new { sessionId }, tx, cancellationToken: ct));
        }
        return removed == 1;
    }

    public static Task<long?> FindReservationTimeAsync(DbConnection connection, DbTransaction tx, string sessionId, string userId, CancellationToken ct) =>
        connection.QuerySingleOrDefaultAsync<long?>(new CommandDefinition(
            "SELECT created_at_ms FROM reservations WHERE session_id = @sessionId AND user_id = @userId",
            new { sessionId, userId }, tx, cancellationToken: ct));

    public static async Task<IReadOnlyList<(SessionRow Session, long ReservedAtMs)>> ListReservationsAsync(
        DbConnection connection, string userId, bool includePast, long? afterReservedMs, string? afterSessionId, int limit, CancellationToken ct)
    {
        var rows = await connection.QueryAsync<SessionRow, long, (SessionRow, long)>(new CommandDefinition(
            $"""
            SELECT {SelectColumns}, 1 AS reserved_by_me, r.created_at_ms AS reserved_at_ms
            FROM reservations r
            JOIN sessions s ON s.id = r.session_id
            JOIN users u ON u.id = s.instructor_id
            WHERE r.user_id = @userId
              AND (@includePast OR s.status IN (1, 2))
              AND (@afterReservedMs IS NULL OR r.created_at_ms < @afterReservedMs OR (r.created_at_ms = @afterReservedMs AND r.session_id < @afterSessionId))
            ORDER BY r.created_at_ms DESC, r.session_id DESC
            LIMIT @limit
            """,
            new { userId, includePast, afterReservedMs, afterSessionId, limit }, cancellationToken: ct),
            (session, reservedAt) => (session, reservedAt),
            splitOn: "reserved_at_ms");
        return rows.AsList();
    }
}

/// <summary>ListSessions filters; null means "any". <see cref="StatusMask"/> has bit (1 &lt;&lt; status) per wanted status.</summary>
public sealed record SessionQuery(
    string? InstructorId, string? CourseId, int StatusMask, long? StartFromMs, long? StartBeforeMs,
    long? AfterStartMs, string? AfterId, int Limit, string Me);
