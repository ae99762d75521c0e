using System.Collections.Concurrent;
using LearnHub.Api.V1;
using LearnHub.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace LearnHub.Server.Tests.Telemetry;

/// <summary>
/// What a collector receives over OTLP/HTTP: traces and logs whenever an endpoint is configured; metrics only when the
/// Prometheus endpoint is off or Telemetry:Otlp:Metrics asks for them, since a second exporter would cost every
/// measurement twice.
/// </summary>
[Collection(TelemetryCollection.Name)]
public sealed class OtlpExportTests
{
    [Theory]
    [InlineData("/metrics", null, false)]
    [InlineData("", null, true)]
    [InlineData("/metrics", "true", true)]
    [InlineData("", "false", false)]
    public async Task A_collector_gets_traces_and_logs_and_metrics_unless_prometheus_has_them(string metricsPath, string? otlpMetrics, bool metricsExported)
    {
        await using var collector = await Collector.StartAsync();
        await using var app = await LearnHubApp.StartAsync(new Dictionary<string, string?>
        {
            ["Telemetry:Otlp:Endpoint"] = collector.Url,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["Telemetry:Metrics:Path"] = metricsPath,
            ["Telemetry:Otlp:Metrics"] = otlpMetrics,
        });
        var user = await app.CreateUserAsync("otlp_viewer");
        await new DiagnosticsService.DiagnosticsServiceClient(app.Invoker(user.Token)).PingAsync(new PingRequest());
        app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("LearnHub.Tests").LogWarning("a line for the collector");

        // Export now rather than at the batch and metric intervals (5 s, 60 s).
        // (The meter provider's flush reports false while a Prometheus reader, which only collects when scraped, is in it.)
        Assert.True(app.Services.GetRequiredService<TracerProvider>().ForceFlush(10_000));
        app.Services.GetRequiredService<MeterProvider>().ForceFlush(10_000);
        Assert.True(app.Services.GetRequiredService<LoggerProvider>().ForceFlush(10_000));

        Assert.Contains("/v1/traces", collector.Paths);
        Assert.Contains("/v1/logs", collector.Paths);
        Assert.Equal(metricsExported, collector.Paths.Contains("/v1/metrics"));
        Assert.DoesNotContain(collector.Paths, p => p is not ("/v1/traces" or "/v1/logs" or "/v1/metrics"));
    }

    [Fact]
    public async Task The_standard_OTEL_EXPORTER_OTLP_settings_reach_the_collector_too()
    {
        await using var collector = await Collector.StartAsync();
        await using var app = await LearnHubApp.StartAsync(new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Url,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        });
        var user = await app.CreateUserAsync("otlp_env_viewer");
        await new DiagnosticsService.DiagnosticsServiceClient(app.Invoker(user.Token)).PingAsync(new PingRequest());

        Assert.True(app.Services.GetRequiredService<TracerProvider>().ForceFlush(10_000));

        // The exporter adds each signal's path to the variable's endpoint itself.
        Assert.Contains("/v1/traces", collector.Paths);
        Assert.DoesNotContain("/v1/metrics", collector.Paths);
    }

    /// <summary>An OTLP/HTTP collector on a loopback port: answers every export with 200 and keeps the paths it was sent.</summary>
    private sealed class Collector : IAsyncDisposable
    {
        private readonly ConcurrentQueue<string> paths = new();
        private WebApplication? app;

        public string Url { get; private set; } = "";

        public IReadOnlyCollection<string> Paths => [.. paths];

        public static async Task<Collector> StartAsync()
        {
            var collector = new Collector();
            (collector.app, collector.Url) = await LoopbackWebApp.StartAsync(async http =>
            {
                collector.paths.Enqueue(http.Request.Path.Value ?? "");
                await http.Request.Body.CopyToAsync(Stream.Null, http.RequestAborted);
                http.Response.ContentType = "application/x-protobuf";
            });
            return collector;
        }

        public ValueTask DisposeAsync() => app?.DisposeAsync() ?? ValueTask.CompletedTask;
    }
}
