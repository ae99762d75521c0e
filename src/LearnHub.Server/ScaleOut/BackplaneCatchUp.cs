using LearnHub.Server.Data;
using LearnHub.Server.Presence;
using LearnHub.Server.Sessions;
using StackExchange.Redis;

namespace LearnHub.Server.ScaleOut;

/// <summary>
/// Catches a node's dashboards and watch streams up after its SignalR backplane was away from Redis. Pub/sub keeps
/// nothing, so hub messages and session events sent meanwhile were lost: a count that changed, and a session that went
/// live or ended on another node (or on this one, while its own messages could not go out). When the backplane's
/// subscription is back, every count this node follows is read from Redis and sent again, and every session changed
/// since shortly before the loss was noticed is read from the store and its status sent to this node's streams and to
/// the dashboards. Dashboards take a status as it stands and drop counts they already have, so one that missed nothing
/// sees no change.
/// </summary>
public sealed partial class BackplaneCatchUp(
    Database database,
    LiveSessionDirectory directory,
    LivePublisher publisher,
    RedisViewerCounts counts,
    TimeProvider clock,
    ILogger<BackplaneCatchUp> logger)
{
    /// <summary>How far before the loss was noticed a message may have gone unheard (the client notices within seconds).</summary>
    public static readonly TimeSpan Margin = TimeSpan.FromSeconds(30);

    /// <summary>How often reading the counts again is tried while the presence connection is still coming back.</summary>
    private const int CountReadAttempts = 10;

    private const int Batch = 1000;
    private readonly Lock gate = new();
    private DateTimeOffset? lostAt;

    /// <summary>The backplane's subscription dropped; the earliest drop since it was last back counts.</summary>
    public void Lost()
    {
        lock (gate)
        {
            lostAt ??= clock.GetUtcNow();
        }
    }

    /// <summary>The backplane's subscription is back (the client is subscribing again): catch up in the background.</summary>
    public void Restored(ISubscriber backplane)
    {
        DateTimeOffset since;
        lock (gate)
        {
            since = (lostAt ?? clock.GetUtcNow()) - Margin;
            lostAt = null;
        }
        _ = Task.Run(async () =>
        {
            try
            {
                await CatchUpAsync(backplane, since, CancellationToken.None);
            }
            catch (ObjectDisposedException)
            {
                // The node is stopping: its connections are gone, and so are the dashboards it would catch up.
            }
        });
    }

    private async Task CatchUpAsync(ISubscriber backplane, DateTimeOffset since, CancellationToken ct)
    {
        try
        {
            // The client sends its SUBSCRIBEs before it raises ConnectionRestored but does not wait for them. A PING on
            // the subscription connection is answered after them: from then on every hub message reaches this node.
            await backplane.PingAsync();
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            LogSubscriptionUnconfirmed(e);
        }
        // A count that changed meanwhile was pushed by the node that changed it, and lost here. Redis has it, but this
        // node's cache may not yet: its presence connection comes back on its own, and what it reads then is not
        // pushed from here. So the counts are read now, and every one is pushed.
        await RefreshCountsAsync(ct);
        publisher.RepushAll();
        await ResendStatusesAsync(since, ct);
    }

    private async Task RefreshCountsAsync(CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await counts.RefreshAsync(ct);
                return;
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                if (attempt == CountReadAttempts)
                {
                    LogCountsUnread(e);
                    return;
                }
            }
            // Real time on purpose, as the presence heartbeat: the connection comes back on the network's clock.
            await Task.Delay(TimeSpan.FromSeconds(1), TimeProvider.System, ct);
        }
    }

    /// <summary>Sends the status of every session changed since <paramref name="since"/>; returns how many.</summary>
    public async Task<int> ResendStatusesAsync(DateTimeOffset since, CancellationToken ct)
    {
        try
        {
            IReadOnlyList<SessionRow> changed;
            await using (var connection = await database.OpenAsync(ct))
            {
                changed = await SessionStore.ListChangedSinceAsync(connection, since.ToUnixTimeMilliseconds(), Batch, ct);
            }
            foreach (var row in changed)
            {
                var (before, after) = directory.Update(row);
                // Not knowing what a board last heard, a session that was ever live goes to the live boards too.
                publisher.StatusChanged(before, after, toLiveBoards: after.LiveAtMs is not null);
            }
            if (changed.Count > 0)
            {
                LogResent(changed.Count, since);
            }
            return changed.Count;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogCatchUpFailed(e);
            return 0;
        }
    }

    [LoggerMessage(EventId = 4301, Level = LogLevel.Information, Message = "Backplane back: sent the status of {Count} sessions changed since {Since:O} again")]
    private partial void LogResent(int count, DateTimeOffset since);

    [LoggerMessage(EventId = 4303, Level = LogLevel.Warning, Message = "Backplane back, but its subscription did not answer a ping; hub messages may still be missed until it does")]
    private partial void LogSubscriptionUnconfirmed(Exception exception);

    [LoggerMessage(EventId = 4304, Level = LogLevel.Warning, Message = "Backplane back, but the counts could not be read from Redis again; dashboards here show each count at its next change")]
    private partial void LogCountsUnread(Exception exception);

    [LoggerMessage(EventId = 4302, Level = LogLevel.Warning, Message = "Backplane back, but reading the sessions changed meanwhile failed; dashboards catch up at each session's next change")]
    private partial void LogCatchUpFailed(Exception exception);
}
