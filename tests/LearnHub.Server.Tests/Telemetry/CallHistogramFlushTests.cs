using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using LearnHub.Server.Telemetry;
using LearnHub.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace LearnHub.Server.Tests.Telemetry;

/// <summary>
/// The call histogram is recorded in batches, off the calls' path (<see cref="GrpcCallMetrics"/>): every call reaches
/// it once, with its own duration and labels, within a second of ending, after every <see cref="GrpcCallMetrics.FlushEvery"/>
/// calls on a busy node, and before the host's last export. (A scrape flushes first: MetricsEndpointTests scrape right
/// after their calls.)
/// </summary>
public sealed class CallHistogramFlushTests : IDisposable
{
    private const string PingRoute = "/learnhub.v1.DiagnosticsService/Ping";

    private readonly ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2026, 5, 4, 11, 30, 0, TimeSpan.Zero));
    private readonly MeterListener listener = new();
    private readonly ConcurrentQueue<(double Seconds, string? Method, object? Status)> recorded = new();
    private readonly GrpcCallMetrics calls;

    public CallHistogramFlushTests()
    {
        var meters = services.GetRequiredService<IMeterFactory>();
        calls = new GrpcCallMetrics(meters, clock);
        listener.InstrumentPublished = (instrument, l) =>
        {
            // This test's histogram only: the hosts of tests running beside it have theirs, under the same names.
            if (instrument.Meter.Scope == meters && instrument.Meter.Name == GrpcCallMetrics.MeterName && instrument.Name == "rpc.server.call.duration")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((_, seconds, tags, _) =>
        {
            string? method = null;
            object? status = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "rpc.method")
                {
                    method = tag.Value as string;
                }
                else if (tag.Key == "rpc.grpc.status_code")
                {
                    status = tag.Value;
                }
            }
            recorded.Enqueue((seconds, method, status));
        });
        listener.Start();
    }

    public void Dispose()
    {
        calls.Dispose();
        listener.Dispose();
        services.Dispose();
    }

    [Fact]
    public async Task An_ended_call_is_in_the_histogram_within_a_second_with_its_method_and_status()
    {
        await CallAsync("0");
        await CallAsync("8");

        Assert.Empty(recorded); // not on the call's path

        clock.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(2, recorded.Count);
        Assert.All(recorded, r => Assert.Equal(PingRoute, r.Method));
        Assert.Equal(new[] { 0, 8 }, recorded.Select(r => (int)r.Status!).Order());
        Assert.All(recorded, r => Assert.InRange(r.Seconds, 0, 60));
    }

    [Fact]
    public async Task A_busy_node_records_its_calls_without_waiting_for_the_second()
    {
        for (var i = 0; i < GrpcCallMetrics.FlushEvery + 10; i++)
        {
            await CallAsync("0");
        }

        // The clock has not moved: the batch was recorded because it was full (on the thread pool, so awaited).
        await Wait.UntilAsync(() => Task.FromResult(recorded.Count), count => count >= GrpcCallMetrics.FlushEvery, what: "a full batch in the histogram");
        calls.Flush();
        Assert.Equal(GrpcCallMetrics.FlushEvery + 10, recorded.Count);
    }

    [Fact]
    public async Task A_flush_records_each_call_once()
    {
        await CallAsync("0");
        calls.Flush();
        calls.Flush();
        clock.Advance(TimeSpan.FromSeconds(5));

        Assert.Single(recorded);
    }

    [Fact]
    public async Task Stopping_records_what_is_left()
    {
        await CallAsync("0");

        calls.Dispose();

        Assert.Single(recorded);
    }

    private Task CallAsync(string status)
    {
        var http = new DefaultHttpContext();
        http.SetEndpoint(new RouteEndpoint(_ => Task.CompletedTask, RoutePatternFactory.Parse(PingRoute), 0, EndpointMetadataCollection.Empty, "Ping"));
        return calls.MeasureAsync(http, context =>
        {
            context.Response.Headers["grpc-status"] = status;
            return Task.CompletedTask;
        });
    }
}
