using LearnHub.Server.Identity;
using StackExchange.Redis;

namespace LearnHub.Server.ScaleOut;

/// <summary>
/// Tells the other nodes at once that an access change (roles, deactivation) was made here, so each reads the store's
/// access-change log without waiting for its next poll. A lost message only delays that to the poll
/// (<see cref="IdentityOptions.AccessChangePollInterval"/>): the log, not the message, says whom to invalidate.
/// </summary>
public sealed partial class RedisAccessChangeRelay(
    IConnectionMultiplexer redis, RedisKeys keys, NodeIdentity node, UserAccessChangeFeed feed, ILogger<RedisAccessChangeRelay> logger) : IHostedService
{
    private ChannelMessageQueue? subscription;
    private IDisposable? forwarding;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        subscription = await redis.GetSubscriber().SubscribeAsync(keys.AccessChangesChannel);
        subscription.OnMessage(async message =>
        {
            if (message.Message.ToString() != node.Id)
            {
                await CatchUpAsync();
            }
        });
        forwarding = feed.OnChangedHere(() => _ = ForwardAsync());
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        forwarding?.Dispose();
        await RedisKeys.UnsubscribeQuietlyAsync(subscription);
    }

    private async Task CatchUpAsync()
    {
        try
        {
            await feed.CatchUpAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException or TimeoutException)
        {
            LogCatchUpFailed(logger, e);
        }
    }

    private async Task ForwardAsync()
    {
        try
        {
            await redis.GetSubscriber().PublishAsync(keys.AccessChangesChannel, node.Id);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            LogForwardFailed(logger, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Telling other nodes about an access change failed; they see it at their next poll of the access-change log")]
    private static partial void LogForwardFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading the access-change log after another node's change failed; the next poll reads it")]
    private static partial void LogCatchUpFailed(ILogger logger, Exception exception);
}
