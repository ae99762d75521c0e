using System.Security.Cryptography;
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

    public IReadOnlyList<string> RoleList => Roles.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>Users, their roles and preferences. Everyone is a viewer; other roles are granted.</summary>
public sealed class UserStore(Database database, TimeProvider clock)
{
    public static readonly IReadOnlyList<string> Languages = ["zh-CN", "en"];

    private const string Columns = "id, handle, display_name AS DisplayName, roles, time_zone AS TimeZone, language, certified";

    public async Task<UserRecord?> FindAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<UserRecord>(
            new CommandDefinition($"SELECT {Columns} FROM users WHERE id = @id", new { id }, cancellationToken: cancellationToken));
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

    public async Task<UserRecord?> FindByFeedKeyAsync(string feedKey, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<UserRecord>(
            new CommandDefinition($"SELECT {Columns} FROM users WHERE feed_key = @feedKey", new { feedKey }, cancellationToken: cancellationToken));
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
        UpdateAsync(id, "language = @value", language, cancellationToken);

    public Task<UserRecord?> SetRolesAsync(string id, IEnumerable<string> roles, CancellationToken cancellationToken) =>
        UpdateAsync(id, "roles = @value", NormalizeRoles(roles), cancellationToken);

    public Task<UserRecord?> SetCertifiedAsync(string id, bool certified, CancellationToken cancellationToken) =>
        UpdateAsync(id, "certified = @value", certified ? 1 : 0, cancellationToken);

    public async Task SetPasswordHashAsync(string id, string passwordHash, CancellationToken cancellationToken) =>
        await UpdateAsync(id, "password_hash = @value", passwordHash, cancellationToken);

    public async Task<string?> FindPasswordHashAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(
            "SELECT password_hash FROM users WHERE id = @id", new { id }, cancellationToken: cancellationToken));
    }

    /// <summary>The user's calendar feed key, made on first use; <paramref name="rotate"/> replaces it.</summary>
    public async Task<string> GetOrCreateFeedKeyAsync(string id, bool rotate, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            $"UPDATE users SET feed_key = @key WHERE id = @id AND ({(rotate ? "1 = 1" : "feed_key IS NULL")})",
            new { id, key = RandomNumberGenerator.GetHexString(32, lowercase: true) }, cancellationToken: cancellationToken));
        return await connection.QuerySingleAsync<string>(new CommandDefinition(
            "SELECT feed_key FROM users WHERE id = @id", new { id }, cancellationToken: cancellationToken));
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
