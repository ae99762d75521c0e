using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.Channels;
using LearnHub.Core.Sessions;
using LearnHub.Server.Data;
using LearnHub.Server.Presence;
using Microsoft.Extensions.Options;
using Proto = LearnHub.Api.V1;

namespace LearnHub.Server.Sessions;

/// <summary>
/// 直播推荐 from memory. The panel's sessions (every Live one, the first <see cref="SessionReadOptions.PanelUpcomingLimit"/>
/// Scheduled ones) are read from the store into an immutable <see cref="RecommendationPanel"/>, rebuilt off the request
/// path after every session change and reservation (on every node: local and relayed events), and at least every
/// <see cref="SessionReadOptions.MissedEventBound"/> (a relayed event may be lost). Rebuilds are coalesced: any number of
/// changes during one rebuild cause one more. Live viewer counts change far more often and are in memory already: a
/// count change only marks the live order stale, and the next call re-sorts the live sessions (no store read).
/// Time alone changes nothing: the panel lists Scheduled sessions whatever their start, until the scheduler moves them.
/// A failed rebuild leaves the last panel served and is tried again.
/// </summary>
public sealed partial class RecommendationsSnapshot : BackgroundService
{
    private readonly Database database;
    private readonly ILiveViewerCounts viewers;
    private readonly SessionReadOptions options;
    private readonly TimeProvider clock;
    private readonly ILogger<RecommendationsSnapshot> logger;
    private readonly Channel<bool> wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly SemaphoreSlim building = new(1, 1);
    private readonly Lock gate = new();
    private readonly IDisposable[] subscriptions;
    private ITimer? refresh;
    private volatile RecommendationPanel? panel;
    private TaskCompletionSource nextBuild = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long countsVersion;

    public RecommendationsSnapshot(
        Database database, ISessionEvents events, ILiveViewerCounts viewers, IOptions<SessionReadOptions> options, TimeProvider clock,
        ILogger<RecommendationsSnapshot> logger)
    {
        this.database = database;
        this.viewers = viewers;
        this.options = options.Value;
        this.clock = clock;
        this.logger = logger;
        subscriptions =
        [
            events.Subscribe(_ => Stale()),
            events.SubscribeReservations(_ => Stale()),
            viewers.OnChanged(_ => Interlocked.Increment(ref countsVersion)),
        ];
    }

    /// <summary>The current panel; the first call builds it (a store failure then surfaces to the caller).</summary>
    public ValueTask<RecommendationPanel> GetAsync(CancellationToken ct) =>
        panel is { } current ? ValueTask.FromResult(current) : new ValueTask<RecommendationPanel>(FirstBuildAsync(ct));

    /// <summary>
    /// Completes when a rebuild that started after this call has finished (or failed): a change made through this node,
    /// awaited before its call returns, is on this node's panel when the caller next looks.
    /// </summary>
    public Task RebuiltAsync(CancellationToken ct)
    {
        Task rebuilt;
        lock (gate)
        {
            rebuilt = nextBuild.Task;
        }
        // Taken before waking the loop: the build this wakes starts after the take, so it completes this task.
        Stale();
        return rebuilt.WaitAsync(ct);
    }

