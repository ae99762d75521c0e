using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using LearnHub.Server.Telemetry;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

// In process (no child build): the figures are for comparing the rows of one run, as bench/telemetry.sh's are.
var config = DefaultConfig.Instance.AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance)
    .WithWarmupCount(3).WithIterationCount(10));
BenchmarkRunner.Run<CallTelemetryBenchmarks>(config, args);

/// <summary>
/// What telemetry adds to one gRPC call, part by part: the request's span (ASP.NET Core makes one per request either
/// way, for its log scope) with and without a tracer provider listening, and the call's duration histogram
/// (<see cref="GrpcCallMetrics"/>) with and without a meter provider listening.
/// </summary>
[MemoryDiagnoser]
public class CallTelemetryBenchmarks
{
    private const string RequestActivity = "Microsoft.AspNetCore.Hosting.HttpRequestIn";
    private static readonly RequestDelegate Answered = _ => Task.CompletedTask;

    // One source per row, so each row's listeners are its own.
    private readonly ActivitySource unlistened = new("Bench.Unlistened");
    private readonly ActivitySource capped = new("Bench.Capped");
    private readonly ActivitySource everyCall = new("Bench.EveryCall");
    private readonly List<IDisposable> providers = [];
    private GrpcCallMetrics metricsOff = null!;
    private GrpcCallMetrics metricsOn = null!;
    private HttpContext call = null!;

    [GlobalSetup]
    public void Setup()
    {
        // The shipped sampling (every trace, at most 100 a second), its budget spent long before the measured calls;
        // and every call recorded (the cap lifted). Exported in batches to an exporter that drops them.
        providers.Add(Sdk.CreateTracerProviderBuilder().AddSource(capped.Name)
            .SetSampler(TraceSampling.Create(new TelemetryOptions(), TimeProvider.System))
            .AddProcessor(new BatchActivityExportProcessor(new DroppedSpans())).Build()!);
        providers.Add(Sdk.CreateTracerProviderBuilder().AddSource(everyCall.Name)
            .SetSampler(TraceSampling.Create(new TelemetryOptions { MaxTracesPerSecond = 0 }, TimeProvider.System))
            .AddProcessor(new BatchActivityExportProcessor(new DroppedSpans())).Build()!);

        // Its meter disposed at once: the histogram is off whatever listens, as with Telemetry:Enabled=false.
        using (var unmeasured = new ServiceCollection().AddMetrics().BuildServiceProvider())
        {
            metricsOff = new GrpcCallMetrics(unmeasured.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), TimeProvider.System);
        }
        var measured = new ServiceCollection().AddMetrics().BuildServiceProvider();
        metricsOn = new GrpcCallMetrics(measured.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), TimeProvider.System);
        providers.Add(metricsOff);
        providers.Add(metricsOn); // its queue flushed into the meter provider every 4,096 calls: part of a call's cost
        providers.Add(measured);
        providers.Add(Sdk.CreateMeterProviderBuilder().AddMeter(GrpcCallMetrics.MeterName)
            .AddReader(new PeriodicExportingMetricReader(new DroppedMetrics(), exportIntervalMilliseconds: 1000)).Build()!);

        // A Ping call as the middleware sees it after grpc-dotnet answered: its endpoint, and status 0 in the trailers.
        call = new DefaultHttpContext();
        call.SetEndpoint(new RouteEndpoint(Answered, RoutePatternFactory.Parse("/learnhub.v1.DiagnosticsService/Ping"), 0, EndpointMetadataCollection.Empty, "Ping"));
        var trailers = new HeaderDictionary { ["grpc-status"] = "0" };
        call.Features.Set<IHttpResponseTrailersFeature>(new StatusTrailers(trailers));
    }

    [GlobalCleanup]
    public void Cleanup() => providers.ForEach(p => p.Dispose());

    /// <summary>ASP.NET Core with no tracer provider: a request's Activity made for the log scope, started and stopped.</summary>
    [Benchmark(Baseline = true)]
    public Activity RequestSpanNoTracer() => StartAndStop(unlistened);

    /// <summary>The shipped tracing once the second's budget is spent (almost every call of a busy node): sampled out.</summary>
    [Benchmark]
    public Activity RequestSpanBudgetSpent() => StartAndStop(capped);

    /// <summary>Every call recorded and queued for export (the cap lifted).</summary>
    [Benchmark]
    public Activity RequestSpanRecorded() => StartAndStop(everyCall);

    /// <summary>The call histogram's middleware with nothing listening (Telemetry:Enabled=false).</summary>
    [Benchmark]
    public Task CallHistogramOff() => metricsOff.MeasureAsync(call, Answered);

    /// <summary>The call histogram's middleware with OpenTelemetry's meter provider listening: the call queued, and every 4,096th call's batch recorded.</summary>
    [Benchmark]
    public Task CallHistogramOn() => metricsOn.MeasureAsync(call, Answered);

    /// <summary>A call whose rest of the pipeline completes later (a watch stream, a call that waits on the store; Ping completes at once), with no middleware: the baseline of the next two.</summary>
    [Benchmark]
    public Task LaterCallNoMiddleware()
    {
        var rest = new TaskCompletionSource();
        RequestDelegate next = _ => rest.Task; // as in CompletedLater
        var call = next(this.call);
        rest.SetResult();
        return call;
    }

    /// <summary>The call histogram's middleware, histogram off, around a call that completes later: the async frame it then adds.</summary>
    [Benchmark]
    public Task LaterCallHistogramOff() => CompletedLater(metricsOff);

    /// <summary>The same, recording into OpenTelemetry's meter provider.</summary>
    [Benchmark]
    public Task LaterCallHistogramOn() => CompletedLater(metricsOn);

    private Task CompletedLater(GrpcCallMetrics metrics)
    {
        var rest = new TaskCompletionSource();
        var call = metrics.MeasureAsync(this.call, _ => rest.Task);
        rest.SetResult();
        return call;
    }

    // As ASP.NET Core's hosting does: CreateActivity, else a plain Activity for the log scope.
    private static Activity StartAndStop(ActivitySource source)
    {
        var span = source.CreateActivity(RequestActivity, ActivityKind.Server) ?? new Activity(RequestActivity);
        span.Start();
        span.Stop();
        return span;
    }

    private sealed class StatusTrailers(IHeaderDictionary trailers) : IHttpResponseTrailersFeature
    {
        public IHeaderDictionary Trailers { get; set; } = trailers;
    }

    private sealed class DroppedSpans : BaseExporter<Activity>
    {
        public override ExportResult Export(in Batch<Activity> batch) => ExportResult.Success;
    }

    private sealed class DroppedMetrics : BaseExporter<Metric>
    {
        public override ExportResult Export(in Batch<Metric> batch) => ExportResult.Success;
    }
}
