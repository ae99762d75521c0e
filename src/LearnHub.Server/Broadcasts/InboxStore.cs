using System.Data.Common;
using Dapper;
using LearnHub.Core.Broadcasts;
using LearnHub.Server.Data;

namespace LearnHub.Server.Broadcasts;

/// <summary>The followers' side: follows, preferences, delivery at sign-in, the inbox and reports.</summary>
public static class InboxStore
{
    /// <summary>
    /// Receives, for <paramref name="followerId"/> at <paramref name="nowMs"/>, every broadcast approved in the last 72 hours
    /// ([A, A + 72 h) contains now) by a creator they follow and have not blocked. Unique rows per (follower,
    /// broadcast) make a simultaneous second sign-in deliver nothing twice. Counts them in their reach (已收到) and
    /// returns the newly received broadcast ids.
    /// </summary>
    public static async Task<IReadOnlyList<string>> DeliverAsync(DbConnection connection, DbTransaction tx, string followerId, long nowMs, CancellationToken ct)
    {
        var received = (await connection.QueryAsync<string>(new CommandDefinition(
            """
            INSERT INTO inbox_messages (follower_id, broadcast_id, creator_id, received_at_ms)
            SELECT @followerId, b.id, b.creator_id, @nowMs
            FROM follows f
            JOIN broadcasts b ON b.creator_id = f.creator_id AND b.status = 2
                AND b.approved_at_ms <= @nowMs AND b.approved_at_ms > @windowStartMs
            WHERE f.follower_id = @followerId
              AND NOT EXISTS (SELECT 1 FROM creator_preferences p WHERE p.user_id = @followerId AND p.creator_id = f.creator_id AND p.blocked = 1)
            ON CONFLICT (follower_id, broadcast_id) DO NOTHING
            RETURNING broadcast_id
            """,
            new { followerId, nowMs, windowStartMs = nowMs - (long)BroadcastRules.DeliveryWindow.TotalMilliseconds }, tx, cancellationToken: ct))).AsList();
        await CountAsync(connection, tx, ReceivedCount, received, ct);
        return received;
    }

