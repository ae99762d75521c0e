using System.Diagnostics;
using Microsoft.AspNetCore.Http.Features;

namespace LearnHub.Server.Telemetry;

/// <summary>
/// Names and labels the spans of requests, which come straight from ASP.NET Core's <c>Microsoft.AspNetCore</c>
/// activity source. OpenTelemetry's ASP.NET Core instrumentation would do it through DiagnosticListener callbacks on
/// every request, recorded or not, and those callbacks were a third of what telemetry cost a call
/// (docs/benchmarks.md, "Telemetry cost"); here an unrecorded request costs one check.
/// </summary>
public static class RequestSpans
{
    public const string AspNetCoreSource = "Microsoft.AspNetCore";

    /// <summary>The request's span when it is being recorded (sampled, with a tracer provider listening), else null.</summary>
    /// <remarks>
    /// Both flags: with no tracer listening (metrics only, the default without OTLP), ASP.NET Core still makes each
    /// request an Activity for its log scope, and a new Activity asks for all data; naming that one would add four
    /// tags to every call for nobody (about 170 bytes a call, docs/benchmarks.md, "Allocations per Ping call").
    /// </remarks>
    public static Activity? Recorded(HttpContext http) =>
        http.Features.Get<IHttpActivityFeature>()?.Activity is { IsAllDataRequested: true, Recorded: true } span ? span : null;

    /// <summary>A gRPC call's span: named after its method, as OpenTelemetry's RPC conventions name it.</summary>
    public static void NameGrpcCall(Activity span, string method, int status)
    {
        span.DisplayName = method.TrimStart('/');
        span.SetTag("rpc.system", "grpc");
        span.SetTag("rpc.method", method);
        span.SetTag("http.route", method);
        span.SetTag("rpc.grpc.status_code", status);
        if (status is 2 or 4 or 12 or 13 or 14 or 15)
        {
            // Server faults only (UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS); a refusal of bad input is the caller's.
            span.SetStatus(ActivityStatusCode.Error);
        }
    }

    /// <summary>A web request's span (the console, feeds, the embed files): "GET /route" with the route and status.</summary>
    public static void NameWebRequest(Activity span, HttpContext http, string? route)
    {
        span.DisplayName = route is null ? http.Request.Method : $"{http.Request.Method} {route}";
        span.SetTag("http.request.method", http.Request.Method);
        span.SetTag("http.response.status_code", http.Response.StatusCode);
        if (route is not null)
        {
            span.SetTag("http.route", route);
        }
        if (http.Response.StatusCode >= 500)
        {
            span.SetStatus(ActivityStatusCode.Error);
        }
    }

    /// <summary>Keeps a request out of the traces (a metrics scrape): its span and its children are not recorded.</summary>
    public static void Unrecord(HttpContext http)
    {
        if (http.Features.Get<IHttpActivityFeature>()?.Activity is { } span)
        {
            span.IsAllDataRequested = false;
            span.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
        }
    }
}
