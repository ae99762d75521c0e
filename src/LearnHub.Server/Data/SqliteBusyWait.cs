using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace LearnHub.Server.Data;

/// <summary>
/// The settings every connection to the store needs, for the product's queries and Quartz's alike:
/// <list type="bullet">
/// <item>wait for a busy database inside SQLite (sqlite3_busy_timeout: retries after 1, 2, 5, 10 … ms) instead of
/// Microsoft.Data.Sqlite's own retry, which sleeps 150 ms per attempt: the product and Quartz write to the same
/// file from many threads, and with 150 ms naps a burst of due triggers fired at about 60 a second;</item>
/// <item><c>synchronous=NORMAL</c>: in WAL mode a commit then survives a crash or kill of the process and only a
/// power loss can take back the last ones; FULL adds an fsync to every commit (≈0.4 ms here), and the scheduler
/// commits about twice per session it fires.</item>
/// <item><c>cache_size</c> of 32 MiB instead of SQLite's 2 MiB (a limit, allocated as pages are read): a sign-in
/// delivery for a follower of 500 creators touches about 1,000 pages spread over the broadcasts index, more than the
/// default cache holds, so every check-in re-read them all from the OS (bench/broadcasts.sh: 2.4 → 0.6 ms in-process
/// for a check-in with nothing new, 1,000,000 broadcasts stored).</item>
/// </list>
/// All three are per connection (not stored in the file), hence set on each new handle.
/// </summary>
public sealed class BusyWaitSqliteConnection : SqliteConnection
{
    private const int BusyTimeoutMs = 5000;

    /// <summary>Page cache limit per connection, KiB (SQLite's default is 2,000).</summary>
    public const int CacheKiB = 32 * 1024;

    private static readonly ConditionalWeakTable<SQLitePCL.sqlite3, object> Configured = new();
    private static readonly object Marker = new();

    public BusyWaitSqliteConnection()
    {
    }

    public BusyWaitSqliteConnection(string connectionString)
        : base(connectionString)
    {
    }

    /// <summary>Commands that record a span per store call when tracing listens (docs/operations.md, "Metrics and traces").</summary>
    public override SqliteCommand CreateCommand() =>
        // What base.CreateCommand sets, without making a command only to copy it.
        new Telemetry.TracedSqliteCommand { Connection = this, CommandTimeout = DefaultTimeout, Transaction = Transaction };

    public override void Open()
    {
        base.Open();
        // A pooled handle keeps both settings: only a handle opened for the first time needs them.
        var handle = Handle!;
        if (Configured.TryGetValue(handle, out _))
        {
            return;
        }
        SQLitePCL.raw.sqlite3_busy_timeout(handle, BusyTimeoutMs);
        SqliteException.ThrowExceptionForRC(SQLitePCL.raw.sqlite3_exec(handle, "PRAGMA synchronous=NORMAL"), handle);
        SqliteException.ThrowExceptionForRC(SQLitePCL.raw.sqlite3_exec(handle, $"PRAGMA cache_size=-{CacheKiB}"), handle);
        Configured.AddOrUpdate(handle, Marker);
    }
}

/// <summary>Hands Quartz's persistent store the same kind of connection the product uses.</summary>
public sealed class BusyWaitSqliteFactory : DbProviderFactory
{
    public static readonly BusyWaitSqliteFactory Instance = new();

    private BusyWaitSqliteFactory()
    {
    }

    public override DbConnection CreateConnection() => new BusyWaitSqliteConnection();

    public override DbCommand CreateCommand() => new SqliteCommand();

    public override DbParameter CreateParameter() => new SqliteParameter();

    public override DbConnectionStringBuilder CreateConnectionStringBuilder() => new SqliteConnectionStringBuilder();
}
