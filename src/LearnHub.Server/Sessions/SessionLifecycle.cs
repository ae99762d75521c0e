using System.Data.Common;
using LearnHub.Core.Sessions;
using LearnHub.Server.Data;
using LearnHub.Server.Platform;

namespace LearnHub.Server.Sessions;

/// <summary>The status moves the scheduler makes, and the go-live/end moves shared with the instructor's RPCs.</summary>
public sealed partial class SessionLifecycle(
    Database database,
    PlatformSettingsStore settings,
    ISessionEvents events,
    Telemetry.LearnHubMetrics metrics,
    TimeProvider clock,
    ILogger<SessionLifecycle> logger)
{
    /// <summary>开播提醒 to every reserved viewer, if the session is still Scheduled for the start this reminder was for.</summary>
    public async Task RemindAsync(string sessionId, long dueStartMs, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        // A reschedule committing between the read and the insert would leave a reminder of the old start after its
        // notice of the new one: hold the row while deciding.
        await SessionStore.LockRowAsync(connection, tx, sessionId, ct);
        var session = await SessionStore.FindAsync(connection, sessionId, null, ct, tx);
        if (session is null || session.Status != SessionStatus.Scheduled || session.PlannedStartMs != dueStartMs)
        {
            LogStepSkipped(sessionId, SessionStep.Reminder);
            return;
        }
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var sent = await SessionNotices.NotifyReservedViewersAsync(connection, tx, session, NoticeKind.Reminder, dueStartMs.ToString(System.Globalization.CultureInfo.InvariantCulture), now, ct);
        await tx.CommitAsync(ct);
        LogReminded(sessionId, sent);
    }

    /// <summary>
    /// The 开播提醒 of a session whose reminder came due more than a grace ago and never went out (the cluster's overdue
    /// pass: a node killed while running it). Nothing when it went out, was never planned, or the session moved on.
    /// </summary>
    public async Task SendMissedReminderAsync(string sessionId, long dueStartMs, CancellationToken ct)
    {
        var leadMs = await ReminderLeadMsAsync(ct);
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await SessionStore.LockRowAsync(connection, tx, sessionId, ct);
        var session = await SessionStore.FindAsync(connection, sessionId, null, ct, tx);
        if (session is null || session.PlannedStartMs != dueStartMs)
        {
            return;
        }
        await SendMissedReminderAsync(connection, tx, session, leadMs, clock.GetUtcNow().ToUnixTimeMilliseconds(), ct);
        await tx.CommitAsync(ct);
    }

    public async Task GoLiveOnScheduleAsync(string sessionId, long dueStartMs, CancellationToken ct)
    {
        var leadMs = await ReminderLeadMsAsync(ct);
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        // Another node may run this step at the same moment (Quartz's recovery and the cluster's overdue pass): the
        // second to get the row finds it Live and does nothing.
        await SessionStore.LockRowAsync(connection, tx, sessionId, ct);
        var session = await SessionStore.FindAsync(connection, sessionId, null, ct, tx);
        if (session is null || session.Status != SessionStatus.Scheduled || session.PlannedStartMs != dueStartMs)
        {
            LogStepSkipped(sessionId, SessionStep.GoLive);
            return;
        }
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await SendMissedReminderAsync(connection, tx, session, leadMs, now, ct);
        await GoLiveAsync(connection, tx, session, now, now, ct, byScheduler: true);
        await tx.CommitAsync(ct);
        LogWentLive(sessionId, now - dueStartMs);
        events.Publish(new SessionChanged(sessionId, SessionStatus.Live));
    }

    /// <summary>
    /// Ends the session at its planned end. One that never went live (its go-live and auto-end both came due while
    /// the server was down) goes live first, so every reserved viewer still gets the go-live notice once.
    /// </summary>
    public async Task AutoEndAsync(string sessionId, long dueEndMs, CancellationToken ct)
    {
        var leadMs = await ReminderLeadMsAsync(ct);
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await SessionStore.LockRowAsync(connection, tx, sessionId, ct);
        var session = await SessionStore.FindAsync(connection, sessionId, null, ct, tx);
        if (session is null || session.Status.IsFinal() || session.PlannedEndMs != dueEndMs)
        {
            LogStepSkipped(sessionId, SessionStep.AutoEnd);
            return;
        }
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var version = session.Version;
        if (session.Status == SessionStatus.Scheduled)
        {
            await SendMissedReminderAsync(connection, tx, session, leadMs, now, ct);
            await GoLiveAsync(connection, tx, session, session.PlannedStartMs, now, ct, byScheduler: true);
            version++;
        }
        // Only the version read above ends: an extension committed meanwhile (PostgreSQL runs it side by side) wins, and
        // its own auto-end trigger ends the session later.
        if (!await SessionStore.MoveStatusAsync(connection, tx, sessionId, SessionStatus.Live, SessionStatus.Ended, now, ct, expectedVersion: version, triggersStillValid: true))
        {
            LogStepSkipped(sessionId, SessionStep.AutoEnd);
            return;
        }
        await tx.CommitAsync(ct);
        LogEnded(sessionId, now - dueEndMs);
        events.Publish(new SessionChanged(sessionId, SessionStatus.Ended));
    }

    private async Task<long> ReminderLeadMsAsync(CancellationToken ct) => (long)(await settings.GetAsync(ct)).ReminderLead.TotalMilliseconds;

    /// <summary>A reminder that came due and never went out goes before the went-live notice (<see cref="SessionNotices.SendMissedReminderAsync"/>).</summary>
    private async Task SendMissedReminderAsync(DbConnection connection, DbTransaction tx, SessionRow session, long leadMs, long nowMs, CancellationToken ct)
    {
        var sent = await SessionNotices.SendMissedReminderAsync(connection, tx, session, leadMs, nowMs, ct);
        if (sent > 0)
        {
            LogMissedReminderSent(session.Id, sent);
        }
    }

    /// <summary>Scheduled → Live with the went-live notice, inside the caller's transaction.</summary>
    /// <param name="byScheduler">A scheduler step leaves the remaining triggers valid; an instructor's early go-live re-syncs them.</param>
    /// <remarks>Moves only the version read: a change committed since (a reschedule, a cancel) makes this throw.</remarks>
    public static async Task GoLiveAsync(DbConnection connection, DbTransaction tx, SessionRow session, long liveAtMs, long nowMs, CancellationToken ct, bool byScheduler = false)
    {
        if (!await SessionStore.MoveStatusAsync(connection, tx, session.Id, SessionStatus.Scheduled, SessionStatus.Live, nowMs, ct, liveAtMs: liveAtMs, expectedVersion: session.Version, triggersStillValid: byScheduler))
        {
            throw new InvalidOperationException($"Session {session.Id} was not Scheduled.");
        }
        await SessionNotices.NotifyReservedViewersAsync(connection, tx, session, NoticeKind.WentLive, "live", nowMs, ct);
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Session {SessionId}: reminder sent to {Count} reserved viewers")]
    private partial void LogReminded(string sessionId, int count);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "Session {SessionId} went live on schedule ({LatenessMs} ms after its start)")]
    private partial void LogWentLive(string sessionId, long latenessMs);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Information, Message = "Session {SessionId} ended on schedule ({LatenessMs} ms after its end)")]
    private partial void LogEnded(string sessionId, long latenessMs);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Warning, Message = "Session {SessionId}: its reminder came due and never went out; sent it late to {Count} reserved viewers")]
    private partial void LogMissedReminderSent(string sessionId, int count);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Debug, Message = "Session {SessionId}: {Step} has nothing to do (moved on since it was scheduled)")]
    private partial void LogStepSkipped(string sessionId, string step);
}
