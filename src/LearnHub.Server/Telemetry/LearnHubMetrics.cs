using System.Diagnostics;
using System.Diagnostics.Metrics;
using LearnHub.Server.Presence;

namespace LearnHub.Server.Telemetry;

/// <summary>
/// The product's own instruments (meter <c>LearnHub</c>, names <c>learnhub.*</c>). Labels take only values from fixed
/// sets (a step kind, an outcome, a rate-limit policy): never a session, user or free text. Recording costs a few
/// nanoseconds when nothing listens (Telemetry:Enabled=false), so features record unconditionally.
/// </summary>
public sealed class LearnHubMetrics
{
    public const string MeterName = "LearnHub";

    private readonly Histogram<double> lateness;
    private readonly Counter<long> quotaDecisions;
    private readonly Counter<long> delivered;
    private readonly UpDownCounter<long> hubConnections;
    private readonly Counter<long> rateLimitRefusals;
    private readonly Counter<long> ingestPublishes;
    private readonly Counter<long> ingestStops;
    private readonly Counter<long> ingestLostStreams;
    private readonly Counter<long> ingestCallbackRefusals;
    private readonly TimeProvider clock;

    public LearnHubMetrics(IMeterFactory meters, WatchStreams streams, ILiveViewerCounts viewers, ReviewQueueReading reviewQueue, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(meters);
        this.clock = clock;
        var meter = meters.Create(MeterName);
        meter.CreateObservableGauge("learnhub.watch.streams", () => streams.OpenCount, "{stream}",
            "WatchSession streams open on this node.");
        meter.CreateObservableGauge("learnhub.watch.viewers", () => viewers.ViewersHere(), "{viewer}",
            "People watching a live session through this node: distinct signed-in users per session, summed over sessions.");
        lateness = meter.CreateHistogram("learnhub.scheduler.lateness", "s",
            "How long after its due time a scheduler step started running.", tags: null,
            new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900] });
        quotaDecisions = meter.CreateCounter<long>("learnhub.broadcast.quota.decisions", "{decision}",
            "Weekly broadcast quota decisions, by outcome: frozen (submitted), consumed (approved), returned (rejected, withdrawn, expired), refused (none left).");
        meter.CreateObservableGauge("learnhub.review.queue.depth", () => reviewQueue.Read().Depth, "{broadcast}",
            "Broadcasts waiting for review.");
        meter.CreateObservableGauge("learnhub.review.queue.oldest_age", () => reviewQueue.Read().OldestAgeSeconds, "s",
            "How long the oldest broadcast waiting for review has waited (0 when none waits).");
        delivered = meter.CreateCounter<long>("learnhub.broadcasts.delivered", "{delivery}",
            "Broadcasts delivered into followers' inboxes (one per follower and broadcast).");
        hubConnections = meter.CreateUpDownCounter<long>("learnhub.hub.connections", "{connection}",
            "Live dashboard hub connections open on this node.");
        rateLimitRefusals = meter.CreateCounter<long>("learnhub.rate_limit.refusals", "{refusal}",
            "Calls refused by a rate limit, by policy.");
        ingestPublishes = meter.CreateCounter<long>("learnhub.ingest.publishes", "{publish}",
            "RTMP publishes nginx asked about (on_publish), by outcome: went-live, resumed (back within the reconnect grace), repeated (the accepted publish again), or why it was refused.");
        ingestStops = meter.CreateCounter<long>("learnhub.ingest.stops", "{stop}",
            "Streams that stopped while their session was live: each starts a reconnect grace.");
        ingestLostStreams = meter.CreateCounter<long>("learnhub.ingest.lost_streams", "{session}",
            "Live sessions ended because their stream did not come back within the reconnect grace.");
        ingestCallbackRefusals = meter.CreateCounter<long>("learnhub.ingest.callback.refusals", "{callback}",
            "nginx callbacks refused before reading the stream key, by reason: forbidden (wrong secret or address) or malformed.");
    }

    public void QuotaDecided(QuotaOutcome outcome) => quotaDecisions.Add(1, new KeyValuePair<string, object?>("outcome", outcome switch
    {
        QuotaOutcome.Frozen => "frozen",
        QuotaOutcome.Consumed => "consumed",
        QuotaOutcome.Returned => "returned",
        _ => "refused",
    }));

    public void BroadcastsDelivered(int count)
    {
        if (count > 0)
        {
            delivered.Add(count);
        }
    }

    public void HubConnected() => hubConnections.Add(1);

    public void HubDisconnected() => hubConnections.Add(-1);

    /// <summary>A call refused by <paramref name="policy"/>: a policy name from the code, never a caller's value.</summary>
    public void RateLimited(string policy) => rateLimitRefusals.Add(1, new KeyValuePair<string, object?>("policy", policy));

    /// <summary>An on_publish callback decided, counted once: an accepted one after its commit.</summary>
    public void IngestPublished(IngestPublishOutcome outcome) => ingestPublishes.Add(1, new KeyValuePair<string, object?>("outcome", outcome switch
    {
        IngestPublishOutcome.WentLive => "went-live",
        IngestPublishOutcome.Resumed => "resumed",
        IngestPublishOutcome.Repeated => "repeated",
        IngestPublishOutcome.UnknownKey => "unknown-key",
        IngestPublishOutcome.OutsideWindow => "outside-window",
        IngestPublishOutcome.InstructorBusy => "instructor-busy",
        IngestPublishOutcome.AlreadyReceiving => "already-receiving",
        IngestPublishOutcome.StoppedPublisher => "stopped-publisher",
        _ => "session-over",
    }));

    /// <summary>The stream a live session was receiving stopped (its reconnect grace began).</summary>
    public void IngestStopped() => ingestStops.Add(1);

    /// <summary>A live session ended because its stream stayed away for the whole reconnect grace.</summary>
    public void IngestStreamLost() => ingestLostStreams.Add(1);

    /// <summary>An nginx callback refused as <c>forbidden</c> or <c>malformed</c> (a reason from the code, never the caller's).</summary>
    public void IngestCallbackRefused(string reason) => ingestCallbackRefusals.Add(1, new KeyValuePair<string, object?>("reason", reason));

    /// <summary>
    /// A scheduler step starts: records how late it is against <paramref name="due"/> and returns the span of this run
    /// (null when tracing is off). Dispose it when the step ends; a failure is marked by <see cref="LearnHubTracing.Fail"/>.
    /// </summary>
    public Activity? StepStarted(string step, DateTimeOffset due, string? sessionId = null)
    {
        var kind = SchedulerSteps.Kind(step);
        var late = clock.GetUtcNow() - due;
        lateness.Record(Math.Max(0, late.TotalSeconds), new KeyValuePair<string, object?>("step", kind));
        // A job runs on Quartz's thread, outside any request: its span starts a trace of its own.
        var activity = LearnHubTracing.Source.StartActivity("scheduler " + kind, ActivityKind.Internal, parentContext: default);
        activity?.SetTag("learnhub.step", kind);
        // A span may name its session (unlike a metric label: spans are sampled and stored one by one).
        activity?.SetTag("learnhub.session_id", sessionId);
        return activity;
    }
}

