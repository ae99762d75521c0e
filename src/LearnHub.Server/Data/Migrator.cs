using System.Data.Common;
using System.Reflection;
using Dapper;

namespace LearnHub.Server.Data;

/// <summary>
/// Applies the numbered SQL scripts embedded under Data/Migrations/{sqlite|postgres} in order, each in its own
/// transaction. The two folders hold the same scripts, one per engine (a test keeps their tables and indexes alike).
/// </summary>
public sealed partial class Migrator(Database database, TimeProvider clock, ILogger<Migrator> logger)
{
    /// <summary>The session-level advisory lock nodes starting together queue on, so only one migrates at a time.</summary>
    private const long PostgresMigrationLock = 0x4C6561726E487562; // "LearnHub"

    /// <summary>Data changes SQL cannot make alike on both engines, run in C# right after their script, in its transaction.</summary>
    private static readonly Dictionary<long, Func<DbConnection, DbTransaction, CancellationToken, Task>> AfterScript = new()
    {
        [7] = UserSearchKeys.BackfillAsync,
    };

    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        if (database.Provider == StorageProvider.Postgres)
        {
            await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_lock(@key)", new { key = PostgresMigrationLock }, cancellationToken: cancellationToken));
            try
            {
                await ApplyAsync(connection, database.Provider, cancellationToken);
            }
            finally
            {
                await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_unlock(@key)", new { key = PostgresMigrationLock }, cancellationToken: CancellationToken.None));
            }
            return;
        }
        // WAL is a property of the file: readers never block the writer, and it persists once set.
        await connection.ExecuteAsync("PRAGMA journal_mode=WAL;");
        await ApplyAsync(connection, database.Provider, cancellationToken);
    }

    private async Task ApplyAsync(DbConnection connection, StorageProvider provider, CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(provider == StorageProvider.Postgres
            ? """
              CREATE TABLE IF NOT EXISTS schema_migrations (
                  version bigint PRIMARY KEY,
                  name text NOT NULL,
                  applied_at_ms bigint NOT NULL)
              """
            : """
              CREATE TABLE IF NOT EXISTS schema_migrations (
                  version INTEGER PRIMARY KEY,
                  name TEXT NOT NULL,
                  applied_at_ms INTEGER NOT NULL)
              """);
        var applied = (await connection.QueryAsync<long>("SELECT version FROM schema_migrations")).ToHashSet();
        foreach (var script in Scripts(provider))
        {
            if (applied.Contains(script.Version))
            {
                continue;
            }
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await connection.ExecuteAsync(script.Sql, transaction: transaction);
            if (AfterScript.TryGetValue(script.Version, out var step))
            {
                await step(connection, transaction, cancellationToken);
            }
            await connection.ExecuteAsync(
                "INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (@Version, @Name, @Now)",
                new { script.Version, script.Name, Now = clock.GetUtcNow().ToUnixTimeMilliseconds() },
                transaction);
            await transaction.CommitAsync(cancellationToken);
            LogApplied(script.Version, script.Name);
        }
    }

    /// <summary>Embedded scripts named "NNNN_description.sql" for the engine, ordered by number.</summary>
    internal static IReadOnlyList<MigrationScript> Scripts(StorageProvider provider)
    {
        var prefix = $"LearnHub.Server.Data.Migrations.{(provider == StorageProvider.Postgres ? "postgres" : "sqlite")}.";
        var assembly = typeof(Migrator).Assembly;
        return assembly.GetManifestResourceNames()
            .Where(name => name.StartsWith(prefix, StringComparison.Ordinal))
            .Select(name => Load(assembly, name, prefix))
            .OrderBy(script => script.Version)
            .ToList();
    }

    private static MigrationScript Load(Assembly assembly, string resourceName, string prefix)
    {
        var name = resourceName[prefix.Length..^".sql".Length];
        var version = long.Parse(name.AsSpan(0, name.IndexOf('_', StringComparison.Ordinal)), System.Globalization.CultureInfo.InvariantCulture);
        using var stream = assembly.GetManifestResourceStream(resourceName)!;
        using var reader = new StreamReader(stream);
        return new MigrationScript(version, name, reader.ReadToEnd());
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Applied migration {Version} ({Name})")]
    private partial void LogApplied(long version, string name);
}

internal sealed record MigrationScript(long Version, string Name, string Sql);
