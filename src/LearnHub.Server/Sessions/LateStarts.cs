using System.Data.Common;
using System.Globalization;
using Dapper;
using LearnHub.Core.Sessions;
using LearnHub.Server.Data;
using LearnHub.Server.Ingest;
using Microsoft.Extensions.Options;

namespace LearnHub.Server.Sessions;

/// <summary>
/// The late-start steps of a server with RTMP ingest, where the clock alone never takes a session live: a session still
/// Scheduled <see cref="IngestOptions.LateNoticeAfter"/> after its planned start tells its reserved viewers once
/// (晚点开播); one still Scheduled at <see cref="NotHeldAt"/> is cancelled as not held (<c>sessions.not_held</c>) and
/// they are told once more. Both run from the session's Quartz triggers and, if a trigger was lost, from the
/// reconciler's overdue pass: each holds the row and re-checks it, so either may run them, twice, on two nodes.
/// Without ingest nothing here runs.
/// </summary>
public sealed partial class LateStarts(
    Database database, SessionTriggers triggers, IOptions<IngestOptions> options, ISessionEvents events, TimeProvider clock,
    ILogger<LateStarts> logger)
{
    /// <summary>Whether this server has ingest (and so these steps instead of the go-live on the clock).</summary>
    public bool Enabled => options.Value.Enabled;

    /// <summary>When a session nothing was published for is not held: the bound after its start, or its planned end if sooner.</summary>
    public static DateTimeOffset NotHeldAt(SessionRow session, IngestOptions ingest)
    {
        var bound = session.PlannedStart + ingest.NotHeldAfter;
        return bound < session.PlannedEnd ? bound : session.PlannedEnd;
    }

    /// <summary>When reserved viewers get the 晚点开播 notice; none when the session is not held by then anyway.</summary>
    public static DateTimeOffset? LateNoticeAt(SessionRow session, IngestOptions ingest)
    {
        var at = session.PlannedStart + ingest.LateNoticeAfter;
        return at < NotHeldAt(session, ingest) ? at : null;
    }

    /// <summary>
    /// 晚点开播 to every reserved viewer, if the session is still Scheduled for the start this step was for (one that
    /// went live by a stream or by 开播 has nothing to hear). Skipped once the not-held step is due: after downtime that
    /// covers both, the viewers hear only that it was not held.
    /// </summary>
    public async Task NoticeAsync(string sessionId, long dueStartMs, CancellationToken ct)
    {
        var ingest = options.Value;
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await SessionStore.LockRowAsync(connection, tx, sessionId, ct);
        var session = await SessionStore.FindAsync(connection, sessionId, null, ct, tx);
        var now = clock.GetUtcNow();
        if (!ingest.Enabled || session is null || session.Status != SessionStatus.Scheduled || session.PlannedStartMs != dueStartMs
            || LateNoticeAt(session, ingest) is not { } noticeAt || now < noticeAt || now >= NotHeldAt(session, ingest))
        {
            LogStepSkipped(sessionId, SessionStep.LateNotice);
            return;
        }
        var sent = await SessionNotices.NotifyReservedViewersAsync(
            connection, tx, session, NoticeKind.LateStart, Occurrence(session), now.ToUnixTimeMilliseconds(), ct);
        await tx.CommitAsync(ct);
        LogNoticeSent(sessionId, sent);
    }

    /// <summary>The not-held step: see <see cref="CancelNotHeldAsync"/>. The trigger carries the planned start it was set for.</summary>
    public async Task NotHeldAsync(string sessionId, long dueStartMs, CancellationToken ct) =>
        await CancelNotHeldAsync(sessionId, s => s.PlannedStartMs == dueStartMs, ct);

    /// <summary>
    /// The auto-end of a session that never went live: with ingest it is not held (never taken live to be ended).
    /// True when the session was Scheduled and this handled it; false when there is no ingest or the session is not
    /// Scheduled (a Live one is the auto-end's to end).
    /// </summary>
    public async Task<bool> AutoEndNeverLiveAsync(string sessionId, long dueEndMs, CancellationToken ct) =>
        Enabled && await CancelNotHeldAsync(sessionId, s => s.PlannedEndMs == dueEndMs, ct) is not null;

    /// <summary>
    /// Scheduled → Cancelled with <c>not_held</c> and the NOT_HELD notice to every reserved viewer, if the session is
    /// still Scheduled, <paramref name="isDue"/> (the trigger matches the row) and its not-held time has come. Null when
    /// the session is not Scheduled (or there is no ingest); otherwise whether it was cancelled now.
    /// </summary>
    private async Task<bool?> CancelNotHeldAsync(string sessionId, Func<SessionRow, bool> isDue, CancellationToken ct)
    {
        var ingest = options.Value;
        if (!ingest.Enabled)
        {
            return null;
        }
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        // As a cancel by hand: a reservation committing meanwhile either comes first (and is told) or sees the session
        // cancelled. Then the row, as the other steps: a second runner (another node, the overdue pass) waits, then skips.
        await Database.LockAsync(connection, tx, DecisionKeys.Session(sessionId), ct);
        await SessionStore.LockRowAsync(connection, tx, sessionId, ct);
        var session = await SessionStore.FindAsync(connection, sessionId, null, ct, tx);
        if (session is null || session.Status != SessionStatus.Scheduled)
        {
            LogStepSkipped(sessionId, SessionStep.NotHeld);
            return null;
        }
        var now = clock.GetUtcNow();
        if (!isDue(session) || now < NotHeldAt(session, ingest))
        {
            LogStepSkipped(sessionId, SessionStep.NotHeld);
            return false;
        }
        var nowMs = now.ToUnixTimeMilliseconds();
        if (!await SessionStore.MoveStatusAsync(connection, tx, sessionId, SessionStatus.Scheduled, SessionStatus.Cancelled, nowMs, ct,
                expectedVersion: session.Version))
        {
            LogStepSkipped(sessionId, SessionStep.NotHeld);
            return false;
        }
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE sessions SET not_held = 1 WHERE id = @sessionId", new { sessionId }, tx, cancellationToken: ct));
        var sent = await SessionNotices.NotifyReservedViewersAsync(connection, tx, session, NoticeKind.NotHeld, Occurrence(session), nowMs, ct);
        await tx.CommitAsync(ct);
        LogNotHeld(sessionId, sent, nowMs - session.PlannedStartMs);
        // Its remaining triggers go, as after a cancel by hand (the row is marked behind until then).
        await triggers.SyncAfterCommitAsync(sessionId);
        events.Publish(new SessionChanged(sessionId, SessionStatus.Cancelled));
        return true;
    }

    /// <summary>
    /// The reconciler's overdue pass: runs the late notice or the not-held step of every Scheduled session whose step
    /// came due before <paramref name="cutoffMs"/> and has not run (a lost trigger, a trigger that fired under other
    /// bounds before a restart, a store fault). Returns the sessions it looked at.
    /// </summary>
    public async Task<int> RunOverdueAsync(long cutoffMs, int limit, CancellationToken ct)
    {
        var ingest = options.Value;
        if (!ingest.Enabled)
        {
            return 0;
        }
        IReadOnlyList<SessionRow> due;
        await using (var connection = await database.OpenAsync(ct))
        {
            due = await ListOverdueAsync(connection, ingest, cutoffMs, limit, ct);
        }
        foreach (var session in due)
        {
            if (NotHeldAt(session, ingest).ToUnixTimeMilliseconds() <= cutoffMs)
            {
                await NotHeldAsync(session.Id, session.PlannedStartMs, ct);
            }
            else
            {
                await NoticeAsync(session.Id, session.PlannedStartMs, ct);
            }
        }
        return due.Count;
    }

    /// <summary>
    /// Scheduled sessions whose not-held time is at or before <paramref name="cutoffMs"/>, and those whose late notice
    /// is (and comes before the not-held time) that reached none of their reserved viewers.
    /// </summary>
    private static async Task<IReadOnlyList<SessionRow>> ListOverdueAsync(
        DbConnection connection, IngestOptions ingest, long cutoffMs, int limit, CancellationToken ct) =>
        (await connection.QueryAsync<SessionRow>(new CommandDefinition(
            """
            SELECT s.id, s.planned_start_ms, s.duration_minutes, s.planned_end_ms, s.status
            FROM sessions s
            WHERE s.status = 1 AND s.planned_start_ms + @lateMs <= @cutoffMs
              AND (CASE WHEN s.planned_start_ms + @notHeldMs < s.planned_end_ms THEN s.planned_start_ms + @notHeldMs ELSE s.planned_end_ms END <= @cutoffMs
                   OR (s.planned_start_ms + @lateMs < s.planned_start_ms + @notHeldMs AND s.planned_start_ms + @lateMs < s.planned_end_ms
                       AND EXISTS (SELECT 1 FROM reservations r WHERE r.session_id = s.id)
                       AND NOT EXISTS (
                           SELECT 1 FROM reservations r JOIN notifications n ON n.user_id = r.user_id AND n.session_id = r.session_id
                           WHERE r.session_id = s.id AND n.kind = @lateStart AND n.occurrence = CAST(s.planned_start_ms AS TEXT))))
            ORDER BY s.planned_start_ms
            LIMIT @limit
            """,
            new
            {
                lateMs = (long)ingest.LateNoticeAfter.TotalMilliseconds, notHeldMs = (long)ingest.NotHeldAfter.TotalMilliseconds,
                cutoffMs, limit, lateStart = (int)NoticeKind.LateStart,
            },
            cancellationToken: ct))).AsList();

    /// <summary>One late-start notice of each kind per planned start: a reschedule makes a new occurrence.</summary>
    private static string Occurrence(SessionRow session) => session.PlannedStartMs.ToString(CultureInfo.InvariantCulture);

    [LoggerMessage(EventId = 2030, Level = LogLevel.Information, Message = "Session {SessionId}: nothing published yet; late-start notice sent to {Count} reserved viewers")]
    private partial void LogNoticeSent(string sessionId, int count);

    [LoggerMessage(EventId = 2031, Level = LogLevel.Information, Message = "Session {SessionId} not held: nothing published {SinceStartMs} ms after its start; cancelled, {Count} reserved viewers told")]
    private partial void LogNotHeld(string sessionId, int count, long sinceStartMs);

    [LoggerMessage(EventId = 2032, Level = LogLevel.Debug, Message = "Session {SessionId}: {Step} has nothing to do (moved on since it was scheduled)")]
    private partial void LogStepSkipped(string sessionId, string step);
}
