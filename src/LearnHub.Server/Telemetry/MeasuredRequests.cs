using LearnHub.Server.Grpc;

namespace LearnHub.Server.Telemetry;

/// <summary>
/// The rest of the request pipeline with the request telemetry in front: gRPC calls timed by
/// <see cref="GrpcCallMetrics"/>, other requests through the Prometheus endpoint and <see cref="WebRequestMetrics"/>.
/// Not a pipeline stage of its own: <see cref="Hosting.ShutdownDraining"/>, which every request passes anyway, calls it
/// directly. As a stage of its own, with nothing listening, it cost Ping about as much as all the metrics
/// (docs/benchmarks.md, Run 23).
/// </summary>
public sealed class MeasuredRequests(GrpcCallMetrics calls, RequestDelegate next, RequestDelegate web)
{
    /// <summary>A gRPC call is never a scrape: it goes straight to its histogram, without the scrape's test.</summary>
    public Task InvokeAsync(HttpContext http) =>
        GrpcTrailersOnly.IsGrpcRequest(http) ? calls.MeasureAsync(http, next) : web(http);
}