    /// <summary>Whether <see cref="DeliverAsync"/> would receive anything now: a read, so a check-in with nothing new takes no write lock.</summary>
    public static Task<bool> HasDeliveryDueAsync(DbConnection connection, string followerId, long nowMs, CancellationToken ct) =>
        connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            """
            SELECT EXISTS (
                SELECT 1
                FROM follows f
                JOIN broadcasts b ON b.creator_id = f.creator_id AND b.status = 2
                    AND b.approved_at_ms <= @nowMs AND b.approved_at_ms > @windowStartMs
                WHERE f.follower_id = @followerId
                  AND NOT EXISTS (SELECT 1 FROM inbox_messages m WHERE m.follower_id = @followerId AND m.broadcast_id = b.id)
                  AND NOT EXISTS (SELECT 1 FROM creator_preferences p WHERE p.user_id = @followerId AND p.creator_id = f.creator_id AND p.blocked = 1))
            """,
            new { followerId, nowMs, windowStartMs = nowMs - (long)BroadcastRules.DeliveryWindow.TotalMilliseconds }, cancellationToken: ct));

    private const string Visible = """
        m.follower_id = @me AND m.deleted = 0 AND b.status = 2
        AND NOT EXISTS (SELECT 1 FROM creator_preferences p WHERE p.user_id = @me AND p.creator_id = b.creator_id AND p.blocked = 1)
        """;

    private const string MutedColumn =
        "EXISTS (SELECT 1 FROM creator_preferences p WHERE p.user_id = @me AND p.creator_id = b.creator_id AND p.muted = 1)";

    public static async Task<IReadOnlyList<InboxRow>> ListAsync(
        DbConnection connection, string me, bool unreadOnly, long? beforeReceivedMs, string? beforeId, int limit, CancellationToken ct, IReadOnlyCollection<string>? onlyIds = null) =>
        (await connection.QueryAsync<InboxRow>(new CommandDefinition(
            $"""
            SELECT m.broadcast_id, m.received_at_ms, m.read_at_ms, {MutedColumn} AS muted,
                   EXISTS (SELECT 1 FROM broadcast_reports r WHERE r.broadcast_id = m.broadcast_id AND r.reporter_id = @me) AS reported
            FROM inbox_messages m JOIN broadcasts b ON b.id = m.broadcast_id
            WHERE {Visible}
              AND (@unreadOnly = 0 OR m.read_at_ms IS NULL)
              AND (@beforeReceivedMs IS NULL OR m.received_at_ms < @beforeReceivedMs OR (m.received_at_ms = @beforeReceivedMs AND m.broadcast_id < @beforeId))
              {(onlyIds is null ? "" : "AND " + SqlDialect.In(connection, "m.broadcast_id", "@onlyIds"))}
            ORDER BY m.received_at_ms DESC, m.broadcast_id DESC
            LIMIT @limit
            """,
            new { me, unreadOnly = unreadOnly ? 1 : 0, beforeReceivedMs, beforeId, limit, onlyIds }, cancellationToken: ct))).AsList();

    /// <summary>
    /// (unread not counting muted creators, total visible). Counted per creator from ix_inbox_newest alone (each message
    /// carries its creator), then the creators the follower blocked dropped and muted ones' unread left out, and the
    /// messages of taken-down broadcasts taken off (found from those creators through ix_broadcasts_taken_down): no
    /// lookup per message. A delivered broadcast is approved or taken down, so this is <see cref="Visible"/> counted.
    /// CROSS JOIN keeps SQLite's join order (creators first); to PostgreSQL it is an inner join.
    /// </summary>
    public static async Task<(int Unread, int Total)> SummaryAsync(DbConnection connection, string me, CancellationToken ct, DbTransaction? tx = null)
    {
        var row = await connection.QuerySingleAsync<SummaryRow>(new CommandDefinition(
            """
            WITH mine AS (
                SELECT m.creator_id, COUNT(*) AS total, SUM(CASE WHEN m.read_at_ms IS NULL THEN 1 ELSE 0 END) AS unread
                FROM inbox_messages m
                WHERE m.follower_id = @me AND m.deleted = 0
                GROUP BY m.creator_id),
            down AS (
                SELECT b.creator_id, COUNT(*) AS total, SUM(CASE WHEN m.read_at_ms IS NULL THEN 1 ELSE 0 END) AS unread
                FROM mine
                CROSS JOIN broadcasts b
                CROSS JOIN inbox_messages m
                WHERE b.creator_id = mine.creator_id AND b.status = 6
                  AND m.follower_id = @me AND m.broadcast_id = b.id AND m.deleted = 0
                GROUP BY b.creator_id)
            SELECT CAST(COALESCE(SUM(CASE WHEN COALESCE(p.muted, 0) = 1 THEN 0 ELSE mine.unread - COALESCE(down.unread, 0) END), 0) AS bigint) AS unread,
                   CAST(COALESCE(SUM(mine.total - COALESCE(down.total, 0)), 0) AS bigint) AS total
            FROM mine
            LEFT JOIN down ON down.creator_id = mine.creator_id
            LEFT JOIN creator_preferences p ON p.user_id = @me AND p.creator_id = mine.creator_id
            WHERE COALESCE(p.blocked, 0) = 0
            """,
            new { me }, tx, cancellationToken: ct));
        return ((int)row.Unread, (int)row.Total);
    }

    /// <summary>
    /// Marks visible messages read and counts the newly read on their broadcasts' reach (the creator's 已读); hidden ones
    /// (taken down, from a blocked creator) were not read, whatever "all" says.
    /// </summary>
    public static async Task MarkReadAsync(DbConnection connection, DbTransaction tx, string me, IReadOnlyCollection<string>? ids, long nowMs, CancellationToken ct)
    {
        var newlyRead = (await connection.QueryAsync<string>(new CommandDefinition(
            $"""
            UPDATE inbox_messages SET read_at_ms = @nowMs
            WHERE follower_id = @me AND read_at_ms IS NULL AND deleted = 0 {(ids is null ? "" : "AND " + SqlDialect.In(connection, "broadcast_id", "@ids"))}
              AND broadcast_id IN (SELECT m.broadcast_id FROM inbox_messages m JOIN broadcasts b ON b.id = m.broadcast_id WHERE {Visible})
            RETURNING broadcast_id
            """,
            new { me, ids, nowMs }, tx, cancellationToken: ct))).AsList();
        await CountAsync(connection, tx, ReadCount, newlyRead, ct);
    }

    private const string ReceivedCount = "received_count";
    private const string ReadCount = "read_count";

    /// <summary>
    /// Adds one to <paramref name="column"/> of each broadcast's reach row (群发记录's 已收到 / 已读), creating the row
    /// on its first count: one set-based statement, rows in id order, so that two transactions counting the same
    /// broadcasts lock their rows in the same order.
    /// </summary>
    private static async Task CountAsync(DbConnection connection, DbTransaction tx, string column, IReadOnlyList<string> broadcastIds, CancellationToken ct)
    {
        if (broadcastIds.Count == 0)
        {
            return;
        }
        var (inIds, ids) = SqlDialect.InList(connection, "b.id", "@ids", broadcastIds);
        // The SELECT's WHERE also keeps SQLite from reading "ON CONFLICT" as a join constraint.
        await connection.ExecuteAsync(new CommandDefinition(
            $"""
            INSERT INTO broadcast_reach (broadcast_id, {column})
            SELECT b.id, 1 FROM broadcasts b WHERE {inIds} ORDER BY b.id
            ON CONFLICT (broadcast_id) DO UPDATE SET {column} = broadcast_reach.{column} + 1
            """,
            new { ids }, tx, cancellationToken: ct));
    }

    public static async Task<bool> DeleteAsync(DbConnection connection, DbTransaction tx, string me, string broadcastId, CancellationToken ct) =>
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE inbox_messages SET deleted = 1 WHERE follower_id = @me AND broadcast_id = @broadcastId AND deleted = 0",
            new { me, broadcastId }, tx, cancellationToken: ct)) == 1;

    /// <summary>
    /// Whether the user holds a visible copy: received, not deleted, not taken down, its creator not blocked (what
    /// ListInbox shows; a hidden message can be neither reported nor have its image fetched).
    /// </summary>
    public static Task<bool> HoldsAsync(DbConnection connection, string me, string broadcastId, CancellationToken ct) =>
        connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            $"""
            SELECT EXISTS (SELECT 1 FROM inbox_messages m JOIN broadcasts b ON b.id = m.broadcast_id
                           WHERE m.broadcast_id = @broadcastId AND {Visible})
            """,
            new { me, broadcastId }, cancellationToken: ct));

    // ---- follows and preferences ----

    public static async Task<bool> FollowAsync(DbConnection connection, DbTransaction tx, string me, string creatorId, long nowMs, CancellationToken ct)
    {
        var added = await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO follows (follower_id, creator_id, created_at_ms) VALUES (@me, @creatorId, @nowMs) ON CONFLICT DO NOTHING",
            new { me, creatorId, nowMs }, tx, cancellationToken: ct)) == 1;
        if (added)
        {
            await AdjustCountsAsync(connection, tx, me, creatorId, +1, ct);
        }
        return added;
    }

    public static async Task<bool> UnfollowAsync(DbConnection connection, DbTransaction tx, string me, string creatorId, CancellationToken ct)
    {
        var removed = await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM follows WHERE follower_id = @me AND creator_id = @creatorId", new { me, creatorId }, tx, cancellationToken: ct)) == 1;
        if (removed)
        {
            await AdjustCountsAsync(connection, tx, me, creatorId, -1, ct);
        }
        return removed;
    }

    /// <summary>
    /// Both users' counters, rows written in id order: two people following each other at the same moment would
    /// otherwise lock the two rows in opposite orders (a deadlock PostgreSQL breaks by failing one).
    /// </summary>
    private static async Task AdjustCountsAsync(DbConnection connection, DbTransaction tx, string me, string creatorId, int delta, CancellationToken ct)
    {
        const string following = "UPDATE users SET following_count = following_count + @delta WHERE id = @id";
        const string followers = "UPDATE users SET follower_count = follower_count + @delta WHERE id = @id";
        var (first, second) = string.CompareOrdinal(me, creatorId) < 0 ? ((following, me), (followers, creatorId)) : ((followers, creatorId), (following, me));
        await connection.ExecuteAsync(new CommandDefinition(first.Item1, new { id = first.Item2, delta }, tx, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition(second.Item1, new { id = second.Item2, delta }, tx, cancellationToken: ct));
    }

    public static Task<bool> IsFollowingAsync(DbConnection connection, string me, string creatorId, CancellationToken ct, DbTransaction? tx = null) =>
        connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM follows WHERE follower_id = @me AND creator_id = @creatorId)", new { me, creatorId }, tx, cancellationToken: ct));

    public static Task<FollowCountsRow?> CountsAsync(DbConnection connection, string userId, CancellationToken ct, DbTransaction? tx = null) =>
        connection.QuerySingleOrDefaultAsync<FollowCountsRow>(new CommandDefinition(
            "SELECT follower_count, following_count FROM users WHERE id = @userId", new { userId }, tx, cancellationToken: ct));

    public static async Task<IReadOnlyList<FollowedRow>> ListFollowingAsync(
        DbConnection connection, string me, long? beforeMs, string? beforeId, int limit, CancellationToken ct) =>
        (await connection.QueryAsync<FollowedRow>(new CommandDefinition(
            """
            SELECT f.creator_id, u.display_name, u.certified, f.created_at_ms,
                   COALESCE(p.muted, 0) AS muted, COALESCE(p.blocked, 0) AS blocked
            FROM follows f JOIN users u ON u.id = f.creator_id
            LEFT JOIN creator_preferences p ON p.user_id = f.follower_id AND p.creator_id = f.creator_id
            WHERE f.follower_id = @me
              AND (@beforeMs IS NULL OR f.created_at_ms < @beforeMs OR (f.created_at_ms = @beforeMs AND f.creator_id < @beforeId))
            ORDER BY f.created_at_ms DESC, f.creator_id DESC
            LIMIT @limit
            """,
            new { me, beforeMs, beforeId, limit }, cancellationToken: ct))).AsList();

    /// <summary>
    /// Certified creators other than <paramref name="me"/> whose handle or display name contains <paramref name="queryKey"/>
    /// (the query's <see cref="Core.Common.SearchKey"/>, matched against the users' stored keys: case-insensitive in any
    /// script; LIKE wildcards in it are taken literally), closest first, then by followers.
    /// </summary>
    public static async Task<IReadOnlyList<CreatorMatchRow>> SearchCreatorsAsync(DbConnection connection, string me, string queryKey, int limit, CancellationToken ct)
    {
        var (contains, prefix) = UserSearchKeys.Patterns(queryKey);
        return (await connection.QueryAsync<CreatorMatchRow>(new CommandDefinition(
            """
            SELECT u.id AS creator_id, u.handle, u.display_name, u.follower_count,
                   CASE WHEN f.follower_id IS NULL THEN 0 ELSE 1 END AS following
            FROM users u
            LEFT JOIN follows f ON f.follower_id = @me AND f.creator_id = u.id
            WHERE u.certified = 1 AND u.id <> @me
              AND (u.handle_key LIKE @contains ESCAPE '\' OR u.display_name_key LIKE @contains ESCAPE '\')
            ORDER BY CASE WHEN u.handle_key = @exact THEN 0
                          WHEN u.handle_key LIKE @prefix ESCAPE '\' OR u.display_name_key LIKE @prefix ESCAPE '\' THEN 1
                          ELSE 2 END,
                     u.follower_count DESC, u.handle
            LIMIT @limit
            """,
            new { me, exact = queryKey, prefix, contains, limit }, cancellationToken: ct))).AsList();
    }

    public static async Task<PreferenceRow> SetPreferenceAsync(
        DbConnection connection, DbTransaction tx, string me, string creatorId, bool? muted, bool? blocked, CancellationToken ct)
    {
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO creator_preferences (user_id, creator_id, muted, blocked) VALUES (@me, @creatorId, COALESCE(@muted, 0), COALESCE(@blocked, 0))
            ON CONFLICT (user_id, creator_id) DO UPDATE SET
                muted = COALESCE(@muted, creator_preferences.muted), blocked = COALESCE(@blocked, creator_preferences.blocked)
            """,
            new { me, creatorId, muted = Flag(muted), blocked = Flag(blocked) }, tx, cancellationToken: ct));
        return await connection.QuerySingleAsync<PreferenceRow>(new CommandDefinition(
            "SELECT muted, blocked FROM creator_preferences WHERE user_id = @me AND creator_id = @creatorId", new { me, creatorId }, tx, cancellationToken: ct));
    }

    /// <summary>A flag column's 0/1 (null: unchanged); PostgreSQL compares no boolean with an integer.</summary>
    private static long? Flag(bool? value) => value is null ? null : value.Value ? 1 : 0;

    // ---- reports ----

    public static async Task<bool> ReportAsync(DbConnection connection, DbTransaction tx, ReportRow report, CancellationToken ct) =>
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO broadcast_reports (id, broadcast_id, reporter_id, reason, status, created_at_ms)
            VALUES (@Id, @BroadcastId, @ReporterId, @Reason, 1, @CreatedAtMs)
            ON CONFLICT (broadcast_id, reporter_id) DO NOTHING
            """,
            report, tx, cancellationToken: ct)) == 1;

    /// <summary>A report with its reporter's display name (the reviewers' queue shows who reported, not an id).</summary>
    private const string SelectReport = """
        SELECT r.id, r.broadcast_id, r.reporter_id, COALESCE(u.display_name, '') AS reporter_name, r.reason, r.status, r.created_at_ms
        FROM broadcast_reports r LEFT JOIN users u ON u.id = r.reporter_id
        """;

    public static Task<ReportRow?> FindReportAsync(DbConnection connection, string id, CancellationToken ct, DbTransaction? tx = null) =>
        connection.QuerySingleOrDefaultAsync<ReportRow>(new CommandDefinition(
            $"{SelectReport} WHERE r.id = @id", new { id }, tx, cancellationToken: ct));

    public static Task<ReportRow?> FindReportByAsync(DbConnection connection, DbTransaction tx, string broadcastId, string reporterId, CancellationToken ct) =>
        connection.QuerySingleOrDefaultAsync<ReportRow>(new CommandDefinition(
            $"{SelectReport} WHERE r.broadcast_id = @broadcastId AND r.reporter_id = @reporterId",
            new { broadcastId, reporterId }, tx, cancellationToken: ct));

    /// <summary>
    /// The reports a reviewer may decide: never those about the reviewer's own broadcasts (a reviewer never decides
    /// their own broadcast, and the reported creator never learns who reported them).
    /// </summary>
    public static async Task<IReadOnlyList<ReportRow>> ListReportsAsync(
        DbConnection connection, string reviewerId, bool includeClosed, int? afterStatus, long? afterMs, string? afterId, int limit, CancellationToken ct) =>
        (await connection.QueryAsync<ReportRow>(new CommandDefinition(
            $"""
            {SelectReport}
            WHERE (@includeClosed = 1 OR r.status = 1)
              AND EXISTS (SELECT 1 FROM broadcasts b WHERE b.id = r.broadcast_id AND b.creator_id <> @reviewerId)
              AND (@afterStatus IS NULL OR r.status > @afterStatus OR (r.status = @afterStatus AND (r.created_at_ms > @afterMs OR (r.created_at_ms = @afterMs AND r.id > @afterId))))
            ORDER BY r.status, r.created_at_ms, r.id
            LIMIT @limit
            """,
            new { reviewerId, includeClosed = includeClosed ? 1 : 0, afterStatus, afterMs, afterId, limit }, cancellationToken: ct))).AsList();

    /// <summary>Closes a report (2 resolved, 3 dismissed); false when it was not open.</summary>
    public static async Task<bool> CloseReportAsync(DbConnection connection, DbTransaction tx, string id, int status, string actorId, long nowMs, CancellationToken ct) =>
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE broadcast_reports SET status = @status, closed_at_ms = @nowMs, closed_by = @actorId WHERE id = @id AND status = 1",
            new { id, status, actorId, nowMs }, tx, cancellationToken: ct)) == 1;

    public static Task ResolveReportsOfAsync(DbConnection connection, DbTransaction tx, string broadcastId, string actorId, long nowMs, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition(
            "UPDATE broadcast_reports SET status = 2, closed_at_ms = @nowMs, closed_by = @actorId WHERE broadcast_id = @broadcastId AND status = 1",
            new { broadcastId, actorId, nowMs }, tx, cancellationToken: ct));
}

public sealed class FollowCountsRow
{
    public long FollowerCount { get; init; }
    public long FollowingCount { get; init; }
}

public sealed class PreferenceRow
{
    public bool Muted { get; init; }
    public bool Blocked { get; init; }
}

public sealed class SummaryRow
{
    public long Unread { get; init; }
    public long Total { get; init; }
}

public sealed class CreatorMatchRow
{
    public string CreatorId { get; init; } = "";
    public string Handle { get; init; } = "";
    public string DisplayName { get; init; } = "";
    public long FollowerCount { get; init; }
    public bool Following { get; init; }
}

public sealed class FollowedRow
{
    public string CreatorId { get; init; } = "";
    public string DisplayName { get; init; } = "";
    public bool Certified { get; init; }
    public long CreatedAtMs { get; init; }
    public bool Muted { get; init; }
    public bool Blocked { get; init; }
}
