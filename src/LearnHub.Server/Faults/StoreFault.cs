using System.Globalization;
using LearnHub.Core.Common;
using Microsoft.Data.Sqlite;
using Npgsql;
using StackExchange.Redis;

namespace LearnHub.Server.Faults;

/// <summary>Why the store (or the backplane) could not do its part of a call: each is temporary, so the caller retries.</summary>
public enum StoreFaultKind
{
    /// <summary>SQLITE_FULL, PostgreSQL 53100 disk_full.</summary>
    DiskFull,

    /// <summary>SQLITE_READONLY: the file or its folder became read-only.</summary>
    ReadOnly,

    /// <summary>SQLITE_CANTOPEN: the file (or its WAL) cannot be opened.</summary>
    CannotOpen,

    /// <summary>SQLITE_IOERR: the disk failed a read or write.</summary>
    IoError,

    /// <summary>SQLITE_BUSY/LOCKED after the busy timeout, SQLITE_PROTOCOL: another writer held the file too long.</summary>
    Busy,

    /// <summary>SQLITE_NOMEM, PostgreSQL 53200 out_of_memory.</summary>
    OutOfMemory,

    /// <summary>PostgreSQL unreachable or gone: connection failures (08xxx), shutdowns (57P0x), I/O and timeouts.</summary>
    ConnectionLost,

    /// <summary>PostgreSQL short of a resource (class 53 but disk and memory): too many connections, configuration limits.</summary>
    Overloaded,

    /// <summary>Any other failure PostgreSQL calls transient: a serialization failure, a deadlock broken, a lock not available.</summary>
    Transient,

    /// <summary>Redis (backplane, live counts) unreachable or too slow; not the store, so readiness ignores it.</summary>
    Backplane,
}

/// <summary>A classified store fault: what it was and when a retry may succeed.</summary>
public readonly record struct StoreFault(StoreFaultKind Kind)
{
    /// <summary>The hint given to clients (gRPC RetryInfo, HTTP Retry-After).</summary>
    public TimeSpan RetryAfter => Kind switch
    {
        StoreFaultKind.Busy or StoreFaultKind.Transient => TimeSpan.FromSeconds(1),
        StoreFaultKind.ConnectionLost or StoreFaultKind.Overloaded or StoreFaultKind.Backplane => TimeSpan.FromSeconds(2),
        _ => TimeSpan.FromSeconds(5),
    };

    /// <summary>
    /// Whether the fault says the store cannot take writes now (readiness goes NOT_SERVING). Not a transaction the
    /// database broke off (a deadlock, a serialization failure: the next one goes through), nor Redis.
    /// </summary>
    public bool AffectsStore => Kind is not (StoreFaultKind.Transient or StoreFaultKind.Backplane);

    /// <summary>Stable machine-readable cause, the <c>cause</c> of the ErrorInfo clients receive.</summary>
    public string Cause => Kind switch
    {
        StoreFaultKind.DiskFull => "disk_full",
        StoreFaultKind.ReadOnly => "read_only",
        StoreFaultKind.CannotOpen => "cannot_open",
        StoreFaultKind.IoError => "io_error",
        StoreFaultKind.Busy => "busy",
        StoreFaultKind.OutOfMemory => "out_of_memory",
        StoreFaultKind.ConnectionLost => "connection_lost",
        StoreFaultKind.Overloaded => "overloaded",
        StoreFaultKind.Transient => "transient",
        _ => "backplane",
    };

    /// <summary>Said to the caller: no internals, just what happened in a few words and when to try again.</summary>
    public string Message
    {
        get
        {
            var seconds = ((int)Math.Ceiling(RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            var what = Kind switch
            {
                StoreFaultKind.DiskFull => "the disk is full",
                StoreFaultKind.ReadOnly => "the store is read-only",
                StoreFaultKind.CannotOpen => "the store cannot be opened",
                StoreFaultKind.IoError => "the disk reported an I/O error",
                StoreFaultKind.Busy => "the store is busy",
                StoreFaultKind.OutOfMemory => "the store is out of memory",
                StoreFaultKind.ConnectionLost => "the connection to the database was lost",
                StoreFaultKind.Overloaded => "the database is overloaded",
                StoreFaultKind.Transient => "the database could not finish the request",
                _ => "the live-count service is unreachable",
            };
            return LocalizedText.Pick($"服务暂时无法完成请求，请 {seconds} 秒后重试。", $"The service is temporarily unavailable ({what}). Please try again in {seconds} s.");
        }
    }
}

/// <summary>
/// Tells a store fault (the disk, the file system, the database server: temporary, worth a retry) from any other
/// exception (a bug). Looks through wrappers (Quartz's JobPersistenceException, AggregateException) to the
/// database's own exception. Only ever called on the failure path.
/// </summary>
public static class StoreFaults
{
    // SQLite primary result codes (https://sqlite.org/rescode.html).
    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;
    private const int SqliteNoMem = 7;
    private const int SqliteReadOnly = 8;
    private const int SqliteIoErr = 10;
    private const int SqliteFull = 13;
    private const int SqliteCantOpen = 14;
    private const int SqliteProtocol = 15;

    private const int MaxDepth = 8;

    public static bool TryClassify(Exception exception, out StoreFault fault) => TryClassify(exception, 0, out fault);

    private static bool TryClassify(Exception? exception, int depth, out StoreFault fault)
    {
        for (; exception is not null && depth < MaxDepth; exception = exception.InnerException, depth++)
        {
            if (exception is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions)
                {
                    if (TryClassify(inner, depth + 1, out fault))
                    {
                        return true;
                    }
                }
                break;
            }
            if (Classify(exception) is { } kind)
            {
                fault = new StoreFault(kind);
                return true;
            }
        }
        fault = default;
        return false;
    }

    private static StoreFaultKind? Classify(Exception exception) => exception switch
    {
        SqliteException sqlite => (sqlite.SqliteErrorCode & 0xFF) switch
        {
            SqliteFull => StoreFaultKind.DiskFull,
            SqliteReadOnly => StoreFaultKind.ReadOnly,
            SqliteCantOpen => StoreFaultKind.CannotOpen,
            SqliteIoErr => StoreFaultKind.IoError,
            SqliteBusy or SqliteLocked or SqliteProtocol => StoreFaultKind.Busy,
            SqliteNoMem => StoreFaultKind.OutOfMemory,
            _ => null,
        },
        PostgresException postgres => ClassifyPostgres(postgres),
        // Not a server error: the connection (refused, reset, timed out, pool exhausted) failed.
        NpgsqlException { IsTransient: true } => StoreFaultKind.ConnectionLost,
        RedisConnectionException or RedisTimeoutException => StoreFaultKind.Backplane,
        _ => null,
    };

    private static StoreFaultKind? ClassifyPostgres(PostgresException postgres)
    {
        var state = postgres.SqlState;
        return state switch
        {
            "53100" => StoreFaultKind.DiskFull,
            "53200" => StoreFaultKind.OutOfMemory,
            _ when state.StartsWith("53", StringComparison.Ordinal) => StoreFaultKind.Overloaded,
            _ when state.StartsWith("08", StringComparison.Ordinal) || state.StartsWith("57P0", StringComparison.Ordinal) => StoreFaultKind.ConnectionLost,
            // 25006 read_only_sql_transaction: a replica promoted away or the database set read-only.
            "25006" => StoreFaultKind.ReadOnly,
            "58030" => StoreFaultKind.IoError,
            _ when postgres.IsTransient => StoreFaultKind.Transient,
            _ => null,
        };
    }
}
