using LearnHub.Api.Live;
using LearnHub.Core.Presence;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;

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
        services.AddSingleton<LiveHubInvocationFilter>();
        services.AddSignalR(o =>
        {
            o.EnableDetailedErrors = false;
            o.MaximumReceiveMessageSize = 16 * 1024;
        })
            // This hub only: the console's Blazor circuits are SignalR hubs too, and their traffic is not a dashboard's.
            .AddHubOptions<LiveDashboardHub>(o => o.AddFilter<LiveHubInvocationFilter>());
        // The dispatcher would log each refusal (a HubException) as an error; the filter logs invocations instead.
        services.AddLogging(logging => logging.AddFilter(LiveHubInvocationFilter.DispatcherLogCategory, LogLevel.Critical));
        return services;
    }

    /// <summary>
    /// Kestrel drops an HTTP/2 connection whose request bodies arrive slower than 240 B/s after 5 s; a watch call's
    /// body is a few bytes read once, so on a CPU-starved node a reconnect storm of thousands of streams tripped it and
    /// reset whole connections (bench/watch.sh). The check is off for that one method; every other call keeps it, and
    /// watch streams stay bounded by the per-user cap and keepalive pings.
    /// </summary>
    public static IApplicationBuilder UseWatchStreamBodyRate(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            if (context.Request.Path.Equals(WatchSessionPath, StringComparison.Ordinal)
                && context.Features.Get<Microsoft.AspNetCore.Server.Kestrel.Core.Features.IHttpMinRequestBodyDataRateFeature>() is { } rate)
            {
                rate.MinDataRate = null;
            }
            return next(context);
        });

    private const string WatchSessionPath = "/learnhub.v1.PresenceService/WatchSession";

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
