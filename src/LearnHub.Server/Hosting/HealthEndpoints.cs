using System.Text.Json;
using Grpc.AspNetCore.HealthChecks;
using LearnHub.Server.Faults;
using LearnHub.Server.ScaleOut;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Quartz;
using StackExchange.Redis;

namespace LearnHub.Server.Hosting;

/// <summary>
/// Liveness and readiness for load balancers and orchestrators: <c>/healthz/live</c> (the process answers, nothing
/// else is asked) and <c>/healthz/ready</c> (every check tagged <see cref="ReadyTag"/>: the store reads and writes,
/// Redis answers when configured, the scheduler runs, the host is not stopping). grpc.health.v1 reports the same
/// checks, so the two never disagree.
/// </summary>
public static class HealthEndpoints
{
    public const string LivePath = "/healthz/live";

    public const string ReadyPath = "/healthz/ready";

    /// <summary>The tag of every readiness check; liveness runs none.</summary>
    public const string ReadyTag = "ready";

    private static readonly JsonWriterOptions JsonOptions = new() { Indented = false };

    /// <summary>Registers the readiness checks, for HTTP and for grpc.health.v1 (whose overall status "" runs them all).</summary>
    public static IServiceCollection AddLearnHubHealth(this IServiceCollection services, IConfiguration configuration)
    {
        var checks = services.AddGrpcHealthChecks()
            .AddCheck<HostStoppingHealthCheck>("host", tags: [ReadyTag])
            .AddCheck<StoreHealthCheck>("store", tags: [ReadyTag])
            .AddCheck<SchedulerHealthCheck>("scheduler", tags: [ReadyTag]);
        if (RedisSettings.IsConfigured(configuration))
        {
            checks.AddCheck<RedisHealthCheck>("redis", tags: [ReadyTag]);
        }
        services.Configure<GrpcHealthChecksOptions>(o =>
        {
            o.Services.Map("", r => r.Tags.Contains(ReadyTag));
        });
        return services;
    }

    /// <summary>
    /// Answers the two paths first in the pipeline, on every port and anonymously: before shutdown draining (so
    /// readiness says "stopping" in its body instead of a bare 503), the console's headers, cookies and antiforgery,
    /// the store-fault middleware and the rate limiter.
    /// </summary>
    public static IApplicationBuilder UseLearnHubHealth(this IApplicationBuilder app)
    {
        app.UseHealthChecks(LivePath, new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync, AllowCachingResponses = false });
        app.UseHealthChecks(ReadyPath, new HealthCheckOptions
        {
            Predicate = r => r.Tags.Contains(ReadyTag),
            ResponseWriter = WriteAsync,
            AllowCachingResponses = false,
            // Degraded is not used by these checks; were it reported, the node still serves.
            ResultStatusCodes =
            {
                [HealthStatus.Healthy] = StatusCodes.Status200OK,
                [HealthStatus.Degraded] = StatusCodes.Status200OK,
                [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
            },
        });
        return app;
    }

    /// <summary><c>{"status":"Unhealthy","checks":[{"name":"store","status":"Unhealthy","reason":"..."}]}</c>; reasons never carry settings.</summary>
    private static async Task WriteAsync(HttpContext http, HealthReport report)
    {
        http.Response.ContentType = "application/json; charset=utf-8";
        if (http.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested)
        {
            // As shutdown draining does: no connection is kept open across the stop.
            http.Response.Headers.Connection = "close";
        }
        using var buffer = new MemoryStream();
        await using (var json = new Utf8JsonWriter(buffer, JsonOptions))
        {
            json.WriteStartObject();
            json.WriteString("status", report.Status.ToString());
            json.WriteStartArray("checks");
            foreach (var (name, entry) in report.Entries)
            {
                json.WriteStartObject();
                json.WriteString("name", name);
                json.WriteString("status", entry.Status.ToString());
                if (entry.Description is { Length: > 0 } reason)
                {
                    json.WriteString("reason", reason);
                }
                json.WriteNumber("durationMs", Math.Round(entry.Duration.TotalMilliseconds, 1));
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        await http.Response.Body.WriteAsync(buffer.ToArray(), http.RequestAborted);
    }
}

/// <summary>Not ready once the host is stopping: load balancers stop sending before the listeners close.</summary>
public sealed class HostStoppingHealthCheck(IHostApplicationLifetime lifetime) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(lifetime.ApplicationStopping.IsCancellationRequested
            ? HealthCheckResult.Unhealthy("the server is stopping")
            : HealthCheckResult.Healthy("running"));
}

/// <summary>
/// Ready while Quartz runs: started, not shut down (or shutting down), not in standby — sessions go live and end on
/// time only then. Quartz 4 answers all three as one status, asked asynchronously.
/// </summary>
public sealed class SchedulerHealthCheck(ISchedulerFactory schedulers) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        var status = await scheduler.GetStatus(cancellationToken);
        return status == SchedulerStatus.Running
            ? HealthCheckResult.Healthy("the scheduler runs")
            : HealthCheckResult.Unhealthy($"the scheduler is not running ({status})");
    }
}

/// <summary>Ready while Redis answers a PING on the node's own multiplexer (no connection of its own).</summary>
public sealed class RedisHealthCheck(IConnectionMultiplexer redis) : IHealthCheck
{
    /// <summary>Well under a probe's usual timeout: a Redis that does not answer by then counts as away.</summary>
    public static readonly TimeSpan PingTimeout = TimeSpan.FromSeconds(2);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        // While disconnected a PING would only wait in the multiplexer's backlog.
        if (!redis.IsConnected)
        {
            return HealthCheckResult.Unhealthy("Redis is not connected");
        }
        try
        {
            // Real time, not the host's clock: this bounds a network wait.
            var rtt = await redis.GetDatabase().PingAsync().WaitAsync(PingTimeout, TimeProvider.System, cancellationToken);
            return HealthCheckResult.Healthy($"Redis answered in {rtt.TotalMilliseconds:0.#} ms");
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy($"Redis did not answer a PING ({e.GetType().Name})");
        }
    }
}