    /// <summary>The live sessions, most viewers first (then by start, then id), as the panel badges them.</summary>
    public Proto.Recommendation[] LiveOf(RecommendationPanel current)
    {
        var version = Interlocked.Read(ref countsVersion);
        if (current.LiveOrder is { } order && order.CountsVersion == version)
        {
            return order.Items;
        }
        var counted = new (SessionRowEntry Entry, int Viewers)[current.Live.Length];
        for (var i = 0; i < counted.Length; i++)
        {
            counted[i] = (current.Live[i], viewers.CurrentViewers(current.Live[i].Row.Id));
        }
        Array.Sort(counted, static (x, y) =>
        {
            var byViewers = y.Viewers.CompareTo(x.Viewers);
            if (byViewers != 0)
            {
                return byViewers;
            }
            var byStart = x.Entry.Row.PlannedStartMs.CompareTo(y.Entry.Row.PlannedStartMs);
            return byStart != 0 ? byStart : string.CompareOrdinal(x.Entry.Row.Id, y.Entry.Row.Id);
        });
        var items = new Proto.Recommendation[counted.Length];
        for (var i = 0; i < items.Length; i++)
        {
            var (entry, count) = counted[i];
            items[i] = new Proto.Recommendation
            {
                Session = entry.Message,
                ViewerCount = count,
                Badge = string.Create(CultureInfo.InvariantCulture, $"直播中 {count}"),
            };
        }
        current.LiveOrder = new LiveOrder(version, items);
        return items;
    }

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        refresh = clock.CreateTimer(_ => Stale(), null, options.MissedEventBound, options.MissedEventBound);
        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        if (refresh is not null)
        {
            await refresh.DisposeAsync();
        }
        await base.StopAsync(cancellationToken);
    }

    public override void Dispose()
    {
        foreach (var subscription in subscriptions)
        {
            subscription.Dispose();
        }
        refresh?.Dispose();
        building.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await wake.Reader.WaitToReadAsync(stoppingToken))
            {
                wake.Reader.TryRead(out _);
                await RebuildAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <summary>Held by every build; a test holds it to keep rebuilds from running.</summary>
    internal SemaphoreSlim BuildGate => building;

    private void Stale() => wake.Writer.TryWrite(true);

    private async Task<RecommendationPanel> FirstBuildAsync(CancellationToken ct)
    {
        await building.WaitAsync(ct);
        try
        {
            return panel ?? await BuildLockedAsync(ct);
        }
        finally
        {
            building.Release();
        }
    }

    private async Task RebuildAsync(CancellationToken stoppingToken)
    {
        await building.WaitAsync(stoppingToken);
        try
        {
            await BuildLockedAsync(stoppingToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            LogRebuildFailed(e);
            _ = RetryLaterAsync(stoppingToken);
        }
        finally
        {
            building.Release();
        }
    }

    /// <summary>Reads the panel's sessions; the caller holds <see cref="building"/>. Waiters of this build are released however it ends.</summary>
    private async Task<RecommendationPanel> BuildLockedAsync(CancellationToken ct)
    {
        TaskCompletionSource thisBuild;
        lock (gate)
        {
            // Whoever waits from now on waits for the next build: this one may read the store before their change.
            thisBuild = nextBuild;
            nextBuild = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        try
        {
            IReadOnlyList<SessionRow> rows;
            await using (var connection = await database.OpenAsync(ct))
            {
                rows = await SessionStore.ListPanelAsync(connection, options.PanelUpcomingLimit + 1, ct);
            }
            var live = new List<SessionRowEntry>();
            var upcoming = new List<SessionRowEntry>();
            foreach (var row in rows)
            {
                (row.Status == SessionStatus.Live ? live : upcoming).Add(new SessionRowEntry(row));
            }
            var complete = upcoming.Count <= options.PanelUpcomingLimit;
            if (!complete)
            {
                upcoming.RemoveAt(upcoming.Count - 1);
            }
            var built = new RecommendationPanel([.. live], [.. upcoming], complete);
            panel = built;
            return built;
        }
        finally
        {
            thisBuild.TrySetResult();
        }
    }

    private async Task RetryLaterAsync(CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(options.RebuildRetryDelay, clock, stoppingToken);
            Stale();
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    [LoggerMessage(EventId = 3401, Level = LogLevel.Warning, Message = "Rebuilding 直播推荐 failed; the last panel is served and the rebuild is tried again")]
    private partial void LogRebuildFailed(Exception exception);
}

/// <summary>A panel session: the row and its message without the description (the panel never shows it), shared by every call.</summary>
public sealed class SessionRowEntry
{
    public SessionRowEntry(SessionRow row)
    {
        Row = row;
        Message = row.ToProto();
        Message.Description = "";
    }

    public SessionRow Row { get; }

    public Proto.Session Message { get; }
}

/// <summary>The live sessions sorted by the viewer counts of one moment (<see cref="CountsVersion"/>).</summary>
public sealed record LiveOrder(long CountsVersion, Proto.Recommendation[] Items);

/// <summary>
/// One build of the panel: its Live sessions (unordered by viewers) and its Scheduled sessions soonest first, with the
/// upcoming items formatted per time zone as calls ask for them.
/// </summary>
public sealed class RecommendationPanel(SessionRowEntry[] live, SessionRowEntry[] upcoming, bool upcomingComplete)
{
    private readonly ConcurrentDictionary<string, Proto.Recommendation?[]> upcomingByZone = new(StringComparer.Ordinal);

    public SessionRowEntry[] Live { get; } = live;

    public SessionRowEntry[] Upcoming { get; } = upcoming;

    /// <summary>False when the store has more Scheduled sessions than the panel keeps (pages beyond read the store).</summary>
    public bool UpcomingComplete { get; } = upcomingComplete;

    internal LiveOrder? LiveOrder { get; set; }

    /// <summary>The upcoming session at <paramref name="index"/> badged in <paramref name="zone"/>: formatted once per zone and build.</summary>
    public Proto.Recommendation UpcomingIn(TimeZoneInfo zone, int index)
    {
        var items = upcomingByZone.GetOrAdd(zone.Id, static (_, count) => new Proto.Recommendation?[count], Upcoming.Length);
        // Two calls may format the same item at once; either result is right.
        return Volatile.Read(ref items[index]) ?? (items[index] = Format(Upcoming[index], zone));
    }

    internal static Proto.Recommendation Format(SessionRowEntry entry, TimeZoneInfo zone)
    {
        var local = TimeZoneInfo.ConvertTime(entry.Row.PlannedStart, zone).ToString("MM-dd HH:mm", CultureInfo.InvariantCulture);
        return new Proto.Recommendation
        {
            Session = entry.Message,
            DisplayTime = local,
            Badge = string.Create(CultureInfo.InvariantCulture, $"{local} · {entry.Row.ReservationCount}"),
        };
    }
}
