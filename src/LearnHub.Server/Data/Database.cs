using System.Data.Common;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Npgsql;

namespace LearnHub.Server.Data;

/// <summary>Opens connections to the product's store; one per operation, returned to the pool on dispose.</summary>
public sealed class Database : IAsyncDisposable
{
    private readonly NpgsqlDataSource? postgres;

    public Database(IOptions<StorageOptions> options)
    {
        var storage = options.Value;
        Provider = storage.Provider;
        if (Provider == StorageProvider.Postgres)
        {
            ConnectionString = storage.RequirePostgresConnectionString();
            postgres = NpgsqlDataSource.Create(ConnectionString);
        }
        else
        {
            Directory.CreateDirectory(Path.GetDirectoryName(storage.DatabasePath)!);
            ConnectionString = BuildConnectionString(storage.DatabasePath);
        }
    }

    public StorageProvider Provider { get; }

    public string ConnectionString { get; }

    public static string BuildConnectionString(string path) => new SqliteConnectionStringBuilder
    {
        DataSource = path,
        Mode = SqliteOpenMode.ReadWriteCreate,
        Cache = SqliteCacheMode.Private,
        Pooling = true,
        ForeignKeys = true,
        // Microsoft.Data.Sqlite's own retry on SQLITE_BUSY gives up after this many seconds; SQLite's busy handler
        // (BusyWaitSqliteConnection) normally gets the lock long before.
        DefaultTimeout = 5,
    }.ToString();

    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        if (postgres is not null)
        {
            return await postgres.OpenConnectionAsync(cancellationToken);
        }
        var connection = new BusyWaitSqliteConnection(ConnectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    /// <summary>
    /// Serializes the transactions that decide on <paramref name="key"/> (a read, then a write that depends on it) until
    /// <paramref name="tx"/> ends. PostgreSQL runs them side by side (READ COMMITTED), so they take a transaction-scoped
    /// advisory lock; on SQLite every write transaction already holds the one writer lock (BEGIN IMMEDIATE) and this
    /// does nothing.
    /// </summary>
    public static Task LockAsync(DbConnection connection, DbTransaction tx, string key, CancellationToken ct) =>
        connection is NpgsqlConnection
            ? connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_xact_lock(hashtextextended(@key, 0))", new { key }, tx, cancellationToken: ct))
            : Task.CompletedTask;

    public ValueTask DisposeAsync() => postgres?.DisposeAsync() ?? ValueTask.CompletedTask;
}

/// <summary>What the advisory locks of <see cref="Database.LockAsync"/> are keyed by: one decision each.</summary>
public static class DecisionKeys
{
    /// <summary>A change to one session, its status or its reservations.</summary>
    public static string Session(string sessionId) => $"session:{sessionId}";

    /// <summary>An instructor's timetable: the no-overlap check and the write it allows (and a create's request id).</summary>
    public static string Schedule(string instructorId) => $"schedule:{instructorId}";

    /// <summary>Rewriting one session's Quartz triggers from its row.</summary>
    public static string Triggers(string sessionId) => $"triggers:{sessionId}";

    /// <summary>A change to one course and its chapters (the version check and the write).</summary>
    public static string Course(string courseId) => $"course:{courseId}";

    /// <summary>A creator's submissions: the request-id replay check and the insert.</summary>
    public static string BroadcastSubmit(string creatorId) => $"broadcast-submit:{creatorId}";

    /// <summary>Seeding the demo into an empty store.</summary>
    public const string DemoSeed = "demo-seed";
}

/// <summary>The few spellings that differ between SQLite and PostgreSQL; every other query is the same text on both.</summary>
public static class SqlDialect
{
    /// <summary>The smaller of two values: SQLite's scalar MIN, PostgreSQL's LEAST.</summary>
    public static string Least(DbConnection connection, string a, string b) =>
        connection is NpgsqlConnection ? $"LEAST({a}, {b})" : $"MIN({a}, {b})";

    /// <summary>
    /// <paramref name="column"/> is one of the list parameter <paramref name="parameter"/>: Dapper expands <c>IN @list</c>
    /// into one parameter per item on SQLite, and sends the list as one array to PostgreSQL, which compares with ANY.
    /// </summary>
    public static string In(DbConnection connection, string column, string parameter) =>
        connection is NpgsqlConnection ? $"{column} = ANY({parameter})" : $"{column} IN {parameter}";

    /// <summary>
    /// As <see cref="In"/>, with the list sent as one parameter however long: on SQLite a JSON array read by json_each
    /// (Dapper's expansion binds one parameter per item, each looked up by name, and SQLite caps their number), on
    /// PostgreSQL the array. Returns the condition and the value to bind to <paramref name="parameter"/>.
    /// </summary>
    public static (string Sql, object Value) InList(DbConnection connection, string column, string parameter, IReadOnlyCollection<string> values) =>
        connection is NpgsqlConnection
            ? ($"{column} = ANY({parameter})", values.ToArray())
            : ($"{column} IN (SELECT value FROM json_each({parameter}))", System.Text.Json.JsonSerializer.Serialize(values));
}
