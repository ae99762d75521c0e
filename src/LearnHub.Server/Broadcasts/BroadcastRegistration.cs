using LearnHub.Server.Data;

namespace LearnHub.Server.Broadcasts;

public static class BroadcastRegistration
{
    public const string CreatorLocks = "broadcast-creators";

    public static IServiceCollection AddBroadcasts(this IServiceCollection services)
    {
        services.AddKeyedSingleton(CreatorLocks, (_, _) => new StripedLocks());
        services.AddSingleton<BroadcastEvents>();
        services.AddSingleton<InboxDelivery>();
        services.AddTransient<BroadcastExpiryJob>();
        // After Quartz's hosted service (registered by the scheduling feature), so the scheduler is running.
        services.AddHostedService<BroadcastExpirySchedule>();
        // Image messages are up to 2 MiB; every other service keeps the small request limit.
        services.AddGrpc().AddServiceOptions<BroadcastGrpcService>(o => o.MaxReceiveMessageSize = BroadcastImages.MaxBytes + 64 * 1024);
        return services;
    }

    public static IEndpointRouteBuilder MapBroadcasts(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGrpcService<FollowGrpcService>();
        endpoints.MapGrpcService<BroadcastGrpcService>();
        endpoints.MapGrpcService<InboxGrpcService>();
        return endpoints;
    }
}
