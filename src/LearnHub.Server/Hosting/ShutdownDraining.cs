using LearnHub.Core.Common;
using LearnHub.Server.Grpc;
using LearnHub.Server.Telemetry;

namespace LearnHub.Server.Hosting;

/// <summary>
/// Once the server is stopping, new requests are turned away (gRPC: UNAVAILABLE with a retry delay; anything else:
/// 503 with Retry-After and the connection closed). The host stops its background services before Kestrel stops
/// listening, and a client reconnecting in that gap (a console page, a hub client, a watch stream) would open a
/// connection nothing ends, holding the stop for the whole shutdown timeout.
/// </summary>
/// <remarks>
/// Requests it lets through go on to the request telemetry (<paramref name="measured"/>, when on) in the same stage: a
/// stage of its own cost every call about as much as all the metrics (docs/benchmarks.md, Run 23).
/// </remarks>
public sealed class ShutdownDraining(RequestDelegate next, IHostApplicationLifetime lifetime, MeasuredRequests? measured = null)
{
    /// <summary>About as long as a restart takes; clients spread their retries from there.</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(5);

    private readonly CancellationToken stopping = lifetime.ApplicationStopping;

    public Task InvokeAsync(HttpContext http)
    {
        if (!stopping.IsCancellationRequested)
        {
            return measured is null ? next(http) : measured.InvokeAsync(http);
        }
        if (GrpcTrailersOnly.IsGrpcRequest(http))
        {
            CallLanguage.Apply(http);
            var refusal = RpcErrors.Unavailable("SERVER_STOPPING", LocalizedText.Pick("服务器正在重启，请稍后重试。", "The server is restarting. Try again shortly."), RetryAfter);
            GrpcTrailersOnly.Write(http.Response, refusal);
            return Task.CompletedTask;
        }
        http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        http.Response.Headers.RetryAfter = ((int)RetryAfter.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        http.Response.Headers.Connection = "close";
        return Task.CompletedTask;
    }

    /// <summary>Draining first, then the request telemetry, as one stage of the pipeline.</summary>
    public static IApplicationBuilder UseShutdownDrainingAndTelemetry(IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var lifetime = app.ApplicationServices.GetRequiredService<IHostApplicationLifetime>();
        var telemetry = app.LearnHubRequestTelemetry();
        return app.Use(next => new ShutdownDraining(next, lifetime, telemetry?.Invoke(next)).InvokeAsync);
    }
}
