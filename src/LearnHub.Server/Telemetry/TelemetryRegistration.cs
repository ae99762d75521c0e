using LearnHub.Server.Hosting;
using LearnHub.Server.ScaleOut;
using Microsoft.AspNetCore.RateLimiting;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace LearnHub.Server.Telemetry;

/// <summary>
/// OpenTelemetry for the host: the framework's meters and the product's (<see cref="LearnHubMetrics"/>) behind a
/// Prometheus scrape endpoint and, when an endpoint is configured, OTLP; spans for calls, scheduler jobs, store calls
/// and Redis. Settings in <see cref="TelemetryOptions"/>; docs/operations.md, "Metrics and traces".
/// </summary>
public static class TelemetryRegistration
{
    /// <summary>
    /// The framework meters exported beside the product's. Not ASP.NET Core's hosting meter: it does metrics work for
    /// every request, gRPC calls included; requests are timed by <see cref="GrpcCallMetrics"/> and
    /// <see cref="WebRequestMetrics"/> instead. Grpc.AspNetCore.Server 2.85 counts calls with EventCounters, not a meter.
    /// </summary>
    public static readonly IReadOnlyList<string> FrameworkMeters =
    [
        "Microsoft.AspNetCore.Server.Kestrel",
        "Microsoft.AspNetCore.Http.Connections",
        "Microsoft.AspNetCore.Routing",
        "Microsoft.AspNetCore.Diagnostics",
        "Microsoft.AspNetCore.RateLimiting",
        "Microsoft.AspNetCore.Authentication",
        "Microsoft.AspNetCore.Authorization",
        "Grpc.AspNetCore.Server",
        "System.Runtime",
        "System.Net.Http",
        "Npgsql",
    ];

    /// <summary>Framework instruments dropped: recorded on every call, each a cost without a figure an operator watches.</summary>
    public static readonly IReadOnlyList<string> HotPathInstruments =
    [
        "aspnetcore.memory_pool.*",
        "aspnetcore.routing.match_attempts",
        "aspnetcore.rate_limiting.*",
        "kestrel.queued_requests",
    ];

    /// <summary>Call after the features (Redis scale-out included): the Redis instrumentation needs to know of it.</summary>
    public static WebApplicationBuilder AddLearnHubTelemetry(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var settings = ThrowIfInvalid(builder.Configuration);
        var services = builder.Services;
        services.AddOptions<TelemetryOptions>().BindConfiguration(TelemetryOptions.Section);
        // Features record through these whether or not anything listens; with nothing listening a recording is a no-op.
        services.AddSingleton<ReviewQueueReading>();
        services.AddSingleton<LearnHubMetrics>();
        services.AddSingleton<GrpcCallMetrics>();
        services.AddSingleton<WebRequestMetrics>();
        // Log entries written during a call or a job carry its trace (the console format writes them, see LogLineConsoleFormatter).
        builder.Logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId | ActivityTrackingOptions.ParentId);
        if (!settings.Enabled)
        {
            return builder;
        }

