using System.Data.Common;
using System.Globalization;
using Dapper;
using LearnHub.Core.Common;
using LearnHub.Core.Sessions;

namespace LearnHub.Server.Sessions;

/// <summary>What reserved viewers are told; the numbers are stored in notifications.kind and match the proto enum.</summary>
public enum NoticeKind
{
    Reminder = 1,
    WentLive = 2,
    Rescheduled = 3,
    Cancelled = 4,
    LateStart = 5,
    NotHeld = 6,
}

/// <summary>
/// Writes one notice per reserved viewer inside the caller's transaction. The unique key (viewer, session, kind,
/// occurrence) makes a repeated trigger or a retried job deliver nothing twice.
/// </summary>
public static class SessionNotices
{
    public static Task<int> NotifyReservedViewersAsync(
        DbConnection connection, DbTransaction tx, SessionRow session, NoticeKind kind, string occurrence, long nowMs, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO notifications (user_id, session_id, kind, occurrence, session_title, planned_start_ms, text, text_en, created_at_ms)
            SELECT r.user_id, @sessionId, @kind, @occurrence, @title, @startMs, @text, @textEn, @nowMs
            FROM reservations r
            WHERE r.session_id = @sessionId
            ON CONFLICT (user_id, session_id, kind, occurrence) DO NOTHING
            """,
            new
            {
                sessionId = session.Id, kind = (int)kind, occurrence, title = session.Title, startMs = session.PlannedStartMs,
                text = Text(session, kind), textEn = Text(session, kind, english: true), nowMs,
            },
            tx, cancellationToken: ct));

    /// <summary>
    /// The 开播提醒 of <paramref name="session"/>'s current start, if one was due by <paramref name="nowMs"/> and never
    /// went out: a node killed while running the reminder loses it (Quartz's cluster recovery can drop a step in flight),
    /// and the go-live that follows must not pass over it. A reminder was planned when the start was set at least
    /// <paramref name="leadMs"/> ahead (a reschedule inside the lead has none); it went out if any viewer has it (the
    /// reminder step writes every notice in one transaction). It goes to those who had reserved by its time, as the
    /// reminder itself would have. Returns the notices written.
    /// </summary>
    public static async Task<int> SendMissedReminderAsync(
        DbConnection connection, DbTransaction tx, SessionRow session, long leadMs, long nowMs, CancellationToken ct)
    {
        var remindAtMs = session.PlannedStartMs - leadMs;
        if (session.Status != SessionStatus.Scheduled || remindAtMs > nowMs || remindAtMs <= session.UpdatedAtMs)
        {
            return 0;
        }
        var occurrence = session.PlannedStartMs.ToString(CultureInfo.InvariantCulture);
        return await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO notifications (user_id, session_id, kind, occurrence, session_title, planned_start_ms, text, text_en, created_at_ms)
            SELECT r.user_id, @sessionId, @kind, @occurrence, @title, @startMs, @text, @textEn, @nowMs
            FROM reservations r
            WHERE r.session_id = @sessionId AND r.created_at_ms <= @remindAtMs
              AND NOT EXISTS (
                  SELECT 1 FROM reservations sent
                  JOIN notifications n ON n.user_id = sent.user_id AND n.session_id = sent.session_id
                  WHERE sent.session_id = @sessionId AND n.kind = @kind AND n.occurrence = @occurrence)
            ON CONFLICT (user_id, session_id, kind, occurrence) DO NOTHING
            """,
            new
            {
                sessionId = session.Id, kind = (int)NoticeKind.Reminder, occurrence, title = session.Title, startMs = session.PlannedStartMs,
                text = Text(session, NoticeKind.Reminder), textEn = Text(session, NoticeKind.Reminder, english: true), nowMs, remindAtMs,
            },
            tx, cancellationToken: ct));
    }

    /// <summary>
    /// The notice as its reader sees it: Chinese (full-width punctuation) or English, each written when the notice is
    /// made (the session may change later; the notice says what was true then). The start is shown in the zone the
    /// session is announced in.
    /// </summary>
    public static string Text(SessionRow session, NoticeKind kind, bool english = false)
    {
        var zone = TimeZones.FindOrDefault(session.TimeZone);
        var local = TimeZoneInfo.ConvertTime(session.PlannedStart, zone).ToString("MM-dd HH:mm", CultureInfo.InvariantCulture);
        var title = session.Title;
        return (kind, english) switch
        {
            (NoticeKind.Reminder, false) => $"开播提醒：《{title}》将于 {local} 开播",
            (NoticeKind.Reminder, true) => $"Reminder: “{title}” starts at {local}",
            (NoticeKind.WentLive, false) => $"《{title}》正在直播，快来观看",
            (NoticeKind.WentLive, true) => $"“{title}” is live now: come and watch",
            (NoticeKind.Rescheduled, false) => $"《{title}》时间调整为 {local}（{session.DurationMinutes} 分钟）",
            (NoticeKind.Rescheduled, true) => $"“{title}” now starts at {local} ({session.DurationMinutes} min)",
            (NoticeKind.Cancelled, false) => string.IsNullOrEmpty(session.CancelReason) ? $"《{title}》已取消" : $"《{title}》已取消：{session.CancelReason}",
            (NoticeKind.Cancelled, true) => string.IsNullOrEmpty(session.CancelReason) ? $"“{title}” was cancelled" : $"“{title}” was cancelled: {session.CancelReason}",
            (NoticeKind.LateStart, false) => $"《{title}》晚点开播，请稍候",
            (NoticeKind.LateStart, true) => $"“{title}” is starting late: please wait",
            (NoticeKind.NotHeld, false) => $"《{title}》未能开播，本场直播已取消",
            (NoticeKind.NotHeld, true) => $"“{title}” did not start and has been cancelled",
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
        };
    }
}
