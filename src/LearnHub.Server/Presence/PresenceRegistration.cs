using LearnHub.Api.Live;
using LearnHub.Core.Presence;
using Microsoft.AspNetCore.Http.Connections;

namespace LearnHub.Server.Presence;

public static class PresenceRegistration
{
    public static IServiceCollection AddLivePresence(this IServiceCollection services)
    {
        services.AddOptions<PresenceOptions>().BindConfiguration(PresenceOptions.Section);
        services.AddSingleton<ILiveViewerCounts, InProcessViewerCounts>();
        services.AddSingleton<AudienceLedger>();
        services.AddSingleton<LiveSessionDirectory>();
        services.AddSingleton<WatchStreams>();
        services.AddSingleton<WatchStreamQuota>();
        services.AddSingleton<LivePublisher>();
        services.AddSingleton<AudienceRecorder>();
        services.AddHostedService(sp => sp.GetRequiredService<AudienceRecorder>());
        services.AddSignalR(o =>
        {
            o.EnableDetailedErrors = false;
            o.MaximumReceiveMessageSize = 16 * 1024;
        });
        return services;
    }

    public static IEndpointRouteBuilder MapLivePresence(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGrpcService<PresenceGrpcService>();
        endpoints.MapHub<LiveDashboardHub>(LiveHub.Path, o =>
        {
            o.AllowStatefulReconnects = true;
            // A revoked role or an expired token ends the connection; clients reconnect with a fresh token.
            o.CloseOnAuthenticationExpiration = true;
            o.Transports = HttpTransportType.WebSockets | HttpTransportType.ServerSentEvents | HttpTransportType.LongPolling;
        });
        return endpoints;
    }
}
