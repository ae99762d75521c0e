using Grpc.AspNetCore.Server;
using LearnHub.Server.Presence;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace LearnHub.Server.Faults;

public static class FaultsRegistration
{
    /// <summary>
    /// Store faults answer UNAVAILABLE (gRPC) or 503 (HTTP) and drive readiness. Call before AddGrpc: the interceptor
    /// must be the outermost, so it sees what every other interceptor lets through.
    /// </summary>
    public static IServiceCollection AddStoreFaultHandling(this IServiceCollection services)
    {
        services.AddSingleton<StoreHealth>();
        services.AddHostedService<StoreHealthMonitor>();
        services.AddSingleton<StoreFaultInterceptor>();
        services.Configure<GrpcServiceOptions>(o => o.Interceptors.Add<StoreFaultInterceptor>());
        services.AddSingleton<StoreFaultHubFilter>();
        services.AddSignalR().AddHubOptions<LiveDashboardHub>(o => o.AddFilter<StoreFaultHubFilter>());
        // grpc.health.v1's Watch gets its updates from the health publisher: every probe interval instead of every 30 s.
        services.Configure<HealthCheckPublisherOptions>(o => o.Period = StoreHealth.ProbeInterval);
        return services;
    }

    /// <summary>First in the pipeline, so authentication's store reads are covered too.</summary>
    public static IApplicationBuilder UseStoreFaultHandling(this IApplicationBuilder app) => app.UseMiddleware<StoreFaultMiddleware>();
}
