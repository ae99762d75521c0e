using System.Globalization;
using LearnHub.Server.Sessions;
using StackExchange.Redis;
using CoreStatus = LearnHub.Core.Sessions.SessionStatus;

namespace LearnHub.Server.ScaleOut;

/// <summary>
/// Session changes for every node: a change is told to this node's listeners at once and published on Redis; the
/// other nodes tell theirs (marked <see cref="SessionChanged.FromOtherNode"/>). Each listener sees each change once.
/// Pub/sub is at most once: a node disconnected from Redis misses changes, and its watch streams catch up at the next
/// change of that session (rows carry versions, so a late refresh never goes backwards), and its read caches at their
/// periodic refresh (<see cref="SessionReadOptions.MissedEventBound"/>).
/// Reservations travel on the same channel as "origin R sessionId userId" (a node that predates them ignores them).
/// </summary>
public sealed partial class RedisSessionEvents(IConnectionMultiplexer redis, RedisKeys keys, NodeIdentity node, ILogger<RedisSessionEvents> logger)
    : ISessionEvents, IHostedService
{
    private const string ReservationMark = "R";

    private readonly InProcessSessionEvents local = new();
    private ChannelMessageQueue? subscription;

    public void Publish(SessionChanged change)
    {
        local.Publish(change);
        var message = $"{node.Id} {(int)change.Status} {change.SessionId}";
        _ = RelayAsync(redis.GetSubscriber().PublishAsync(keys.SessionsChannel, message), change.SessionId);
    }

    public IDisposable Subscribe(Action<SessionChanged> listener) => local.Subscribe(listener);

    public void PublishReservation(ReservationChanged change)
    {
        local.PublishReservation(change);
        var message = $"{node.Id} {ReservationMark} {change.SessionId} {change.UserId}";
        _ = RelayAsync(redis.GetSubscriber().PublishAsync(keys.SessionsChannel, message), change.SessionId);
    }

    public IDisposable SubscribeReservations(Action<ReservationChanged> listener) => local.SubscribeReservations(listener);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        subscription = await redis.GetSubscriber().SubscribeAsync(keys.SessionsChannel);
        subscription.OnMessage(message =>
        {
            var parts = message.Message.ToString().Split(' ', 4);
            if (parts.Length == 4 && parts[0] != node.Id && parts[1] == ReservationMark)
            {
                local.PublishReservation(new ReservationChanged(parts[2], parts[3]) { FromOtherNode = true });
            }
            else if (parts.Length == 3 && parts[0] != node.Id
                && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var status))
            {
                local.Publish(new SessionChanged(parts[2], (CoreStatus)status) { FromOtherNode = true });
            }
        });
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await RedisKeys.UnsubscribeQuietlyAsync(subscription);
    }

    private async Task RelayAsync(Task<long> publishing, string sessionId)
    {
        try
        {
            await publishing;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            LogRelayFailed(logger, sessionId, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Telling other nodes about the change of session {SessionId} failed; their viewers see it at the session's next change")]
    private static partial void LogRelayFailed(ILogger logger, string sessionId, Exception exception);
}
