using Dapper;
using LearnHub.Server.Data;

namespace LearnHub.Server.Identity;

public sealed record UserRecord(string Id, string Handle, string DisplayName, string Roles, string TimeZone)
{
    public IReadOnlyList<string> RoleList => Roles.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>Users and their roles. Everyone is a viewer; other roles are granted.</summary>
public sealed class UserStore(Database database, TimeProvider clock)
{
    private const string Columns = "id, handle, display_name AS DisplayName, roles, time_zone AS TimeZone";

    public async Task<UserRecord?> FindAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<UserRecord>(
            new CommandDefinition($"SELECT {Columns} FROM users WHERE id = @id", new { id }, cancellationToken: cancellationToken));
    }

    public async Task<UserRecord?> FindByHandleAsync(string handle, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<UserRecord>(
            new CommandDefinition($"SELECT {Columns} FROM users WHERE handle = @handle", new { handle }, cancellationToken: cancellationToken));
    }

    /// <summary>Creates a user, or returns the existing one with that handle unchanged.</summary>
    public async Task<UserRecord> CreateAsync(string handle, string displayName, IEnumerable<string> roles, string timeZone, CancellationToken cancellationToken)
    {
        var roleSet = roles.Append(Identity.Roles.Viewer).Distinct().Order(StringComparer.Ordinal);
        var user = new UserRecord($"u_{Guid.CreateVersion7():N}", handle, displayName, string.Join(',', roleSet), timeZone);
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO users (id, handle, display_name, roles, time_zone, created_at_ms)
            VALUES (@Id, @Handle, @DisplayName, @Roles, @TimeZone, @Now)
            ON CONFLICT (handle) DO NOTHING
            """,
            new { user.Id, user.Handle, user.DisplayName, user.Roles, user.TimeZone, Now = clock.GetUtcNow().ToUnixTimeMilliseconds() },
            cancellationToken: cancellationToken));
        return (await FindByHandleAsync(handle, cancellationToken))!;
    }

    public async Task<UserRecord?> UpdateTimeZoneAsync(string id, string timeZone, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE users SET time_zone = @timeZone WHERE id = @id", new { id, timeZone }, cancellationToken: cancellationToken));
        return await FindAsync(id, cancellationToken);
    }
}
