using System.Data.Common;
using LearnHub.Server.Data;
using Microsoft.Extensions.Options;

namespace LearnHub.Server.Telemetry;

/// <summary>
/// The review queue as the gauges show it: one indexed query (the partial index on pending broadcasts) at most every
/// <see cref="TelemetryOptions.ReviewQueueReadInterval"/>, however often the endpoint is scraped. The oldest one's age
/// is computed at each read from the cached submit time, so it keeps growing between queries.
/// </summary>
public sealed partial class ReviewQueueReading(Database database, TimeProvider clock, IOptions<TelemetryOptions> options, ILogger<ReviewQueueReading> logger)
{
    private static readonly TimeSpan QueryDeadline = TimeSpan.FromSeconds(5);

    private readonly Lock gate = new();
    private const long None = -1;

    private long readAtMs = long.MinValue / 2;
    private long depth;
    private long oldestSubmittedMs = None;

    public (long Depth, double OldestAgeSeconds) Read()
    {
        var now = clock.GetUtcNow();
        // One reader queries; a scrape arriving meanwhile takes the last reading instead of queueing behind it.
        if (now.ToUnixTimeMilliseconds() - Volatile.Read(ref readAtMs) >= (long)options.Value.ReviewQueueReadInterval.TotalMilliseconds && gate.TryEnter())
        {
            try
            {
                Refresh(now);
            }
            finally
            {
                gate.Exit();
            }
        }
        var oldest = Volatile.Read(ref oldestSubmittedMs);
        var age = oldest == None ? 0 : Math.Max(0, (now.ToUnixTimeMilliseconds() - oldest) / 1000.0);
        return (Volatile.Read(ref depth), age);
    }

    private void Refresh(DateTimeOffset now)
    {
        Volatile.Write(ref readAtMs, now.ToUnixTimeMilliseconds());
        try
        {
            using var deadline = new CancellationTokenSource(QueryDeadline);
            // Called from a metrics collection, which is synchronous; SQLite runs synchronously anyway.
            var (count, oldest) = QueryAsync(deadline.Token).GetAwaiter().GetResult();
            Volatile.Write(ref depth, count);
            Volatile.Write(ref oldestSubmittedMs, oldest ?? None);
        }
        catch (Exception e) when (e is DbException or InvalidOperationException or OperationCanceledException or TimeoutException)
        {
            // The gauges keep the last reading; the store's own health reports the fault.
            LogReadFailed(logger, e.GetType().Name);
        }
    }

    private async Task<(long Count, long? OldestSubmittedMs)> QueryAsync(CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return await Broadcasts.BroadcastStore.ReviewQueueAsync(connection, ct);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The review queue gauges could not read the store ({Error}); they show the last reading")]
    private static partial void LogReadFailed(ILogger logger, string error);
}
