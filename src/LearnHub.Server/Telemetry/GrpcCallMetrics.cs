using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;

namespace LearnHub.Server.Telemetry;

/// <summary>
/// One histogram per gRPC call, <c>rpc.server.call.duration</c> (OpenTelemetry's RPC conventions), labelled by the
/// method and the gRPC status. gRPC calls are not in <c>http.server.request.duration</c> (<see cref="WebRequestMetrics"/>):
/// its labels say nothing for gRPC (method POST, status 200), and looking up a measurement's labels is most of what a
/// metric costs the call (docs/benchmarks.md, "Telemetry cost").
/// </summary>
/// <remarks>A class of its own (meter <c>LearnHub.Grpc</c>), not part of <see cref="LearnHubMetrics"/>: its name follows OpenTelemetry's conventions rather than <c>learnhub.*</c>.</remarks>
public sealed class GrpcCallMetrics
{
    public const string MeterName = "LearnHub.Grpc";

    /// <summary>The method label of a call that matched no method (an unknown path): bounded whatever callers send.</summary>
    public const string OtherMethod = "_OTHER";

    // Boxed once: a call's labels allocate nothing.
    private static readonly object[] StatusCodes = [.. Enumerable.Range(0, 17).Select(code => (object)code)];

    private readonly Histogram<double> duration;

    public GrpcCallMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        duration = meters.Create(MeterName).CreateHistogram("rpc.server.call.duration", "s",
            "How long gRPC and gRPC-Web calls took on this node, by method and gRPC status (streams: until they ended).",
            tags: null,
            new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60, 600] });
    }

    /// <summary>
    /// Middleware for gRPC calls: times the call and records it, and names the call's span after its method when the
    /// span is recorded. Costs a timestamp and two checks when nothing listens. Not an async method: a call that
    /// completes at once (a unary call usually does) is recorded without an async frame around the rest of the
    /// pipeline; one that completes later is awaited in <see cref="MeasureLaterAsync"/>.
    /// </summary>
    public Task MeasureAsync(HttpContext http, RequestDelegate next)
    {
        ArgumentNullException.ThrowIfNull(next);
        var started = Stopwatch.GetTimestamp();
        Task call;
        try
        {
            call = next(http);
        }
        catch
        {
            Record(http, started);
            throw;
        }
        if (!call.IsCompleted)
        {
            return MeasureLaterAsync(call, http, started);
        }
        Record(http, started);
        return call;
    }

    private async Task MeasureLaterAsync(Task call, HttpContext http, long started)
    {
        try
        {
            await call;
        }
        finally
        {
            Record(http, started);
        }
    }

    /// <summary>Records the ended call in the histogram and names its span, as far as anything listens.</summary>
    private void Record(HttpContext http, long started)
    {
        var measured = duration.Enabled;
        var span = RequestSpans.Recorded(http);
        if (!measured && span is null)
        {
            return;
        }
        var method = Method(http);
        var status = GrpcStatus(http);
        if (measured)
        {
            duration.Record(
                Stopwatch.GetElapsedTime(started).TotalSeconds,
                new KeyValuePair<string, object?>("rpc.method", method),
                new KeyValuePair<string, object?>("rpc.grpc.status_code", StatusCodes[status]));
        }
        if (span is not null)
        {
            RequestSpans.NameGrpcCall(span, method, status);
        }
    }

    /// <summary>The method's route (<c>/learnhub.v1.SessionService/GetSession</c>): only methods the server maps, never the raw path.</summary>
    private static string Method(HttpContext http) =>
        http.GetEndpoint() is RouteEndpoint { RoutePattern.RawText: { } route } && !route.Contains('{', StringComparison.Ordinal)
            ? route
            : OtherMethod;

    /// <summary>The call's status code: in the trailers, or in the headers of a trailers-only answer; bounded to 0–16.</summary>
    /// <remarks>
    /// Read through the headers' typed <c>GrpcStatus</c> property: Kestrel answers it from a field of its own, where a
    /// lookup by name compares header names on every call (docs/benchmarks.md, "Telemetry cost", Run 43).
    /// </remarks>
    private static int GrpcStatus(HttpContext http)
    {
        var value = http.Features.Get<IHttpResponseTrailersFeature>()?.Trailers.GrpcStatus is { Count: > 0 } trailer
            ? trailer
            : http.Response.Headers.GrpcStatus;
        return value.Count == 1
            && int.TryParse(value[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var code)
            && code is >= 0 and <= 16
            ? code
            : 2; // UNKNOWN: an answer without a status (a reset call), or with more than one
    }
}
