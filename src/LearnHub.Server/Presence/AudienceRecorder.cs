using LearnHub.Core.Sessions;
using LearnHub.Core.Presence;
using LearnHub.Server.Data;
using LearnHub.Server.Sessions;
using Microsoft.Extensions.Options;
using CoreStatus = LearnHub.Core.Sessions.SessionStatus;

namespace LearnHub.Server.Presence;

/// <summary>
/// Connects presence to the rest of the product and keeps its history: count changes go to the publisher and the
/// peak; session changes refresh the directory, start or stop counting watch time and are pushed; every
/// <see cref="PresenceOptions.SampleInterval"/> each live session's count, peak and watch time are written to the
/// store, so charts and figures survive restarts.
/// </summary>
public sealed partial class AudienceRecorder(
    Database database,
    ILiveViewerCounts counts,
    ISessionEvents sessionEvents,
    LiveSessionDirectory directory,
    LivePublisher publisher,
    AudienceLedger ledger,
    WatchStreams streams,
    IOptions<PresenceOptions> options,
    TimeProvider clock,
    ILogger<AudienceRecorder> logger) : BackgroundService
{
    private readonly SemaphoreSlim writing = new(1, 1);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> lastOnDemandFlush = new(StringComparer.Ordinal);
    private IDisposable? countSubscription;
    private IDisposable? sessionSubscription;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        countSubscription = counts.OnChanged(OnCountChanged);
        sessionSubscription = sessionEvents.Subscribe(OnSessionChanged);
        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        countSubscription?.Dispose();
        sessionSubscription?.Dispose();
        await base.StopAsync(cancellationToken);
    }

    public override void Dispose()
    {
        writing.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SampleInterval, clock);
        do
        {
            // Off the thread that fires the timer (as the trigger reconciler's pass): missed ticks coalesce instead of
            // each running a store query inline, e.g. one per 10 s of a fake clock advanced by days.
            await Task.Yield();
            try
            {
                await SampleLiveSessionsAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogSampleFailed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private void OnCountChanged(string sessionId)
    {
        ledger.ObserveViewers(sessionId, counts.CurrentViewers(sessionId), clock.GetUtcNow().ToUnixTimeMilliseconds());
        publisher.CountChanged(sessionId);
    }

    private void OnSessionChanged(SessionChanged change)
    {
        var nowMs = clock.GetUtcNow().ToUnixTimeMilliseconds();
        // Decided at once, on the committing thread, so watch time stops exactly at the end.
        IReadOnlyList<WatchTime> last = [];
        Peak? peak = null;
        if (change.Status == CoreStatus.Live)
        {
            ledger.StartAccruing(change.SessionId, nowMs, counts.CurrentViewers(change.SessionId));
        }
        else if (change.Status.IsFinal())
        {
            peak = ledger.PeakOf(change.SessionId);
            last = ledger.StopAccruing(change.SessionId, nowMs);
            lastOnDemandFlush.TryRemove(change.SessionId, out _);
        }
        _ = Task.Run(() => AfterSessionChangedAsync(change, nowMs, last, peak));
    }

    private async Task AfterSessionChangedAsync(SessionChanged change, long nowMs, IReadOnlyList<WatchTime> last, Peak? peak)
    {
        try
        {
            var (before, after) = await directory.RefreshAsync(change.SessionId, CancellationToken.None);
            if (after is null)
            {
                return;
            }
            publisher.StatusChanged(before, after, tellDashboards: !change.FromOtherNode);
            if (change.Status == CoreStatus.Live)
            {
                // The chart starts at go-live. Written on every Live change (whether this one is the go-live is not for
                // the cached row to say: another read may have cached the Live row first), but the first write of that
                // instant stays: the node that made the change writes it at once, another hears of it later.
                await WriteAsync([new SessionFlush(change.SessionId, after.LiveAtMs ?? nowMs, counts.CurrentViewers(change.SessionId), ledger.PeakOf(change.SessionId), [], KeepExistingSample: true)], CancellationToken.None);
            }
            else if (change.Status.IsFinal() && before?.Status != change.Status)
            {
                // The chart ends at zero: the end removes everyone.
                await WriteAsync([new SessionFlush(change.SessionId, after.EndedAtMs ?? nowMs, 0, peak, last)], CancellationToken.None);
            }
        }
        catch (Exception e)
        {
            LogSessionChangeFailed(logger, change.SessionId, e);
        }
    }

    /// <summary>
    /// Writes a live session's watch time and peak so far (no sample), so figures read now include people still
    /// watching. Skipped when the last such write was under a second ago: a dashboard refreshing does not become a
    /// stream of writes.
    /// </summary>
    public async Task FlushWatchTimeAsync(string sessionId, CancellationToken ct)
    {
        var now = clock.GetTimestamp();
        if (lastOnDemandFlush.TryGetValue(sessionId, out var last) && clock.GetElapsedTime(last, now) < TimeSpan.FromSeconds(1))
        {
            return;
        }
        lastOnDemandFlush[sessionId] = now;
        if (!ledger.IsAccruing(sessionId))
        {
            return;
        }
        var nowMs = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await WriteAsync([new SessionFlush(sessionId, nowMs, -1, ledger.PeakOf(sessionId), ledger.Drain(sessionId, nowMs))], ct);
    }

    /// <summary>Writes each live session's count, peak and watch time since the last sample.</summary>
    public async Task SampleLiveSessionsAsync(CancellationToken ct)
    {
        IReadOnlyList<string> live;
        await using (var connection = await database.OpenAsync(ct))
        {
            live = await AudienceStore.ListLiveSessionIdsAsync(connection, ct);
        }
        var nowMs = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var intervalMs = (long)options.Value.SampleInterval.TotalMilliseconds;
        var sampleAtMs = options.Value.SampleOnIntervalGrid && intervalMs > 0 ? nowMs - nowMs % intervalMs : nowMs;
        var flushes = new List<SessionFlush>(live.Count);
        foreach (var sessionId in live)
        {
            // After a restart the store knows a session is live before any event says so.
            ledger.StartAccruing(sessionId, nowMs, counts.CurrentViewers(sessionId));
            flushes.Add(new SessionFlush(sessionId, sampleAtMs, counts.CurrentViewers(sessionId), ledger.PeakOf(sessionId), ledger.Drain(sessionId, nowMs)));
        }
        foreach (var stale in ledger.AccruingSessions().Except(live, StringComparer.Ordinal))
        {
            flushes.Add(new SessionFlush(stale, nowMs, 0, ledger.PeakOf(stale), ledger.StopAccruing(stale, nowMs)));
        }
        foreach (var sessionId in directory.CachedIds.ToList())
        {
            if (!streams.HasStreams(sessionId) && directory.TryGet(sessionId)?.Status.IsFinal() == true)
            {
                directory.Forget(sessionId);
                publisher.Forget(sessionId);
            }
        }
        await WriteAsync(flushes, ct);
    }

    private async Task WriteAsync(IReadOnlyList<SessionFlush> flushes, CancellationToken ct)
    {
        if (flushes.Count == 0)
        {
            return;
        }
        await writing.WaitAsync(ct);
        try
        {
            await using var connection = await database.OpenAsync(ct);
            await using var tx = await connection.BeginTransactionAsync(ct);
            // In session order: nodes flushing the same sessions lock their rows in the same order (no deadlock).
            foreach (var flush in flushes.OrderBy(f => f.SessionId, StringComparer.Ordinal))
            {
                if (flush.Viewers >= 0)
                {
                    await AudienceStore.AddSampleAsync(connection, tx, flush.SessionId, flush.AtMs, flush.Viewers, flush.KeepExistingSample, ct);
                }
                if (flush.Peak is { } peak)
                {
                    await AudienceStore.RaisePeakAsync(connection, tx, flush.SessionId, peak, ct);
                }
                await AudienceStore.AddWatchTimeAsync(connection, tx, flush.SessionId, flush.Watched, ct);
            }
            await tx.CommitAsync(ct);
        }
        finally
        {
            writing.Release();
        }
    }

    /// <summary>
    /// What one write stores for a session; <paramref name="Viewers"/> below zero writes no sample, and
    /// <paramref name="KeepExistingSample"/> leaves a sample already written at that instant as it is.
    /// </summary>
    private sealed record SessionFlush(string SessionId, long AtMs, int Viewers, Peak? Peak, IReadOnlyList<WatchTime> Watched, bool KeepExistingSample = false);

    [LoggerMessage(Level = LogLevel.Error, Message = "Writing live audience samples failed; the next sample retries")]
    private static partial void LogSampleFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Handling the change of session {SessionId} for presence failed")]
    private static partial void LogSessionChangeFailed(ILogger logger, string sessionId, Exception exception);
}
