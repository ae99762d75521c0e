using System.Reflection;
using Dapper;

namespace LearnHub.Server.Data;

/// <summary>Applies the numbered SQL scripts embedded under Data/Migrations/sqlite in order, each in its own transaction.</summary>
public sealed partial class Migrator(Database database, TimeProvider clock, ILogger<Migrator> logger)
{
    private const string ResourcePrefix = "LearnHub.Server.Data.Migrations.sqlite.";

    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        // WAL is a property of the file: readers never block the writer, and it persists once set.
        await connection.ExecuteAsync("PRAGMA journal_mode=WAL;");
        await connection.ExecuteAsync("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version INTEGER PRIMARY KEY,
                name TEXT NOT NULL,
                applied_at_ms INTEGER NOT NULL)
            """);
        var applied = (await connection.QueryAsync<long>("SELECT version FROM schema_migrations")).ToHashSet();
        foreach (var script in Scripts())
        {
            if (applied.Contains(script.Version))
            {
                continue;
            }
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await connection.ExecuteAsync(script.Sql, transaction: transaction);
            await connection.ExecuteAsync(
                "INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (@Version, @Name, @Now)",
                new { script.Version, script.Name, Now = clock.GetUtcNow().ToUnixTimeMilliseconds() },
                transaction);
            await transaction.CommitAsync(cancellationToken);
            LogApplied(script.Version, script.Name);
        }
    }

    /// <summary>Embedded scripts named "NNNN_description.sql", ordered by number.</summary>
    internal static IReadOnlyList<MigrationScript> Scripts()
    {
        var assembly = typeof(Migrator).Assembly;
        return assembly.GetManifestResourceNames()
            .Where(name => name.StartsWith(ResourcePrefix, StringComparison.Ordinal))
            .Select(name => Load(assembly, name))
            .OrderBy(script => script.Version)
            .ToList();
    }

    private static MigrationScript Load(Assembly assembly, string resourceName)
    {
        var name = resourceName[ResourcePrefix.Length..^".sql".Length];
        var version = long.Parse(name.AsSpan(0, name.IndexOf('_', StringComparison.Ordinal)), System.Globalization.CultureInfo.InvariantCulture);
        using var stream = assembly.GetManifestResourceStream(resourceName)!;
        using var reader = new StreamReader(stream);
        return new MigrationScript(version, name, reader.ReadToEnd());
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Applied migration {Version} ({Name})")]
    private partial void LogApplied(long version, string name);
}

internal sealed record MigrationScript(long Version, string Name, string Sql);
