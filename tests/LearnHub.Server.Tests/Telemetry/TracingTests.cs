using System.Collections.Concurrent;
using System.Diagnostics;
using Grpc.Core;
using LearnHub.Api.V1;
using LearnHub.Server.Hosting;
using LearnHub.Server.Telemetry;
using LearnHub.Server.Tests.Broadcasts;
using LearnHub.Server.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace LearnHub.Server.Tests.Telemetry;

/// <summary>
/// Traces as a collector would receive them from the host's own tracer provider: a call continues the caller's trace
/// with its server span and its store calls, a scheduler step is a trace of its own, and the log lines written during
/// a call name its trace.
/// </summary>
[Collection(TelemetryCollection.Name)]
public sealed class TracingTests
{
    private static readonly ActivityTraceId CallerTrace = ActivityTraceId.CreateRandom();
    private static readonly ActivitySpanId CallerSpan = ActivitySpanId.CreateRandom();

    [Fact]
    public async Task A_call_continues_the_callers_trace_down_to_its_store_calls_and_its_log_lines_carry_the_trace_id()
    {
        var spans = new EndedSpans();
        var lines = new FormattedLines();
        await using var app = await LearnHubApp.StartAsync(
            new Dictionary<string, string?> { ["Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics"] = "Information", ["Telemetry:Tracing"] = "true" },
            services: s =>
            {
                s.ConfigureOpenTelemetryTracerProvider(t => t.AddProcessor(spans));
                s.AddSingleton<ILoggerProvider>(lines);
            });
        var creator = await app.CreateUserAsync("wanhongcoco", "instructor");

        var headers = new Metadata { { "traceparent", $"00-{CallerTrace.ToHexString()}-{CallerSpan.ToHexString()}-01" } };
        await creator.BroadcastApi().GetQuotaAsync(new GetQuotaRequest(), headers);

        var server = await Wait.UntilAsync(
            () => Task.FromResult(spans.Of(CallerTrace).FirstOrDefault(a => a.Kind == ActivityKind.Server)),
            a => a is not null, what: "the call's server span")!;
        Assert.Equal(CallerSpan, server!.ParentSpanId);
        Assert.Equal("/learnhub.v1.BroadcastService/GetQuota", server.GetTagItem("http.route"));
        // The store calls are children of the call (SQLite: the product's own spans; PostgreSQL: Npgsql's).
        var store = spans.Of(CallerTrace).Where(a => a.Kind == ActivityKind.Client && a.Source.Name is LearnHubTracing.SourceName or "Npgsql").ToList();
        Assert.NotEmpty(store);
        Assert.All(store, a => Assert.Equal(server.SpanId, a.ParentSpanId));

        var entry = Assert.Single(lines.All, l => l.Contains("Request starting", StringComparison.Ordinal) && l.Contains("GetQuota", StringComparison.Ordinal));
        Assert.EndsWith($" trace={CallerTrace.ToHexString()} span={server.SpanId.ToHexString()}", entry, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_an_exporter_no_spans_are_recorded_yet_log_lines_still_carry_the_callers_trace_id()
    {
        var spans = new EndedSpans();
        var lines = new FormattedLines();
        await using var app = await LearnHubApp.StartAsync(
            new Dictionary<string, string?> { ["Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics"] = "Information" },
            services: s =>
            {
                s.ConfigureOpenTelemetryTracerProvider(t => t.AddProcessor(spans));
                s.AddSingleton<ILoggerProvider>(lines);
            });
        var creator = await app.CreateUserAsync("wanhongcoco", "instructor");
        var trace = ActivityTraceId.CreateRandom();

        var headers = new Metadata { { "traceparent", $"00-{trace.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01" } };
        await creator.BroadcastApi().GetQuotaAsync(new GetQuotaRequest(), headers);

        var entry = Assert.Single(lines.All, l => l.Contains("Request starting", StringComparison.Ordinal) && l.Contains("GetQuota", StringComparison.Ordinal));
        Assert.Contains($" trace={trace.ToHexString()} span=", entry, StringComparison.Ordinal);
        // No OTLP endpoint and Telemetry:Tracing unset: the provider listens to no source, so no call pays for spans
        // nobody receives. "Request finished" is logged once the call's Activity has stopped.
        await Wait.UntilAsync(
            () => Task.FromResult(lines.All.Any(l => l.Contains("Request finished", StringComparison.Ordinal) && l.Contains($"trace={trace.ToHexString()}", StringComparison.Ordinal))),
            found => found, what: "the call's end in the log");
        Assert.Empty(spans.All);
    }

    [Fact]
    public async Task A_scheduler_step_is_a_trace_of_its_own_named_by_its_kind_with_its_store_calls()
    {
        var spans = new EndedSpans();
        await using var app = await LearnHubApp.StartAsync(
            new Dictionary<string, string?> { ["Telemetry:Tracing"] = "true" },
            clock: new FakeTimeProvider(Scenario.Start) { AutoAdvanceAmount = TimeSpan.Zero },
            services: s => s.ConfigureOpenTelemetryTracerProvider(t => t.AddProcessor(spans)));
        var instructor = await app.CreateUserAsync("laoshi", "instructor");
        var session = await instructor.ScheduleAsync(app.Now().AddMinutes(30));

        await app.AdvanceAsync(TimeSpan.FromMinutes(31));

        var step = await Wait.UntilAsync(
            () => Task.FromResult(spans.All.FirstOrDefault(a => a.DisplayName == "scheduler go-live" && (string?)a.GetTagItem("learnhub.session_id") == session.Id)),
            a => a is not null, what: "the go-live step's span")!;
        Assert.Equal(default, step!.ParentSpanId);
        Assert.Equal("go-live", step.GetTagItem("learnhub.step"));
        Assert.Contains(spans.Of(step.TraceId), a => a.Kind == ActivityKind.Client && a.ParentSpanId == step.SpanId);
    }

    [Fact]
    public async Task A_busy_node_records_at_most_its_budget_of_traces_a_second_whatever_callers_ask()
    {
        var spans = new EndedSpans();
        await using var app = await LearnHubApp.StartAsync(
            new Dictionary<string, string?> { ["Telemetry:Tracing"] = "true", ["Telemetry:MaxTracesPerSecond"] = "3" },
            clock: new FakeTimeProvider(Scenario.Start) { AutoAdvanceAmount = TimeSpan.Zero },
            services: s => s.ConfigureOpenTelemetryTracerProvider(t => t.AddProcessor(spans)));
        var creator = await app.CreateUserAsync("wanhongcoco", "instructor");

        // 20 calls in one second of the (frozen) clock, each from a caller who says its trace is sampled.
        var traces = await CallsAsync(creator, 20);

        // The host's own calls before them may have spent some of the budget: at most 3 of these (TraceSamplingTests count
        // exactly; the test below shows the same calls all recorded without the cap).
        Assert.InRange(spans.All.Count(a => a.Kind == ActivityKind.Server && traces.Contains(a.TraceId)), 0, 3);
    }

    [Fact]
    public async Task With_the_cap_lifted_every_call_is_recorded()
    {
        var spans = new EndedSpans();
        await using var app = await LearnHubApp.StartAsync(
            new Dictionary<string, string?> { ["Telemetry:Tracing"] = "true", ["Telemetry:MaxTracesPerSecond"] = "0" },
            services: s => s.ConfigureOpenTelemetryTracerProvider(t => t.AddProcessor(spans)));
        var creator = await app.CreateUserAsync("wanhongcoco", "instructor");

        // In the one frozen second of the test's clock: with a cap, at most its budget of them would be recorded.
        var traces = await CallsAsync(creator, 150);

        await Wait.UntilAsync(
            () => Task.FromResult(spans.All.Count(a => a.Kind == ActivityKind.Server && traces.Contains(a.TraceId))),
            count => count == 150, what: "a span for each of the 150 calls");
    }

    /// <summary>GetQuota calls in turn, each continuing a trace of its own that its caller says is sampled.</summary>
    private static async Task<HashSet<ActivityTraceId>> CallsAsync(TestUser user, int count)
    {
        var traces = new HashSet<ActivityTraceId>();
        for (var i = 0; i < count; i++)
        {
            var trace = ActivityTraceId.CreateRandom();
            traces.Add(trace);
            await user.BroadcastApi().GetQuotaAsync(new GetQuotaRequest(), new Metadata { { "traceparent", $"00-{trace.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01" } });
        }
        return traces;
    }

    [Theory]
    [InlineData("Telemetry:Metrics:Path", "metrics", "Telemetry:Metrics:Path is 'metrics'")]
    [InlineData("Telemetry:Metrics:Path", "/metrics?x=1", "Telemetry:Metrics:Path is '/metrics?x=1'")]
    [InlineData("Telemetry:Metrics:Port", "70000", "Telemetry:Metrics:Port is 70000")]
    [InlineData("Telemetry:Metrics:Port", "abc", "Telemetry:Metrics:Port")]
    [InlineData("Telemetry:Metrics:Port", "9464", "Telemetry:Metrics:Port is 9464, but no Kestrel:Endpoints:<name>:Url listens on it")]
    [InlineData("Telemetry:Otlp:Endpoint", "collector:4317", "Telemetry:Otlp:Endpoint is 'collector:4317'")]
    [InlineData("Telemetry:Enabled", "maybe", "Telemetry:Enabled")]
    [InlineData("Telemetry:TraceSampleRatio", "1.5", "Telemetry:TraceSampleRatio is 1.5")]
    [InlineData("Telemetry:MaxTracesPerSecond", "-1", "Telemetry:MaxTracesPerSecond is -1")]
    public void Settings_that_cannot_work_refuse_the_start_with_one_line(string key, string value, string expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [key] = value }).Build();

        var refusal = Assert.Throws<StartupRefusedException>(() => TelemetryRegistration.ThrowIfInvalid(configuration));

        Assert.StartsWith("LearnHub cannot start: ", refusal.Line, StringComparison.Ordinal);
        Assert.Contains(expected, refusal.Line, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', refusal.Line);
    }

    /// <summary>Every span the host's tracer provider ended, as its exporter would get them.</summary>
    private sealed class EndedSpans : BaseProcessor<Activity>
    {
        private readonly ConcurrentQueue<Activity> ended = new();

        public IReadOnlyList<Activity> All => [.. ended];

        public IEnumerable<Activity> Of(ActivityTraceId trace) => ended.Where(a => a.TraceId == trace);

        public override void OnEnd(Activity data) => ended.Enqueue(data);
    }

    /// <summary>Log entries as the console writes them: formatted by the product's formatter on the logging thread.</summary>
    private sealed class FormattedLines : ILoggerProvider
    {
        private readonly LogLineConsoleFormatter formatter = new(new FixedOptions());
        private readonly ConcurrentQueue<string> lines = new();

        public IReadOnlyList<string> All => [.. lines];

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose() => formatter.Dispose();

        private sealed class Logger(FormattedLines owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                using var text = new StringWriter();
                owner.formatter.Write(new LogEntry<TState>(logLevel, category, eventId, state, exception, formatter), null, text);
                owner.lines.Enqueue(text.ToString().TrimEnd('\n'));
            }
        }

        private sealed class FixedOptions : IOptionsMonitor<ConsoleFormatterOptions>
        {
            public ConsoleFormatterOptions CurrentValue { get; } = new();

            public ConsoleFormatterOptions Get(string? name) => CurrentValue;

            public IDisposable? OnChange(Action<ConsoleFormatterOptions, string?> listener) => null;
        }
    }
}
