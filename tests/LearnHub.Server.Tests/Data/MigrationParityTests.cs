using Dapper;
using LearnHub.Server.Data;
using LearnHub.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LearnHub.Server.Tests.Data;

/// <summary>
/// The SQLite and PostgreSQL migrations are two spellings of one schema: same scripts, and after migrating, the same
/// tables, columns (name, nullability) and named indexes. Runs whatever LEARNHUB_TEST_STORE says (it needs both engines).
/// </summary>
public sealed class MigrationParityTests
{
    [Fact]
    public void Both_engines_have_the_same_numbered_scripts()
    {
        var sqlite = Migrator.Scripts(StorageProvider.Sqlite).Select(s => s.Name).ToList();
        var postgres = Migrator.Scripts(StorageProvider.Postgres).Select(s => s.Name).ToList();
        Assert.NotEmpty(sqlite);
        Assert.Equal(sqlite, postgres);
    }

    [Fact]
    public async Task Migrated_stores_have_the_same_tables_columns_and_indexes()
    {
        var folder = Directory.CreateTempSubdirectory("learnhub-parity-").FullName;
        var server = await PostgresServer.SharedAsync();
        var postgresConnection = await server.CreateDatabaseAsync();
        try
        {
            var sqlite = await MigrateAsync(new StorageOptions { DataDirectory = folder });
            var postgres = await MigrateAsync(new StorageOptions { Provider = StorageProvider.Postgres, ConnectionString = postgresConnection });

            Schema sqliteSchema, postgresSchema;
            await using (var connection = await sqlite.OpenAsync(CancellationToken.None))
            {
                sqliteSchema = await SqliteSchemaAsync(connection);
            }
            await using (var connection = await postgres.OpenAsync(CancellationToken.None))
            {
                postgresSchema = await PostgresSchemaAsync(connection);
            }
            await sqlite.DisposeAsync();
            await postgres.DisposeAsync();

            Assert.Contains("sessions", sqliteSchema.Columns.Select(c => c.Table));
            Assert.Equal(sqliteSchema.Columns, postgresSchema.Columns);
            Assert.Equal(sqliteSchema.Indexes, postgresSchema.Indexes);
        }
        finally
        {
            await server.DropDatabaseAsync(postgresConnection);
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task<Database> MigrateAsync(StorageOptions options)
    {
        var database = new Database(Options.Create(options));
        await new Migrator(database, TimeProvider.System, NullLogger<Migrator>.Instance).MigrateAsync(CancellationToken.None);
        return database;
    }

    private static async Task<Schema> SqliteSchemaAsync(System.Data.Common.DbConnection connection)
    {
        var tables = (await connection.QueryAsync<string>(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'qrtz_%'")).ToList();
        var columns = new List<Column>();
        foreach (var table in tables)
        {
            // A primary key column is NOT NULL on PostgreSQL whether declared so or not; SQLite reports what was declared.
            columns.AddRange((await connection.QueryAsync<(string Name, long NotNull, long PrimaryKey)>(
                $"SELECT name, \"notnull\", pk FROM pragma_table_info('{table}')"))
                .Select(c => new Column(table, c.Name, c.NotNull == 1 || c.PrimaryKey > 0)));
        }
        var indexes = await connection.QueryAsync<(string Table, string Name)>(
            "SELECT tbl_name, name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name NOT LIKE 'qrtz_%'");
        return new Schema(Sorted(columns), [.. indexes.Select(i => $"{i.Table}.{i.Name}").Order(StringComparer.Ordinal)]);
    }

    private static async Task<Schema> PostgresSchemaAsync(System.Data.Common.DbConnection connection)
    {
        var columns = await connection.QueryAsync<(string Table, string Name, string Nullable)>(
            """
            SELECT table_name, column_name, is_nullable FROM information_schema.columns
            WHERE table_schema = 'public' AND table_name NOT LIKE 'qrtz_%'
            """);
        // Indexes named in the scripts; those PostgreSQL makes for PRIMARY KEY and UNIQUE constraints are SQLite's autoindexes.
        var indexes = await connection.QueryAsync<(string Table, string Name)>(
            """
            SELECT i.tablename, i.indexname FROM pg_indexes i
            WHERE i.schemaname = 'public' AND i.tablename NOT LIKE 'qrtz_%'
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = (quote_ident(i.indexname))::regclass)
            """);
        return new Schema(
            Sorted(columns.Select(c => new Column(c.Table, c.Name, c.Nullable == "NO"))),
            [.. indexes.Select(i => $"{i.Table}.{i.Name}").Order(StringComparer.Ordinal)]);
    }

    private static List<Column> Sorted(IEnumerable<Column> columns) =>
        [.. columns.OrderBy(c => c.Table, StringComparer.Ordinal).ThenBy(c => c.Name, StringComparer.Ordinal)];

    private sealed record Column(string Table, string Name, bool NotNull);

    private sealed record Schema(List<Column> Columns, List<string> Indexes);
}
