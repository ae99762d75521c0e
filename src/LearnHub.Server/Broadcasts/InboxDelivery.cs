using System.Collections.Concurrent;
using System.Data.Common;
using System.Threading.Channels;
using Dapper;
using LearnHub.Api.V1;
using LearnHub.Server.Data;
using LearnHub.Server.Presence;

namespace LearnHub.Server.Broadcasts;

/// <summary>
/// Delivery (群发须知 2): a follower receives when they sign in (<see cref="CheckInAsync"/>) or while online (holding the
/// inbox stream). Approval only raises an event: this class then checks in exactly the online users who follow that
/// creator, off the approving request, so approval costs the same for 10 followers or 10 million.
/// </summary>
public sealed partial class InboxDelivery : IDisposable
{
    private readonly Database database;
    private readonly TimeProvider clock;
    private readonly ILogger<InboxDelivery> logger;
    private readonly IDisposable subscription;
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<InboxStream, byte>> online = new(StringComparer.Ordinal);
    private readonly WatchStreamQuota streamQuota = new();

    private readonly Telemetry.LearnHubMetrics metrics;

    public InboxDelivery(Database database, BroadcastEvents events, TimeProvider clock, Telemetry.LearnHubMetrics metrics, ILogger<InboxDelivery> logger)
    {
        this.metrics = metrics;
        this.database = database;
        this.clock = clock;
        this.logger = logger;
        subscription = events.OnApproved(creatorId => _ = Task.Run(() => DeliverToOnlineFollowersAsync(creatorId)));
    }

    /// <summary>Receives what is due for <paramref name="userId"/> now; returns the new broadcast ids and the summary.</summary>
    public async Task<(IReadOnlyList<string> Received, InboxSummary Summary)> CheckInAsync(string userId, CancellationToken ct)
    {
        var nowMs = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await using var connection = await database.OpenAsync(ct);
        IReadOnlyList<string> received = [];
        if (await InboxStore.HasDeliveryDueAsync(connection, userId, nowMs, ct))
        {
            await using var tx = await connection.BeginTransactionAsync(ct);
            received = await InboxStore.DeliverAsync(connection, tx, userId, nowMs, ct);
            await tx.CommitAsync(ct);
            metrics.BroadcastsDelivered(received.Count);
        }
        // Counted after the commit: on SQLite the write transaction holds the one writer lock, and the count (which grows
        // with the inbox) need not hold it too. It sees this delivery and anything committed since, as a later call would.
        var (unread, total) = await InboxStore.SummaryAsync(connection, userId, ct);
        var summary = new InboxSummary { NewlyReceived = received.Count, Unread = unread, Total = total };
        if (received.Count > 0)
        {
            await PushAsync(connection, userId, received, summary, ct);
        }
        return (received, summary);
    }

    /// <summary>How many inbox streams one user may hold on a node (apps, console tabs); one more is refused.</summary>
    public const int MaxStreamsPerUser = 10;

    /// <summary>
    /// Holds a user online until disposed; updates for them arrive on <see cref="InboxStream.Events"/>. Null when the
    /// user already holds <see cref="MaxStreamsPerUser"/> streams here.
    /// </summary>
    public InboxStream? TryConnect(string userId)
    {
        if (!streamQuota.TryAcquire(userId, MaxStreamsPerUser))
        {
            return null;
        }
        var stream = new InboxStream(this, userId);
        online.GetOrAdd(userId, _ => new ConcurrentDictionary<InboxStream, byte>()).TryAdd(stream, 0);
        return stream;
    }

    private void Disconnect(InboxStream stream)
    {
        streamQuota.Release(stream.UserId);
        if (online.TryGetValue(stream.UserId, out var streams))
        {
            streams.TryRemove(stream, out _);
            if (streams.IsEmpty)
            {
                online.TryRemove(new KeyValuePair<string, ConcurrentDictionary<InboxStream, byte>>(stream.UserId, streams));
            }
        }
    }

    private async Task DeliverToOnlineFollowersAsync(string creatorId)
    {
        try
        {
            foreach (var chunk in online.Keys.Chunk(500))
            {
                IReadOnlyList<string> followers;
                await using (var connection = await database.OpenAsync(CancellationToken.None))
                {
                    followers = (await connection.QueryAsync<string>(new CommandDefinition(
                        $"SELECT follower_id FROM follows WHERE creator_id = @creatorId AND {SqlDialect.In(connection, "follower_id", "@chunk")}",
                        new { creatorId, chunk }))).AsList();
                }
                foreach (var follower in followers)
                {
                    await CheckInAsync(follower, CancellationToken.None);
                }
            }
        }
        catch (Exception e)
        {
            LogOnlineDeliveryFailed(logger, creatorId, e);
        }
    }

    /// <summary>Pushes newly received messages to the user's open streams, except from muted creators.</summary>
    private async Task PushAsync(DbConnection connection, string userId, IReadOnlyList<string> received, InboxSummary summary, CancellationToken ct)
    {
        if (!online.TryGetValue(userId, out var streams) || streams.IsEmpty)
        {
            return;
        }
        var rows = await InboxStore.ListAsync(connection, userId, false, null, null, received.Count, ct, received);
        var broadcasts = await BroadcastStore.FindManyAsync(connection, received, ct);
        var now = clock.GetUtcNow();
        foreach (var row in rows.Where(r => !r.Muted))
        {
            var message = InboxGrpcService.ToProto(row, broadcasts[row.BroadcastId].ToProto(now));
            foreach (var stream in streams.Keys)
            {
                stream.Offer(new InboxEvent { Message = message, Summary = summary });
            }
        }
    }

    public void Dispose() => subscription.Dispose();

    [LoggerMessage(Level = LogLevel.Error, Message = "Delivering broadcasts of {CreatorId} to online followers failed; they receive them at their next check-in")]
    private static partial void LogOnlineDeliveryFailed(ILogger logger, string creatorId, Exception exception);

    /// <summary>
    /// One open WatchInbox call. Its queue is bounded: a client that stops reading loses pushes, never messages (they
    /// are in the inbox either way).
    /// </summary>
    public sealed class InboxStream(InboxDelivery owner, string userId) : IDisposable
    {
        private readonly Channel<InboxEvent> events = Channel.CreateBounded<InboxEvent>(
            new BoundedChannelOptions(64) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

        public string UserId { get; } = userId;

        public ChannelReader<InboxEvent> Events => events.Reader;

        public void Offer(InboxEvent update) => events.Writer.TryWrite(update);

        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0)
            {
                owner.Disconnect(this);
            }
        }
    }
}
