using LearnHub.Server.Broadcasts;
using StackExchange.Redis;

namespace LearnHub.Server.ScaleOut;

/// <summary>
/// Carries broadcast approvals between nodes, so followers holding an inbox stream on any node get the push. Missing
/// one (pub/sub is at most once) loses only the push: the message is delivered at the follower's next check-in.
/// </summary>
public sealed partial class RedisBroadcastRelay(
    IConnectionMultiplexer redis, RedisKeys keys, NodeIdentity node, BroadcastEvents events, ILogger<RedisBroadcastRelay> logger) : IHostedService
{
    private ChannelMessageQueue? subscription;
    private IDisposable? forwarding;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        subscription = await redis.GetSubscriber().SubscribeAsync(keys.ApprovalsChannel);
        subscription.OnMessage(message =>
        {
            var parts = message.Message.ToString().Split(' ', 2);
            if (parts.Length == 2 && parts[0] != node.Id)
            {
                events.ApprovedElsewhere(parts[1]);
            }
        });
        forwarding = events.OnApprovedHere(creatorId => _ = ForwardAsync(creatorId));
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        forwarding?.Dispose();
        await RedisKeys.UnsubscribeQuietlyAsync(subscription);
    }

    private async Task ForwardAsync(string creatorId)
    {
        try
        {
            await redis.GetSubscriber().PublishAsync(keys.ApprovalsChannel, $"{node.Id} {creatorId}");
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            LogForwardFailed(logger, creatorId, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Telling other nodes about an approval by {CreatorId} failed; their online followers receive it at their next check-in")]
    private static partial void LogForwardFailed(ILogger logger, string creatorId, Exception exception);
}