        var otlp = OtlpTarget.From(settings.Otlp, builder.Configuration);
        // Metrics go to one place: each exporter has its own copy of every instrument's figures, so a second one would
        // double what each measurement costs the call (docs/benchmarks.md, "Telemetry cost", Run 14).
        var otlpMetrics = otlp is not null && (settings.Otlp.Metrics ?? !IsOn(settings.Metrics.Path));
        var otel = services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("learnhub", serviceVersion: typeof(TelemetryRegistration).Assembly.GetName().Version?.ToString()))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(LearnHubMetrics.MeterName, GrpcCallMetrics.MeterName, WebRequestMetrics.MeterName).AddMeter([.. FrameworkMeters]);
                // ASP.NET Core's meters are in FrameworkMeters: OpenTelemetry's ASP.NET Core instrumentation would add only a
                // middleware on every request (to label exceptions), a cost on the hot path for a rare label.
                metrics.AddRuntimeInstrumentation().AddNpgsqlInstrumentation();
                // Instruments recorded on every call that say nothing rpc.server.call.duration does not: each
                // measurement costs the SDK a tag lookup, and together they cost Ping about 10 % of its throughput
                // (docs/benchmarks.md, "Telemetry"). Kestrel's buffer pool counts every rent and return (several per
                // call); routing counts match attempts; the rate limiter's lease, queue and request instruments time
                // every call (refusals are counted by learnhub.rate_limit.refusals); Kestrel's queued requests move
                // twice per HTTP/2 stream (Kestrel's connection counts stay).
                foreach (var perCall in HotPathInstruments)
                {
                    metrics.AddView(perCall, MetricStreamConfiguration.Drop);
                }
                if (IsOn(settings.Metrics.Path))
                {
                    // Prometheus scrapes every 15–60 s; the short cache only spares the work when several scrapers come at once.
                    metrics.AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0);
                }
                if (otlpMetrics)
                {
                    metrics.AddOtlpExporter(o => otlp!.Configure(o, "metrics"));
                }
            });
        // Spans only when they go somewhere: recording them for no exporter would cost every call for nothing (log lines
        // carry the call's trace id either way: ASP.NET Core makes the request's Activity for its log scope).
        if (settings.Tracing ?? otlp is not null)
        {
            otel.WithTracing(tracing =>
            {
                tracing.SetSampler(sp => TraceSampling.Create(settings, sp.GetRequiredService<TimeProvider>()))
                    .AddSource(LearnHubTracing.SourceName)
                    // ASP.NET Core's own request spans, named and labelled by RequestSpans (not the DiagnosticListener-based
                    // instrumentation: its callbacks cost every request, recorded or not).
                    .AddSource(RequestSpans.AspNetCoreSource)
                    // Hub method invocations (the live dashboard's WatchSession, WatchLiveSessions).
                    .AddSource("Microsoft.AspNetCore.SignalR.Server")
                    .AddNpgsql();
                if (RedisSettings.IsConfigured(builder.Configuration))
                {
                    // Takes the IConnectionMultiplexer that scale-out registered.
                    tracing.AddRedisInstrumentation();
                }
                if (otlp is not null)
                {
                    tracing.AddOtlpExporter(o => otlp.Configure(o, "traces"));
                }
            });
        }
        if (otlp is not null)
        {
            otel.WithLogging(logging => logging.AddOtlpExporter(o => otlp.Configure(o, "logs")));
        }
        return builder;
    }

    /// <summary>
    /// The gRPC calls' own duration histogram (<see cref="GrpcCallMetrics"/>); for web requests, the Prometheus endpoint,
    /// first in their pipeline after draining: anonymous, and past none of the console's middleware (cookie
    /// authentication, antiforgery, security headers) nor the gRPC call authentication, then their duration histogram
    /// (<see cref="WebRequestMetrics"/>). Both name the request spans (<see cref="RequestSpans"/>).
    /// </summary>
    public static IApplicationBuilder UseLearnHubTelemetry(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var settings = app.ApplicationServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<TelemetryOptions>>().Value;
        if (!settings.Enabled)
        {
            return app;
        }
        // The product's instruments exist from the first scrape (zero until something happens), not from the first
        // feature that records: a node that has served no stream yet still shows learnhub_watch_streams 0.
        _ = app.ApplicationServices.GetRequiredService<LearnHubMetrics>();
        var calls = app.ApplicationServices.GetRequiredService<GrpcCallMetrics>();
        // The calls of the last second reach the meter provider's final export (it exports when it is disposed, after this).
        app.ApplicationServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopped.Register(calls.Flush);
        var requests = app.ApplicationServices.GetRequiredService<WebRequestMetrics>();
        var web = app.New();
        if (IsOn(settings.Metrics.Path))
        {
            web.UseOpenTelemetryPrometheusScrapingEndpoint(
                meterProvider: null,
                predicate: http => IsScrape(http, settings.Metrics),
                path: null,
                // Scrapes stay out of the traces (and, answered before the request metrics' middleware, out of those).
                configureBranchedPipeline: scrape => scrape.Use((http, next) =>
                {
                    RequestSpans.Unrecord(http);
                    // The calls that ended before the scrape, in the histogram it reads.
                    calls.Flush();
                    return next(http);
                }),
                optionsName: null);
        }
        web.Use((http, next) => requests.MeasureAsync(http, next));
        // A gRPC call is never a scrape: it goes straight to its histogram, without the scrape's test on every call.
        return app.Use(next =>
        {
            web.Run(next);
            var webPipeline = web.Build();
            return http => Grpc.GrpcTrailersOnly.IsGrpcRequest(http) ? calls.MeasureAsync(http, next) : webPipeline(http);
        });
    }

    /// <summary>Counts a refusal of ASP.NET Core's rate limiter under the endpoint's policy name.</summary>
    public static void RecordRateLimitRefusal(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var policy = http.GetEndpoint()?.Metadata.GetMetadata<EnableRateLimitingAttribute>()?.PolicyName ?? "global";
        http.RequestServices.GetRequiredService<LearnHubMetrics>().RateLimited(policy);
    }

    private static bool IsOn(string? path) => !string.IsNullOrEmpty(path);

    private static bool ListensOn(IConfiguration configuration, int port) =>
        configuration.GetSection("Kestrel:Endpoints").GetChildren().Any(endpoint =>
        {
            try
            {
                return endpoint["Url"] is { Length: > 0 } url && Microsoft.AspNetCore.Http.BindingAddress.Parse(url).Port == port;
            }
            catch (FormatException)
            {
                return false; // StartupRefusal names a malformed endpoint URL itself
            }
        });

    private static bool IsScrape(HttpContext http, MetricsEndpointOptions metrics) =>
        IsOn(metrics.Path)
        && http.Request.Path.Equals(metrics.Path, StringComparison.Ordinal)
        && (metrics.Port is not { } port || http.Connection.LocalPort == port);

    /// <summary>
    /// Where OTLP goes: <c>Telemetry:Otlp:Endpoint</c> (with <c>OTEL_EXPORTER_OTLP_PROTOCOL</c>), or the standard
    /// <c>OTEL_EXPORTER_OTLP_*</c> variables, which the exporter reads itself.
    /// </summary>
    private sealed class OtlpTarget(Uri? endpoint, OtlpExportProtocol protocol)
    {
        public static OtlpTarget? From(OtlpOptions settings, IConfiguration configuration)
        {
            var protocol = string.Equals(configuration["OTEL_EXPORTER_OTLP_PROTOCOL"], "http/protobuf", StringComparison.OrdinalIgnoreCase)
                ? OtlpExportProtocol.HttpProtobuf
                : OtlpExportProtocol.Grpc;
            return settings.Endpoint is { Length: > 0 } configured ? new OtlpTarget(new Uri(configured), protocol)
                : !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]) ? new OtlpTarget(null, protocol)
                : null;
        }

        /// <summary>One signal's exporter: over HTTP each signal has its own path (<c>/v1/traces</c> …), as the specification names them.</summary>
        public void Configure(OtlpExporterOptions options, string signal)
        {
            if (endpoint is null)
            {
                return; // OTEL_EXPORTER_OTLP_ENDPOINT, _PROTOCOL, _HEADERS … as the OpenTelemetry specification names them
            }
            options.Protocol = protocol;
            options.Endpoint = protocol == OtlpExportProtocol.HttpProtobuf
                ? new Uri($"{endpoint.AbsoluteUri.TrimEnd('/')}/v1/{signal}")
                : endpoint;
        }
    }

    /// <summary>Settings that cannot work refuse the start with one line (docs/operations.md, "Start-up refusals").</summary>
    public static TelemetryOptions ThrowIfInvalid(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        TelemetryOptions settings;
        try
        {
            settings = configuration.GetSection(TelemetryOptions.Section).Get<TelemetryOptions>() ?? new TelemetryOptions();
        }
        catch (InvalidOperationException e)
        {
            // "Failed to convert configuration value 'abc' at 'Telemetry:Metrics:Port' to type 'System.Int32'."
            throw new StartupRefusedException(e.Message, e);
        }
        if (settings.Metrics.Path is { Length: > 0 } path
            && (path[0] != '/' || path.Length == 1 || path.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '?' or '#' or '%')))
        {
            throw new StartupRefusedException($"Telemetry:Metrics:Path is '{path}'; it must be a path like /metrics (or empty to turn the endpoint off).");
        }
        if (settings.Metrics.Port is { } port && port is < 1 or > 65535)
        {
            throw new StartupRefusedException($"Telemetry:Metrics:Port is {port}; it must be a port 1–65535 this server listens on (or unset for every port).");
        }
        if (settings.Metrics.Port is { } bound && IsOn(settings.Metrics.Path) && !ListensOn(configuration, bound))
        {
            throw new StartupRefusedException($"Telemetry:Metrics:Port is {bound}, but no Kestrel:Endpoints:<name>:Url listens on it: add one (e.g. Kestrel:Endpoints:Metrics:Url=http://0.0.0.0:{bound}) or unset the port.");
        }
        if (settings.Otlp.Endpoint is { Length: > 0 } endpoint
            && (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
        {
            throw new StartupRefusedException($"Telemetry:Otlp:Endpoint is '{endpoint}', not an http:// or https:// URL like http://collector:4317.");
        }
        if (settings.TraceSampleRatio is < 0 or > 1 || double.IsNaN(settings.TraceSampleRatio))
        {
            throw new StartupRefusedException($"Telemetry:TraceSampleRatio is {settings.TraceSampleRatio}; it must be between 0 (no traces) and 1 (every trace).");
        }
        if (settings.MaxTracesPerSecond < 0)
        {
            throw new StartupRefusedException($"Telemetry:MaxTracesPerSecond is {settings.MaxTracesPerSecond}; it must be 0 (no cap) or more.");
        }
        if (settings.ReviewQueueReadInterval <= TimeSpan.Zero)
        {
            throw new StartupRefusedException($"Telemetry:ReviewQueueReadInterval is {settings.ReviewQueueReadInterval}; it must be longer than zero.");
        }
        return settings;
    }
}
