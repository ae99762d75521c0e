using System.Security.Cryptography;
using System.Collections.Frozen;
using System.Data.Common;
using Dapper;
using LearnHub.Server.Data;

namespace LearnHub.Server.Identity;

public sealed record UserRecord(string Id, string Handle, string DisplayName, string Roles, string TimeZone, string Language, bool Certified)
{
    /// <summary>For Dapper: it sets the properties by name, converting SQLite's integers (certified) as it goes.</summary>
    public UserRecord()
        : this("", "", "", "", "", "", false)
    {
    }

    /// <summary>False once an admin deactivated the account: it can neither sign in nor call.</summary>
    public bool Active { get; init; } = true;

    /// <summary>Tokens and console cookies carry the stamp they were issued under; only the current one is accepted.</summary>
    public long SecurityStamp { get; init; }

    public IReadOnlyList<string> RoleList => SplitRoles(Roles);

    public static string[] SplitRoles(string roles) => roles.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>A user's calendar feed key as read: <see cref="Made"/> once they have one; <see cref="Key"/> null when it can no longer be read back (its key ring is gone), though it still opens the feeds.</summary>
public sealed record FeedKeyReading(bool Made, string? Key);

/// <summary>Calendar feed keys at rest (<see cref="SecretVault"/>): a copy of the database reads no one's schedule.</summary>
public sealed class CalendarFeedKeyVault(Microsoft.AspNetCore.DataProtection.IDataProtectionProvider protection)
    : SecretVault(protection, "LearnHub.Calendar.FeedKey.v1");

/// <summary>Users, their roles and preferences. Everyone is a viewer; other roles are granted.</summary>
public sealed class UserStore(Database database, TimeProvider clock)
{
    public static readonly IReadOnlyList<string> Languages = ["zh-CN", "en"];

    /// <summary>Where the users table keeps calendar feed keys; <c>feed_key</c> held them in clear before migration 0016.</summary>
    public static readonly SecretColumns FeedKeyColumns = new("calendar feed keys", "users", "feed_key", "feed_key_hash", "feed_key_protected");

    private const string Columns = "id, handle, display_name AS DisplayName, roles, time_zone AS TimeZone, language, certified, active, security_stamp AS SecurityStamp";

    public async Task<UserRecord?> FindAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<UserRecord>(
            new CommandDefinition($"SELECT {Columns} FROM users WHERE id = @id", new { id }, cancellationToken: cancellationToken));
    }

