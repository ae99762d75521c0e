using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Routing;

namespace LearnHub.Server.Telemetry;

/// <summary>
/// <c>http.server.request.duration</c> for web requests (the console, the hub's HTTP requests, feeds, the embed
/// files), with the labels ASP.NET Core's own histogram of that name gives them: method, route and status. ASP.NET
/// Core's hosting meter is not listened to: with it on, hosting does metrics work for every request, gRPC calls
/// included, which cost Ping about 3 % of its throughput for a histogram gRPC calls are kept out of
/// (docs/benchmarks.md, "Telemetry cost", Run 10).
/// </summary>
public sealed class WebRequestMetrics
{
    public const string MeterName = "LearnHub.Web";

    private static readonly HashSet<string> KnownMethods = new(["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH"], StringComparer.Ordinal);

    private readonly Histogram<double> duration;

    public WebRequestMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        duration = meters.Create(MeterName).CreateHistogram("http.server.request.duration", "s",
            "How long web requests took on this node, by method, route and status (gRPC calls: rpc.server.call.duration).",
            tags: null,
            new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10] });
    }

    /// <summary>Middleware for web requests: times the request, and names its span when the span is recorded.</summary>
    public async Task MeasureAsync(HttpContext http, RequestDelegate next)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(http);
        }
        finally
        {
            var route = http.GetEndpoint() is RouteEndpoint { RoutePattern.RawText: { } pattern } ? pattern : null;
            if (duration.Enabled)
            {
                var tags = new TagList
                {
                    { "http.request.method", KnownMethods.Contains(http.Request.Method) ? http.Request.Method : "_OTHER" },
                    { "http.response.status_code", http.Response.StatusCode },
                };
                if (route is not null)
                {
                    // Patterns the app maps (bounded), never the raw path.
                    tags.Add("http.route", route);
                }
                duration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
            }
            if (RequestSpans.Recorded(http) is { } span)
            {
                RequestSpans.NameWebRequest(span, http, route);
            }
        }
    }
}