public enum QuotaOutcome
{
    Frozen,
    Consumed,
    Returned,
    Refused,
}

/// <summary>What an RTMP publish came to (<c>learnhub.ingest.publishes</c>'s outcome label).</summary>
public enum IngestPublishOutcome
{
    /// <summary>A scheduled session went live on its stream.</summary>
    WentLive,

    /// <summary>A live session receives a stream again (back within the grace, or the first one after 开播).</summary>
    Resumed,

    /// <summary>The publish already accepted, again (a replay, or a second node): same answer, no change.</summary>
    Repeated,

    UnknownKey,
    OutsideWindow,

    /// <summary>Early, while the instructor's previous session is still on.</summary>
    InstructorBusy,

    /// <summary>Another stream is already being received.</summary>
    AlreadyReceiving,

    /// <summary>A replay of a publish that has since stopped.</summary>
    StoppedPublisher,

    /// <summary>The session ended or was cancelled.</summary>
    SessionOver,
}

/// <summary>The step kinds a lateness label may take.</summary>
public static class SchedulerSteps
{
    public const string BroadcastExpiry = "broadcast-expiry";

    public static string Kind(string step) => step switch
    {
        Sessions.SessionStep.Reminder => Sessions.SessionStep.Reminder,
        Sessions.SessionStep.GoLive => Sessions.SessionStep.GoLive,
        Sessions.SessionStep.AutoEnd => Sessions.SessionStep.AutoEnd,
        Sessions.SessionStep.IngestGraceEnd => Sessions.SessionStep.IngestGraceEnd,
        Sessions.SessionStep.LateNotice => Sessions.SessionStep.LateNotice,
        Sessions.SessionStep.NotHeld => Sessions.SessionStep.NotHeld,
        BroadcastExpiry => BroadcastExpiry,
        _ => "other",
    };
}
