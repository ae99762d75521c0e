using System.Data.Common;
using Dapper;
using LearnHub.Core.Common;

namespace LearnHub.Server.Data;

/// <summary>
/// The users table's search columns (handle_key, display_name_key): <see cref="SearchKey"/> forms of the handle and
/// display name, written with the row so that SearchCreators and ListUsers match case-insensitively on any script with
/// the same SQL on SQLite and PostgreSQL.
/// </summary>
public static class UserSearchKeys
{
    private const int BatchSize = 1000;

    /// <summary>Fills the keys of every existing user (migration 0007), in batches by id, inside the migration's transaction.</summary>
    public static async Task BackfillAsync(DbConnection connection, DbTransaction tx, CancellationToken ct)
    {
        var after = "";
        while (true)
        {
            var batch = (await connection.QueryAsync<(string Id, string Handle, string DisplayName)>(new CommandDefinition(
                "SELECT id, handle, display_name FROM users WHERE id > @after ORDER BY id LIMIT @limit",
                new { after, limit = BatchSize }, tx, cancellationToken: ct))).AsList();
            if (batch.Count == 0)
            {
                return;
            }
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE users SET handle_key = @HandleKey, display_name_key = @DisplayNameKey WHERE id = @Id",
                batch.Select(u => new { u.Id, HandleKey = SearchKey.Of(u.Handle), DisplayNameKey = SearchKey.Of(u.DisplayName) }),
                tx, cancellationToken: ct));
            after = batch[^1].Id;
        }
    }

    /// <summary>A LIKE pattern (escape character '\') matching keys that contain, or start with, the query's key.</summary>
    public static (string Contains, string Prefix) Patterns(string queryKey)
    {
        var literal = queryKey.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("%", @"\%", StringComparison.Ordinal).Replace("_", @"\_", StringComparison.Ordinal);
        return ($"%{literal}%", $"{literal}%");
    }
}
