namespace LearnHub.Server.Telemetry;

/// <summary>The <c>Telemetry</c> settings (docs/operations.md, "Metrics and traces").</summary>
public sealed class TelemetryOptions
{
    public const string Section = "Telemetry";

    /// <summary>False registers no OpenTelemetry at all: no meters are listened to, no spans recorded, no endpoint.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Records spans (gRPC calls, scheduler jobs, store calls, Redis). Unset: only when an OTLP endpoint is configured,
    /// as spans with nowhere to go would only cost; true: always (for a tracer provider configured in code); false:
    /// never. Metrics do not depend on it.
    /// </summary>
    public bool? Tracing { get; set; }

    /// <summary>
    /// The share of traces started here that are recorded (0–1); a call continuing a caller's trace follows the
    /// caller's choice. Unrecorded calls still carry a trace id (log lines, traceparent), at almost no cost.
    /// </summary>
    public double TraceSampleRatio { get; set; } = 1.0;

    /// <summary>
    /// At most this many traces recorded per second on this node (those the ratio picks and those a caller sends
    /// sampled), so tracing costs a bounded amount however busy the node is; 0 lifts the cap.
    /// </summary>
    public int MaxTracesPerSecond { get; set; } = 100;

    public MetricsEndpointOptions Metrics { get; set; } = new();

    public OtlpOptions Otlp { get; set; } = new();

    /// <summary>How often at most the review queue's gauges read the store; scrapes in between see the last reading.</summary>
    public TimeSpan ReviewQueueReadInterval { get; set; } = TimeSpan.FromSeconds(15);
}

public sealed class MetricsEndpointOptions
{
    /// <summary>The Prometheus scrape path; empty turns the endpoint off.</summary>
    public string? Path { get; set; } = "/metrics";

    /// <summary>When set, the scrape path answers only on this local port (e.g. a third Kestrel endpoint).</summary>
    public int? Port { get; set; }
}

public sealed class OtlpOptions
{
    /// <summary>An OTLP collector (e.g. http://collector:4317); unset, and no OTEL_EXPORTER_OTLP_ENDPOINT, means no OTLP.</summary>
    public string? Endpoint { get; set; }

    /// <summary>
    /// Whether metrics go to the collector too (traces and logs always do). Unset: only when the Prometheus endpoint is
    /// off, as a second exporter would cost every measurement twice.
    /// </summary>
    public bool? Metrics { get; set; }
}
