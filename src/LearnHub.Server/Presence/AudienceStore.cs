using System.Data.Common;
using Dapper;
using LearnHub.Core.Presence;
using LearnHub.Server.Data;

namespace LearnHub.Server.Presence;

/// <summary>The presence SQL: samples, peaks and watch time per session. Each method runs on the caller's transaction.</summary>
public static class AudienceStore
{
    /// <summary>Writes the count at an instant; with <paramref name="keepExisting"/> a row already there stays as it is.</summary>
    public static Task AddSampleAsync(DbConnection connection, DbTransaction tx, string sessionId, long atMs, int viewers, bool keepExisting, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition(
            $"""
            INSERT INTO session_viewer_samples (session_id, at_ms, viewers) VALUES (@sessionId, @atMs, @viewers)
            ON CONFLICT (session_id, at_ms) DO {(keepExisting ? "NOTHING" : "UPDATE SET viewers = excluded.viewers")}
            """,
            new { sessionId, atMs, viewers }, tx, cancellationToken: ct));

    /// <summary>Raises the stored peak when <paramref name="peak"/> is higher; an equal later peak keeps the first time.</summary>
    public static Task RaisePeakAsync(DbConnection connection, DbTransaction tx, string sessionId, Peak peak, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO session_audience (session_id, peak_viewers, peak_at_ms) VALUES (@sessionId, @Viewers, @AtMs)
            ON CONFLICT (session_id) DO UPDATE SET peak_viewers = excluded.peak_viewers, peak_at_ms = excluded.peak_at_ms
            WHERE excluded.peak_viewers > session_audience.peak_viewers
            """,
            new { sessionId, peak.Viewers, peak.AtMs }, tx, cancellationToken: ct));

    public static Task AddWatchTimeAsync(DbConnection connection, DbTransaction tx, string sessionId, IReadOnlyList<WatchTime> watched, CancellationToken ct) =>
        watched.Count == 0
            ? Task.CompletedTask
            : connection.ExecuteAsync(new CommandDefinition(
                $"""
                INSERT INTO session_attendance (session_id, user_id, first_watched_ms, watched_ms)
                VALUES (@sessionId, @UserId, @FirstWatchedMs, @WatchedMs)
                ON CONFLICT (session_id, user_id) DO UPDATE SET
                    watched_ms = session_attendance.watched_ms + excluded.watched_ms,
                    first_watched_ms = {SqlDialect.Least(connection, "session_attendance.first_watched_ms", "excluded.first_watched_ms")}
                """,
                watched.OrderBy(w => w.UserId, StringComparer.Ordinal).Select(w => new { sessionId, w.UserId, w.FirstWatchedMs, w.WatchedMs }), tx, cancellationToken: ct));

    public static Task<AudienceTotals> TotalsAsync(DbConnection connection, string sessionId, CancellationToken ct) =>
        connection.QuerySingleAsync<AudienceTotals>(new CommandDefinition(
            """
            SELECT
                COALESCE((SELECT peak_viewers FROM session_audience WHERE session_id = @sessionId), 0) AS peak_viewers,
                (SELECT peak_at_ms FROM session_audience WHERE session_id = @sessionId) AS peak_at_ms,
                COUNT(*) AS unique_viewers,
                COALESCE(SUM(a.watched_ms), 0) AS watched_ms,
                COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM reservations r WHERE r.session_id = a.session_id AND r.user_id = a.user_id) THEN 1 ELSE 0 END), 0) AS attendees
            FROM session_attendance a
            WHERE a.session_id = @sessionId
            """,
            new { sessionId }, cancellationToken: ct));

    public static async Task<IReadOnlyList<ViewerSampleRow>> SamplesAsync(DbConnection connection, string sessionId, CancellationToken ct) =>
        (await connection.QueryAsync<ViewerSampleRow>(new CommandDefinition(
            "SELECT at_ms, viewers FROM session_viewer_samples WHERE session_id = @sessionId ORDER BY at_ms",
            new { sessionId }, cancellationToken: ct))).AsList();

    public static async Task<IReadOnlyList<string>> ListLiveSessionIdsAsync(DbConnection connection, CancellationToken ct) =>
        (await connection.QueryAsync<string>(new CommandDefinition("SELECT id FROM sessions WHERE status = 2", cancellationToken: ct))).AsList();
}

public sealed class AudienceTotals
{
    public int PeakViewers { get; init; }
    public long? PeakAtMs { get; init; }
    public int UniqueViewers { get; init; }
    public long WatchedMs { get; init; }
    public int Attendees { get; init; }
}

public sealed class ViewerSampleRow
{
    public long AtMs { get; init; }
    public int Viewers { get; init; }
}