    /// <summary>What the user may do now (read on every call whose caller is not cached), or null when there is no such user.</summary>
    public async Task<UserAccess?> FindAccessAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<(string Roles, long Active, long SecurityStamp, string? Language)?>(new CommandDefinition(
            "SELECT roles, active, security_stamp, CASE WHEN language_chosen = 1 THEN language END AS language FROM users WHERE id = @id", new { id }, cancellationToken: cancellationToken));
        return row is { } found
            ? new UserAccess(id, true, found.Active != 0, found.SecurityStamp, UserRecord.SplitRoles(found.Roles).ToFrozenSet(StringComparer.Ordinal), found.Language)
            : null;
    }

    /// <summary>The user's display zone, read on a connection the caller already holds.</summary>
    public static Task<string?> TimeZoneOfAsync(System.Data.Common.DbConnection connection, string id, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<string?>(
            new CommandDefinition("SELECT time_zone FROM users WHERE id = @id", new { id }, cancellationToken: cancellationToken));

    public async Task<UserRecord?> FindByHandleAsync(string handle, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<UserRecord>(
            new CommandDefinition($"SELECT {Columns} FROM users WHERE handle = @handle", new { handle }, cancellationToken: cancellationToken));
    }

    /// <summary>The owner of the calendar feed key <paramref name="feedKey"/> (found by its hash, <see cref="SecretColumns.Matches"/>).</summary>
    public async Task<UserRecord?> FindByFeedKeyAsync(string feedKey, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<UserRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM users WHERE {FeedKeyColumns.Matches}",
            new { secret = feedKey, hash = SecretVault.Hash(feedKey) }, cancellationToken: cancellationToken));
    }

    /// <summary>Creates a user, or returns the existing one with that handle unchanged.</summary>
    public async Task<UserRecord> CreateAsync(string handle, string displayName, IEnumerable<string> roles, string timeZone, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO users (id, handle, display_name, roles, time_zone, created_at_ms, handle_key, display_name_key)
            VALUES (@id, @handle, @displayName, @roles, @timeZone, @now, @handleKey, @displayNameKey)
            ON CONFLICT (handle) DO NOTHING
            """,
            new
            {
                id = $"u_{Guid.CreateVersion7():N}", handle, displayName, roles = NormalizeRoles(roles), timeZone, now = clock.GetUtcNow().ToUnixTimeMilliseconds(),
                handleKey = Core.Common.SearchKey.Of(handle), displayNameKey = Core.Common.SearchKey.Of(displayName),
            },
            cancellationToken: cancellationToken));
        return (await FindByHandleAsync(handle, cancellationToken))!;
    }

    public async Task<IReadOnlyList<UserRecord>> ListAsync(string? query, string? afterHandle, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<UserRecord>(new CommandDefinition(
            $"""
            SELECT {Columns} FROM users
            WHERE (@pattern IS NULL OR handle_key LIKE @pattern ESCAPE '\' OR display_name_key LIKE @pattern ESCAPE '\')
              AND (@afterHandle IS NULL OR handle > @afterHandle)
            ORDER BY handle
            LIMIT @limit
            """,
            new { pattern = string.IsNullOrWhiteSpace(query) ? null : UserSearchKeys.Patterns(Core.Common.SearchKey.Of(query.Trim())).Contains, afterHandle, limit },
            cancellationToken: cancellationToken))).AsList();
    }

    public Task<UserRecord?> UpdateTimeZoneAsync(string id, string timeZone, CancellationToken cancellationToken) =>
        UpdateAsync(id, "time_zone = @value", timeZone, cancellationToken);

    public Task<UserRecord?> UpdateLanguageAsync(string id, string language, CancellationToken cancellationToken) =>
        // A chosen language, told apart from the column's default: refusals follow it rather than accept-language.
        UpdateAsync(id, "language = @value, language_chosen = 1", language, cancellationToken);

    public Task<UserRecord?> SetRolesAsync(string id, IEnumerable<string> roles, CancellationToken cancellationToken) =>
        UpdateAsync(id, "roles = @value", NormalizeRoles(roles), cancellationToken);

    public Task<UserRecord?> SetCertifiedAsync(string id, bool certified, CancellationToken cancellationToken) =>
        UpdateAsync(id, "certified = @value", certified ? 1 : 0, cancellationToken);

    /// <summary>Replaces the hash of the same password (a stronger hashing format): every sign-in stays valid.</summary>
    public async Task RehashPasswordAsync(string id, string passwordHash, CancellationToken cancellationToken) =>
        await UpdateAsync(id, "password_hash = @value", passwordHash, cancellationToken);

    /// <summary>
    /// Sets a password. Replacing one (a reset) retires every token and console sign-in issued before it; a first
    /// password has nothing to retire.
    /// </summary>
    public async Task ResetPasswordAsync(string id, string passwordHash, CancellationToken cancellationToken) =>
        await UpdateAsync(id, "security_stamp = security_stamp + CASE WHEN password_hash IS NULL THEN 0 ELSE 1 END, password_hash = @value", passwordHash, cancellationToken);

    /// <summary>
    /// Deactivates (retiring every token and console sign-in the user holds, and their calendar feed key) or
    /// reactivates an account; reactivating does not bring the retired ones back.
    /// </summary>
    public Task<UserRecord?> SetActiveAsync(string id, bool active, CancellationToken cancellationToken) =>
        // Every right-hand side reads the row as it was, so the stamp moves only when an active account is deactivated.
        UpdateAsync(
            id,
            """
            security_stamp = security_stamp + CASE WHEN active = 1 AND @value = 0 THEN 1 ELSE 0 END, active = @value,
            feed_key = CASE WHEN @value = 0 THEN NULL ELSE feed_key END,
            feed_key_hash = CASE WHEN @value = 0 THEN NULL ELSE feed_key_hash END,
            feed_key_protected = CASE WHEN @value = 0 THEN NULL ELSE feed_key_protected END
            """,
            active ? 1 : 0,
            cancellationToken);

    public async Task<string?> FindPasswordHashAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(
            "SELECT password_hash FROM users WHERE id = @id", new { id }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// The user's calendar feed key, made on first use; <paramref name="rotate"/> replaces it. Stored as its hash and
    /// its protected form (<see cref="CalendarFeedKeyVault"/>), never in clear.
    /// </summary>
    public async Task<FeedKeyReading> GetOrCreateFeedKeyAsync(string id, bool rotate, CalendarFeedKeyVault vault, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(vault);
        await using var connection = await database.OpenAsync(cancellationToken);
        if (!rotate && await ReadFeedKeyAsync(connection, id, vault, cancellationToken) is { Made: true } made)
        {
            return made;
        }
        var key = RandomNumberGenerator.GetHexString(32, lowercase: true);
        // Unless rotating, only while the user has none: two first visits at once keep the one key that was stored.
        var stored = await connection.ExecuteAsync(new CommandDefinition(
            $"""
            UPDATE users SET feed_key = NULL, feed_key_hash = @hash, feed_key_protected = @protectedKey
            WHERE id = @id{(rotate ? "" : " AND feed_key IS NULL AND feed_key_hash IS NULL")}
            """,
            new { id, hash = SecretVault.Hash(key), protectedKey = vault.Protect(key) }, cancellationToken: cancellationToken));
        return stored == 1 ? new FeedKeyReading(true, key) : await ReadFeedKeyAsync(connection, id, vault, cancellationToken);
    }

    private static async Task<FeedKeyReading> ReadFeedKeyAsync(DbConnection connection, string id, CalendarFeedKeyVault vault, CancellationToken cancellationToken)
    {
        var stored = await connection.QuerySingleOrDefaultAsync<(string? Legacy, string? Hash, string? Protected)>(new CommandDefinition(
            "SELECT feed_key, feed_key_hash, feed_key_protected FROM users WHERE id = @id", new { id }, cancellationToken: cancellationToken));
        return stored switch
        {
            // Made before keys were protected (or by a node of that version): the next start protects it.
            { Legacy: { } clear } => new FeedKeyReading(true, clear),
            { Protected: { } protectedKey } when vault.TryReveal(protectedKey, out var key) => new FeedKeyReading(true, key),
            { Hash: not null } => new FeedKeyReading(true, null),
            _ => new FeedKeyReading(false, null),
        };
    }

    private async Task<UserRecord?> UpdateAsync(string id, string assignment, object value, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            $"UPDATE users SET {assignment} WHERE id = @id", new { id, value }, cancellationToken: cancellationToken));
        return await connection.QuerySingleOrDefaultAsync<UserRecord>(
            new CommandDefinition($"SELECT {Columns} FROM users WHERE id = @id", new { id }, cancellationToken: cancellationToken));
    }

    private static string NormalizeRoles(IEnumerable<string> roles) =>
        string.Join(',', roles.Append(Identity.Roles.Viewer).Distinct().Order(StringComparer.Ordinal));
}
