using LearnHub.Server.Presence;
using LearnHub.Server.Sessions;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.StackExchangeRedis;
using Microsoft.AspNetCore.SignalR.StackExchangeRedis;
using Microsoft.Extensions.DependencyInjection.Extensions;
using StackExchange.Redis;

namespace LearnHub.Server.ScaleOut;

public static class ScaleOutRegistration
{
    /// <summary>
    /// With <c>Redis:Configuration</c> set: the SignalR Redis backplane, presence counts in Redis and session and approval
    /// events over Redis pub/sub. Without it nothing changes: one node, everything in process. Call after the features
    /// whose in-process parts it replaces.
    /// </summary>
    public static WebApplicationBuilder AddRedisScaleOut(this WebApplicationBuilder builder)
    {
        if (!RedisSettings.IsConfigured(builder.Configuration))
        {
            return builder;
        }
        var services = builder.Services;
        var settings = builder.Configuration.GetSection(RedisSettings.Section).Get<RedisSettings>() ?? new RedisSettings();
        var keys = new RedisKeys(settings.ChannelPrefix);
        var node = NodeIdentity.From(builder.Configuration);
        services.AddOptions<RedisSettings>().BindConfiguration(RedisSettings.Section);
        services.AddSingleton(keys);
        services.AddSingleton(node);
        services.AddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(ConnectionOptions(settings.Configuration!, node)));

        services.AddSingleton<RedisViewerCounts>();
        services.Replace(ServiceDescriptor.Singleton<ILiveViewerCounts>(sp => sp.GetRequiredService<RedisViewerCounts>()));
        services.AddHostedService(sp => sp.GetRequiredService<RedisViewerCounts>());
        services.AddSingleton<RedisSessionEvents>();
        services.Replace(ServiceDescriptor.Singleton<ISessionEvents>(sp => sp.GetRequiredService<RedisSessionEvents>()));
        services.AddHostedService(sp => sp.GetRequiredService<RedisSessionEvents>());
        services.AddHostedService<RedisBroadcastRelay>();
        services.AddHostedService<RedisAccessChangeRelay>();
        // Every node samples every live session: on a shared grid the nodes write the same rows, not twice as many.
        services.PostConfigure<PresenceOptions>(o => o.SampleOnIntervalGrid = true);

        // The admin console's sign-in cookie and antiforgery tokens, and the stream keys at rest, are protected with Data
        // Protection keys (Hosting/DataProtectionKeyRing.cs): every node must read the keys the others made, or a request
        // that lands on another node is signed out and a stream key cannot be shown.
        services.AddOptions<KeyManagementOptions>().Configure<IServiceProvider>((o, sp) =>
            o.XmlRepository = new RedisXmlRepository(() => sp.GetRequiredService<IConnectionMultiplexer>().GetDatabase(), keys.DataProtectionKeys));

        // The backplane keeps its own connection: SignalR disposes and unsubscribes the one it is given when it stops.
        services.AddSignalR().AddStackExchangeRedis(o =>
        {
            o.Configuration = ConnectionOptions(settings.Configuration!, node);
            o.Configuration.ChannelPrefix = RedisChannel.Literal(keys.SignalRPrefix);
        });
        // When the backplane's subscription is back after an outage, hub messages sent while it was away were lost:
        // counts and statuses are sent again once its re-subscriptions are answered.
        services.AddSingleton<BackplaneCatchUp>();
        services.AddOptions<RedisOptions>().Configure<IServiceProvider>((o, sp) =>
        {
            var configuration = o.Configuration;
            o.ConnectionFactory = async log =>
            {
                var backplane = await ConnectionMultiplexer.ConnectAsync(configuration, log);
                backplane.ConnectionFailed += (_, e) =>
                {
                    if (e.ConnectionType == ConnectionType.Subscription)
                    {
                        sp.GetRequiredService<BackplaneCatchUp>().Lost();
                    }
                };
                backplane.ConnectionRestored += (_, e) =>
                {
                    if (e.ConnectionType == ConnectionType.Subscription)
                    {
                        sp.GetRequiredService<BackplaneCatchUp>().Restored(backplane.GetSubscriber());
                    }
                };
                return backplane;
            };
        });
        return builder;
    }

    private static ConfigurationOptions ConnectionOptions(string configuration, NodeIdentity node)
    {
        var options = ConfigurationOptions.Parse(configuration);
        // Start and keep retrying while Redis is away; presence re-registers when the connection comes back.
        options.AbortOnConnectFail = false;
        options.ClientName ??= node.Id;
        return options;
    }
}
