using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace LearnHub.Server.Data;

/// <summary>Opens connections to the product's store; one per operation, returned to the pool on dispose.</summary>
public sealed class Database
{
    public Database(IOptions<StorageOptions> options)
    {
        var storage = options.Value;
        Directory.CreateDirectory(Path.GetDirectoryName(storage.DatabasePath)!);
        ConnectionString = BuildConnectionString(storage.DatabasePath);
    }

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
        var connection = new BusyWaitSqliteConnection(ConnectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }
}
