using System.Data.Common;
using Dapper;
using LearnHub.Core.Broadcasts;
using LearnHub.Server.Data;

namespace LearnHub.Server.Broadcasts;

/// <summary>The broadcasts, quota, inbox and report SQL. Each method runs on the caller's connection and transaction.</summary>
public static class BroadcastStore
{
    private const string Columns = """
        b.id, b.creator_id, u.display_name AS creator_name, b.request_id, b.content_hash, b.kind, b.text,
        b.image_content_type, b.image_width, b.image_height, b.status, b.agreement_version, b.week_start_ms,
        b.submitted_at_ms, b.review_deadline_ms, b.decided_at_ms, b.decided_by, b.reason, b.approved_at_ms,
        b.eligible_at_approval,
        COALESCE(r.received_count, 0) AS received_count, COALESCE(r.read_count, 0) AS read_count
        """;

    // 群发记录's counts: one primary-key lookup per listed broadcast (no row until its first receipt).
    private const string From = "FROM broadcasts b JOIN users u ON u.id = b.creator_id LEFT JOIN broadcast_reach r ON r.broadcast_id = b.id";

    public static Task<BroadcastRow?> FindAsync(DbConnection connection, string id, CancellationToken ct, DbTransaction? tx = null) =>
        connection.QuerySingleOrDefaultAsync<BroadcastRow>(new CommandDefinition($"SELECT {Columns} {From} WHERE b.id = @id", new { id }, tx, cancellationToken: ct));

    /// <summary>Several broadcasts by id in one query (a page of inbox messages or reports).</summary>
    public static async Task<Dictionary<string, BroadcastRow>> FindManyAsync(DbConnection connection, IReadOnlyCollection<string> ids, CancellationToken ct) =>
        ids.Count == 0
            ? new Dictionary<string, BroadcastRow>(StringComparer.Ordinal)
            : (await connection.QueryAsync<BroadcastRow>(new CommandDefinition($"SELECT {Columns} {From} WHERE {SqlDialect.In(connection, "b.id", "@ids")}", new { ids }, cancellationToken: ct)))
                .ToDictionary(r => r.Id, StringComparer.Ordinal);

    public static Task<BroadcastRow?> FindByRequestIdAsync(DbConnection connection, DbTransaction? tx, string creatorId, string requestId, CancellationToken ct) =>
        connection.QuerySingleOrDefaultAsync<BroadcastRow>(new CommandDefinition(
            $"SELECT {Columns} {From} WHERE b.creator_id = @creatorId AND b.request_id = @requestId", new { creatorId, requestId }, tx, cancellationToken: ct));

    public static async Task<QuotaRow> QuotaAsync(DbConnection connection, string creatorId, long weekStartMs, CancellationToken ct, DbTransaction? tx = null) =>
        await connection.QuerySingleOrDefaultAsync<QuotaRow>(new CommandDefinition(
            "SELECT frozen, consumed FROM broadcast_quota_weeks WHERE creator_id = @creatorId AND week_start_ms = @weekStartMs",
            new { creatorId, weekStartMs }, tx, cancellationToken: ct)) ?? new QuotaRow();

