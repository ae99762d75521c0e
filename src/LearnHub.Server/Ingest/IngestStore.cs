using System.Buffers.Text;
using System.Data.Common;
using System.Security.Cryptography;
using Dapper;
using LearnHub.Server.Data;

namespace LearnHub.Server.Ingest;

/// <summary>The stream-key and ingest-state SQL. Each method runs on the caller's connection and transaction.</summary>
public static class IngestStore
{
    /// <summary>proto IngestState values, as the sessions row stores them (0: nothing published yet).</summary>
    public const int NothingYet = 0;
    public const int Receiving = 2;
    public const int ReconnectGrace = 3;

    /// <summary>Where the sessions table keeps stream keys (<see cref="StreamKeyVault"/>); <c>stream_key</c> held them in clear before migration 0015.</summary>
    public static readonly SecretColumns KeyColumns = new("stream keys", "sessions", "stream_key", "stream_key_hash", "stream_key_protected");

    /// <summary>32 random bytes, URL-safe base64: 43 characters that travel in an RTMP URL unescaped.</summary>
    public static string NewKey() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    /// <summary>
    /// The session's key as stored: protected, or in clear (made before keys were protected, or by a node of that version
    /// during a rolling upgrade, even where no hash is stored yet) until the start converts it.
    /// </summary>
    public static Task<StoredKey?> FindKeyAsync(DbConnection connection, DbTransaction tx, string sessionId, CancellationToken ct) =>
        connection.QuerySingleOrDefaultAsync<StoredKey>(new CommandDefinition(
            """
            SELECT stream_key_protected AS Protected, stream_key AS Legacy, stream_key_created_at_ms AS CreatedAtMs
            FROM sessions WHERE id = @sessionId AND (stream_key_hash IS NOT NULL OR stream_key IS NOT NULL)
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

    /// <summary>The session whose current stream key is <paramref name="key"/> (found by its hash, <see cref="SecretColumns.Matches"/>).</summary>
    public static Task<string?> FindSessionByKeyAsync(DbConnection connection, DbTransaction tx, string key, CancellationToken ct) =>
        connection.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(
            $"SELECT id FROM sessions WHERE {KeyColumns.Matches}", new { secret = key, hash = SecretVault.Hash(key) }, tx, cancellationToken: ct));

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
