using System.Buffers.Text;
using System.Data.Common;
using System.Security.Cryptography;
using Dapper;

namespace LearnHub.Server.Ingest;

/// <summary>The stream-key and ingest-state SQL. Each method runs on the caller's connection and transaction.</summary>
public static class IngestStore
{
    /// <summary>proto IngestState values, as the sessions row stores them (0: nothing published yet).</summary>
    public const int NothingYet = 0;
    public const int Receiving = 2;
    public const int ReconnectGrace = 3;

    /// <summary>32 random bytes, URL-safe base64: 43 characters that travel in an RTMP URL unescaped.</summary>
    public static string NewKey() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    /// <summary>The session's key as stored: protected, or (made before keys were protected, until the start converts it) in clear.</summary>
    public static Task<StoredKey?> FindKeyAsync(DbConnection connection, DbTransaction tx, string sessionId, CancellationToken ct) =>
        connection.QuerySingleOrDefaultAsync<StoredKey>(new CommandDefinition(
            """
            SELECT stream_key_protected AS Protected, stream_key AS Legacy, stream_key_created_at_ms AS CreatedAtMs
            FROM sessions WHERE id = @sessionId AND stream_key_hash IS NOT NULL
            """,
            new { sessionId }, tx, cancellationToken: ct));

    /// <summary>Replaces the session's key: its hash and its protected form (<see cref="StreamKeyVault"/>), never the key.</summary>
    public static Task SetKeyAsync(DbConnection connection, DbTransaction tx, string sessionId, string hash, string protectedKey, long nowMs, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE sessions SET stream_key = NULL, stream_key_hash = @hash, stream_key_protected = @protectedKey, stream_key_created_at_ms = @nowMs
            WHERE id = @sessionId
            """,
            new { sessionId, hash, protectedKey, nowMs }, tx, cancellationToken: ct));

    /// <summary>The session whose current stream key hashes to <paramref name="hash"/> (<see cref="StreamKeyVault.Hash"/>).</summary>
    public static Task<string?> FindSessionByKeyHashAsync(DbConnection connection, DbTransaction tx, string hash, CancellationToken ct) =>
        connection.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(
            "SELECT id FROM sessions WHERE stream_key_hash = @hash", new { hash }, tx, cancellationToken: ct));

    /// <summary>
    /// Hashes the keys still kept in clear without a hash: those made before migration 0015, and those a node of the
    /// earlier version wrote after it (a rolling upgrade). Needs no key ring, so publishing with them works from the
    /// start even when <see cref="ProtectLegacyKeysAsync"/> cannot run yet.
    /// </summary>
    public static async Task HashLegacyKeysAsync(DbConnection connection, DbTransaction tx, CancellationToken ct)
    {
        var legacy = await connection.QueryAsync<(string Id, string Key)>(new CommandDefinition(
            "SELECT id, stream_key FROM sessions WHERE stream_key IS NOT NULL AND stream_key_hash IS NULL", transaction: tx, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE sessions SET stream_key_hash = @Hash WHERE id = @Id",
            legacy.Select(k => new { k.Id, Hash = StreamKeyVault.Hash(k.Key) }), tx, cancellationToken: ct));
    }

    /// <summary>
    /// Protects the keys still kept in clear (hashed by <see cref="HashLegacyKeysAsync"/>) and empties their clear
    /// column, in one transaction. Run at each start, where the key ring is at hand; a no-op once none is left.
    /// </summary>
    /// <returns>How many keys were protected.</returns>
    public static async Task<int> ProtectLegacyKeysAsync(DbConnection connection, StreamKeyVault vault, CancellationToken ct)
    {
        await using var tx = await connection.BeginTransactionAsync(ct);
        var legacy = (await connection.QueryAsync<(string Id, string Key)>(new CommandDefinition(
            "SELECT id, stream_key FROM sessions WHERE stream_key IS NOT NULL", transaction: tx, cancellationToken: ct))).AsList();
        // Only while the row still holds that key: a rotation on another node in the meantime wins.
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE sessions SET stream_key_protected = @Protected, stream_key = NULL WHERE id = @Id AND stream_key = @Key",
            legacy.Select(k => new { k.Id, k.Key, Protected = vault.Protect(k.Key) }), tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return legacy.Count;
    }

    /// <summary>Live sessions receiving from nginx's <paramref name="clientId"/> (a publish_done after a rotation names the old key).</summary>
    public static async Task<IReadOnlyList<string>> FindReceivingFromAsync(DbConnection connection, DbTransaction tx, string clientId, CancellationToken ct) =>
        (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT id FROM sessions WHERE status = 2 AND ingest_state = 2 AND ingest_client_id = @clientId LIMIT 2",
            new { clientId }, tx, cancellationToken: ct))).AsList();

    /// <summary>
    /// Records the ingest state. Bumps the version (and updated_at, which other nodes' catch-up reads) so that the
    /// triggers written from the row (the grace's end) are re-synced by the reconciler if this node stops before it.
    /// </summary>
    public static Task SetStateAsync(
        DbConnection connection, DbTransaction tx, string sessionId, int state, string clientId, long? graceEndMs, string? playbackUrl, long nowMs, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE sessions
            SET ingest_state = @state, ingest_client_id = @clientId, ingest_grace_end_ms = @graceEndMs,
                playback_url = COALESCE(@playbackUrl, playback_url), version = version + 1, updated_at_ms = @nowMs
            WHERE id = @sessionId
            """,
            new { sessionId, state, clientId, graceEndMs, playbackUrl, nowMs }, tx, cancellationToken: ct));

    /// <summary>Live sessions whose reconnect grace ended at or before <paramref name="cutoffMs"/>: (id, the grace's end).</summary>
    public static async Task<IReadOnlyList<(string Id, long GraceEndMs)>> ListGraceOverdueAsync(DbConnection connection, long cutoffMs, int limit, CancellationToken ct) =>
        (await connection.QueryAsync<(string, long)>(new CommandDefinition(
            "SELECT id, ingest_grace_end_ms FROM sessions WHERE status = 2 AND ingest_state = 3 AND ingest_grace_end_ms <= @cutoffMs LIMIT @limit",
            new { cutoffMs, limit }, cancellationToken: ct))).AsList();

    /// <summary>A key as stored: <see cref="Protected"/>, or <see cref="Legacy"/> (clear) until the start protects it.</summary>
    public sealed record StoredKey(string? Protected, string? Legacy, long CreatedAtMs);
}
