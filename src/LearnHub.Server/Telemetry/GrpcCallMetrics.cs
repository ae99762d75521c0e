using System.Collections.Concurrent;
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
/// <remarks>
/// <para>
/// A call's measurement goes into the histogram in a batch, not on the call's path: each call adds its duration, method
/// and status to a queue, and the queue is recorded before every scrape (<see cref="Flush"/>), after every
/// <see cref="FlushEvery"/> calls, once a second (for OTLP) and when the host stops. Recorded one call at a time, between
/// the rest of each call's work, the recording cost the call more than its own code (docs/benchmarks.md, "Telemetry
/// cost", Runs 43 and 49). Every call is counted once, with the duration measured when it ended; a scrape sees every
/// call that ended before it.
/// </para>
/// <para>A class of its own (meter <c>LearnHub.Grpc</c>), not part of <see cref="LearnHubMetrics"/>: its name follows OpenTelemetry's conventions rather than <c>learnhub.*</c>.</para>
/// </remarks>
public sealed class GrpcCallMetrics : IDisposable
{
    public const string MeterName = "LearnHub.Grpc";

    /// <summary>The method label of a call that matched no method (an unknown path): bounded whatever callers send.</summary>
    public const string OtherMethod = "_OTHER";

    // Boxed once: a call's labels allocate nothing.
    private static readonly object[] StatusCodes = [.. Enumerable.Range(0, 17).Select(code => (object)code)];

    /// <summary>Calls ended between two flushes, at most (about: the count is not synchronised, on purpose).</summary>
    public const int FlushEvery = 4096;

    private readonly Histogram<double> duration;
    private readonly ConcurrentQueue<EndedCall> ended = new();
    private readonly ITimer everySecond;
    private readonly Lock flushing = new();
    private int endedSinceFlush;
    private int flushQueued;

    public GrpcCallMetrics(IMeterFactory meters, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(meters);
        ArgumentNullException.ThrowIfNull(time);
        everySecond = time.CreateTimer(static calls => ((GrpcCallMetrics)calls!).Flush(), this, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
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
            ended.Enqueue(new EndedCall(Stopwatch.GetElapsedTime(started).TotalSeconds, method, status));
            // Not Interlocked: a lost increment only delays the flush by a call.
            if (++endedSinceFlush >= FlushEvery && Interlocked.Exchange(ref flushQueued, 1) == 0)
            {
                ThreadPool.UnsafeQueueUserWorkItem(static calls => calls.FlushQueued(), this, preferLocal: false);
            }
        }
        if (span is not null)
        {
            RequestSpans.NameGrpcCall(span, method, status);
        }
    }

    /// <summary>Records every call that ended so far in the histogram (before a scrape reads it, and when the host stops).</summary>
    public void Flush()
    {
        // One flush at a time: a scrape's waits for one under way, so none of the calls it dequeued is missing from the scrape.
        lock (flushing)
        {
            endedSinceFlush = 0;
            // Only the calls queued when the flush began: calls ending meanwhile wait for the next one.
            for (var count = ended.Count; count > 0 && ended.TryDequeue(out var call); count--)
            {
                duration.Record(
                    call.Seconds,
                    new KeyValuePair<string, object?>("rpc.method", call.Method),
                    new KeyValuePair<string, object?>("rpc.grpc.status_code", StatusCodes[call.Status]));
            }
        }
    }

    /// <summary>Stops the once-a-second flush and records what is left.</summary>
    public void Dispose()
    {
        everySecond.Dispose();
        Flush();
    }

    private void FlushQueued()
    {
        Volatile.Write(ref flushQueued, 0);
        Flush();
    }

    private readonly record struct EndedCall(double Seconds, string Method, int Status);

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
