using Dapper;
using LearnHub.Server.Data;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace LearnHub.Server.Faults;

/// <summary>
/// Readiness of the store for reads and writes. NOT_SERVING while they fail: when a small probe (one row of
/// <c>store_probe</c> rewritten in place and read back, at most every <see cref="ProbeInterval"/>) fails, and for
/// <see cref="FaultHold"/> after any store fault reported by a call or a background job. SERVING again by itself once
/// a probe made after the last fault succeeds and the hold has passed.
/// </summary>
/// <remarks>
/// On SQLite the probe first asks the file system for free space: a row rewritten in place fits into the WAL file's
/// existing space even on a full disk, while a new session needs the database to grow, so below
/// <see cref="MinimumFreeBytes"/> the store counts as full without writing.
/// </remarks>
public sealed partial class StoreHealth(
    Database database, IOptions<StorageOptions> storage, TimeProvider clock, IConfiguration configuration, ILogger<StoreHealth> logger)
{
    /// <summary>Below this much free space on the SQLite file's file system, readiness says disk_full.</summary>
    public const long MinimumFreeBytes = 1024 * 1024;

    public static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(5);

    public static readonly TimeSpan FaultHold = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(5);

    private const string ProbeSql = """
        INSERT INTO store_probe (id, node, probed_at_ms) VALUES (1, @node, @at)
        ON CONFLICT (id) DO UPDATE SET node = excluded.node, probed_at_ms = excluded.probed_at_ms
        """;

    // Reads back through the same connection: a store that takes writes but cannot answer reads is not ready either.
    private const string ReadBackSql = "SELECT count(*) FROM store_probe WHERE id = 1";

    private const long NoFault = long.MinValue;

    private readonly string node = NodeName(configuration);
    private readonly Lock gate = new();
    private Task<ProbeResult>? probe;
    private long lastFaultAtMs = NoFault;
    private int lastFaultKind;
    private int unavailable;

    /// <summary>Whether readiness last said NOT_SERVING (or a fault came since): the monitor probes while this holds.</summary>
    public bool Unavailable => Volatile.Read(ref unavailable) == 1;

    /// <summary>A call or job met a store fault. Cheap: a few interlocked writes, and one log line when readiness drops.</summary>
    public void ReportFault(StoreFault fault)
    {
        if (!fault.AffectsStore)
        {
            return;
        }
        Volatile.Write(ref lastFaultKind, (int)fault.Kind);
        Interlocked.Exchange(ref lastFaultAtMs, clock.GetUtcNow().ToUnixTimeMilliseconds());
        if (Interlocked.Exchange(ref unavailable, 1) == 0)
        {
            LogUnavailable(fault.Cause);
        }
    }

    /// <summary>Runs the write probe when the last one is older than <see cref="ProbeInterval"/>, then judges.</summary>
    public async Task<StoreReadiness> CheckAsync(CancellationToken cancellationToken)
    {
        var result = await CurrentProbe().WaitAsync(cancellationToken);
        if (result.Failure is { } failure)
        {
            if (Interlocked.Exchange(ref unavailable, 1) == 0)
            {
                LogUnavailable(failure.Cause);
            }
            return new StoreReadiness(false, $"the read/write probe failed: {failure.Cause}");
        }
        var nowMs = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var faultAtMs = Interlocked.Read(ref lastFaultAtMs);
        if (faultAtMs != NoFault && (faultAtMs >= result.AtMs || nowMs - faultAtMs < FaultHold.TotalMilliseconds))
        {
            return new StoreReadiness(false, $"a store fault {nowMs - faultAtMs} ms ago: {new StoreFault((StoreFaultKind)Volatile.Read(ref lastFaultKind)).Cause}");
        }
        if (Interlocked.Exchange(ref unavailable, 0) == 1)
        {
            LogRecovered();
        }
        return new StoreReadiness(true, null);
    }

    private Task<ProbeResult> CurrentProbe()
    {
        lock (gate)
        {
            if (probe is null || (probe.IsCompleted && (clock.GetUtcNow().ToUnixTimeMilliseconds() - probe.Result.AtMs) >= ProbeInterval.TotalMilliseconds))
            {
                // Off the caller's thread: SQLite runs synchronously and may wait for its busy timeout.
                probe = Task.Run(ProbeAsync);
            }
            return probe;
        }
    }

    private async Task<ProbeResult> ProbeAsync()
    {
        var atMs = clock.GetUtcNow().ToUnixTimeMilliseconds();
        using var timeout = new CancellationTokenSource(ProbeTimeout, clock);
        try
        {
            if (database.Provider == StorageProvider.Sqlite && FreeBytes() is { } free && free < MinimumFreeBytes)
            {
                LogLowSpace(free);
                return new ProbeResult(atMs, new StoreFault(StoreFaultKind.DiskFull));
            }
            await using var connection = await database.OpenAsync(timeout.Token);
            await connection.ExecuteAsync(new CommandDefinition(ProbeSql, new { node, at = atMs }, cancellationToken: timeout.Token));
            var rows = await connection.ExecuteScalarAsync<long>(new CommandDefinition(ReadBackSql, cancellationToken: timeout.Token));
            return new ProbeResult(atMs, rows == 1 ? null : new StoreFault(StoreFaultKind.IoError));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            var fault = StoreFaults.TryClassify(e, out var classified) ? classified : new StoreFault(StoreFaultKind.IoError);
            if (database.Provider == StorageProvider.Sqlite && fault.Kind is StoreFaultKind.ReadOnly or StoreFaultKind.CannotOpen or StoreFaultKind.IoError)
            {
                // A handle SQLite opened while the folder was read-only stays read-only: drop the pooled ones, so the
                // store is writable again as soon as the file system is.
                SqliteConnection.ClearAllPools();
            }
            LogProbeFailed(fault.Cause, e);
            return new ProbeResult(atMs, fault);
        }
    }

    private long? FreeBytes()
    {
        try
        {
            return new DriveInfo(Path.GetDirectoryName(storage.Value.DatabasePath)!).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null; // the write below says what is wrong
        }
    }

    private static string NodeName(IConfiguration configuration)
    {
        var name = configuration["Cluster:NodeId"] is { Length: > 0 } id ? id : $"{Environment.MachineName}-{Environment.ProcessId}";
        return name.Length > 100 ? name[..100] : name;
    }

    private sealed record ProbeResult(long AtMs, StoreFault? Failure);

    [LoggerMessage(EventId = 9010, Level = LogLevel.Error, Message = "The store cannot take writes ({Cause}): calls that write answer UNAVAILABLE and readiness is NOT_SERVING until a write succeeds")]
    private partial void LogUnavailable(string cause);

    [LoggerMessage(EventId = 9011, Level = LogLevel.Warning, Message = "The store takes writes again: readiness is SERVING")]
    private partial void LogRecovered();

    [LoggerMessage(EventId = 9014, Level = LogLevel.Debug, Message = "The data folder's file system has {FreeBytes} bytes free: the store counts as full")]
    private partial void LogLowSpace(long freeBytes);

    [LoggerMessage(EventId = 9012, Level = LogLevel.Debug, Message = "Store write probe failed ({Cause})")]
    private partial void LogProbeFailed(string cause, Exception exception);
}

public readonly record struct StoreReadiness(bool Serving, string? Reason);

/// <summary>Readiness's "store" check (HTTP and grpc.health.v1 alike): the store answers reads and takes writes (<see cref="StoreHealth"/>).</summary>
public sealed class StoreHealthCheck(StoreHealth health) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var readiness = await health.CheckAsync(cancellationToken);
        return readiness.Serving ? HealthCheckResult.Healthy("the store reads and takes writes") : HealthCheckResult.Unhealthy(readiness.Reason);
    }
}

/// <summary>
/// While readiness is down, probes every <see cref="StoreHealth.ProbeInterval"/> even if nobody asks, so it comes back
/// (and says so in the log) without a health client.
/// </summary>
public sealed partial class StoreHealthMonitor(StoreHealth health, TimeProvider clock, ILogger<StoreHealthMonitor> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(StoreHealth.ProbeInterval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (!health.Unavailable)
            {
                continue;
            }
            try
            {
                await health.CheckAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogCheckFailed(e);
            }
        }
    }

    [LoggerMessage(EventId = 9013, Level = LogLevel.Warning, Message = "Store readiness check failed; the next tick retries")]
    private partial void LogCheckFailed(Exception exception);
}