    /// <summary>Freezes one of the week's quota; false when none is left. One statement, so no read-then-write race.</summary>
    public static async Task<bool> TryFreezeAsync(DbConnection connection, DbTransaction tx, string creatorId, long weekStartMs, CancellationToken ct) =>
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO broadcast_quota_weeks (creator_id, week_start_ms, frozen, consumed) VALUES (@creatorId, @weekStartMs, 1, 0)
            ON CONFLICT (creator_id, week_start_ms) DO UPDATE SET frozen = broadcast_quota_weeks.frozen + 1
            WHERE broadcast_quota_weeks.frozen + broadcast_quota_weeks.consumed < @limit
            """,
            new { creatorId, weekStartMs, limit = BroadcastRules.WeeklyLimit }, tx, cancellationToken: ct)) == 1;

    /// <summary>Approval: the frozen one becomes consumed.</summary>
    public static Task ConsumeAsync(DbConnection connection, DbTransaction tx, string creatorId, long weekStartMs, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition(
            "UPDATE broadcast_quota_weeks SET frozen = frozen - 1, consumed = consumed + 1 WHERE creator_id = @creatorId AND week_start_ms = @weekStartMs",
            new { creatorId, weekStartMs }, tx, cancellationToken: ct));

    /// <summary>Rejection, withdrawal, expiry: the frozen one returns.</summary>
    public static Task ReturnAsync(DbConnection connection, DbTransaction tx, string creatorId, long weekStartMs, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition(
            "UPDATE broadcast_quota_weeks SET frozen = frozen - 1 WHERE creator_id = @creatorId AND week_start_ms = @weekStartMs",
            new { creatorId, weekStartMs }, tx, cancellationToken: ct));

    public static async Task InsertAsync(DbConnection connection, DbTransaction tx, BroadcastRow row, byte[]? image, CancellationToken ct)
    {
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO broadcasts (id, creator_id, request_id, content_hash, kind, text, image_content_type, image_width, image_height,
                status, agreement_version, week_start_ms, submitted_at_ms, review_deadline_ms)
            VALUES (@Id, @CreatorId, @RequestId, @ContentHash, @Kind, @Text, @ImageContentType, @ImageWidth, @ImageHeight,
                @Status, @AgreementVersion, @WeekStartMs, @SubmittedAtMs, @ReviewDeadlineMs)
            """,
            row, tx, cancellationToken: ct));
        if (image is not null)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO broadcast_images (broadcast_id, data) VALUES (@id, @image)", new { id = row.Id, image }, tx, cancellationToken: ct));
        }
    }

    /// <summary>Moves a broadcast out of <paramref name="from"/>; false when it was no longer there (someone else decided first).</summary>
    public static async Task<bool> DecideAsync(
        DbConnection connection, DbTransaction tx, string id, BroadcastState from, BroadcastState to, long nowMs, string? actorId, string? reason,
        CancellationToken ct, long? eligibleAtApproval = null) =>
        await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE broadcasts SET status = @to, decided_at_ms = @nowMs, decided_by = @actorId, reason = COALESCE(@reason, reason),
                approved_at_ms = CASE WHEN @to = 2 THEN @nowMs ELSE approved_at_ms END,
                eligible_at_approval = COALESCE(@eligibleAtApproval, eligible_at_approval)
            WHERE id = @id AND status = @from
            """,
            new { id, from = (int)from, to = (int)to, nowMs, actorId, reason, eligibleAtApproval }, tx, cancellationToken: ct)) == 1;

    public static Task AuditAsync(DbConnection connection, DbTransaction tx, string broadcastId, string? actorId, string action, string? reason, long nowMs, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO broadcast_audit (broadcast_id, actor_id, action, reason, at_ms) VALUES (@broadcastId, @actorId, @action, @reason, @nowMs)",
            new { broadcastId, actorId, action, reason, nowMs }, tx, cancellationToken: ct));

    public static async Task<IReadOnlyList<BroadcastRow>> ListByCreatorAsync(
        DbConnection connection, string creatorId, long? beforeSubmittedMs, string? beforeId, int limit, CancellationToken ct) =>
        (await connection.QueryAsync<BroadcastRow>(new CommandDefinition(
            $"""
            SELECT {Columns} {From}
            WHERE b.creator_id = @creatorId
              AND (@beforeSubmittedMs IS NULL OR b.submitted_at_ms < @beforeSubmittedMs OR (b.submitted_at_ms = @beforeSubmittedMs AND b.id < @beforeId))
            ORDER BY b.submitted_at_ms DESC, b.id DESC
            LIMIT @limit
            """,
            new { creatorId, beforeSubmittedMs, beforeId, limit }, cancellationToken: ct))).AsList();

    public static async Task<IReadOnlyList<BroadcastRow>> ListPendingAsync(
        DbConnection connection, long? afterSubmittedMs, string? afterId, int limit, CancellationToken ct) =>
        (await connection.QueryAsync<BroadcastRow>(new CommandDefinition(
            $"""
            SELECT {Columns} {From}
            WHERE b.status = 1
              AND (@afterSubmittedMs IS NULL OR b.submitted_at_ms > @afterSubmittedMs OR (b.submitted_at_ms = @afterSubmittedMs AND b.id > @afterId))
            ORDER BY b.submitted_at_ms, b.id
            LIMIT @limit
            """,
            new { afterSubmittedMs, afterId, limit }, cancellationToken: ct))).AsList();

    /// <summary>Broadcasts waiting for review and when the oldest of them was submitted (null when none waits).</summary>
    public static Task<(long Count, long? OldestSubmittedMs)> ReviewQueueAsync(DbConnection connection, CancellationToken ct) =>
        connection.QuerySingleAsync<(long, long?)>(new CommandDefinition(
            "SELECT COUNT(*), MIN(submitted_at_ms) FROM broadcasts WHERE status = 1", cancellationToken: ct));

    public static Task<int> CountPendingAsync(DbConnection connection, CancellationToken ct) =>
        connection.ExecuteScalarAsync<int>(new CommandDefinition("SELECT COUNT(*) FROM broadcasts WHERE status = 1", cancellationToken: ct));

    /// <summary>How long the last 100 decisions waited, in milliseconds.</summary>
    public static async Task<IReadOnlyList<long>> RecentReviewWaitsAsync(DbConnection connection, CancellationToken ct) =>
        (await connection.QueryAsync<long>(new CommandDefinition(
            "SELECT decided_at_ms - submitted_at_ms FROM broadcasts WHERE status IN (2, 3, 6) AND decided_by IS NOT NULL ORDER BY decided_at_ms DESC LIMIT 100",
            cancellationToken: ct))).AsList();

    /// <summary>Pending broadcasts whose review deadline has passed.</summary>
    public static async Task<IReadOnlyList<BroadcastRow>> ListOverdueAsync(DbConnection connection, long nowMs, int limit, CancellationToken ct) =>
        (await connection.QueryAsync<BroadcastRow>(new CommandDefinition(
            $"SELECT {Columns} {From} WHERE b.status = 1 AND b.review_deadline_ms <= @nowMs ORDER BY b.review_deadline_ms LIMIT @limit",
            new { nowMs, limit }, cancellationToken: ct))).AsList();

    public static Task<byte[]?> ImageAsync(DbConnection connection, string broadcastId, CancellationToken ct) =>
        connection.QuerySingleOrDefaultAsync<byte[]?>(new CommandDefinition(
            "SELECT data FROM broadcast_images WHERE broadcast_id = @broadcastId", new { broadcastId }, cancellationToken: ct));

    public static Task<long> FollowerCountAsync(DbConnection connection, string userId, CancellationToken ct, DbTransaction? tx = null) =>
        connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT follower_count FROM users WHERE id = @userId", new { userId }, tx, cancellationToken: ct));
}
