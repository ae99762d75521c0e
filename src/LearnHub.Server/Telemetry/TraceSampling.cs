using OpenTelemetry.Trace;

namespace LearnHub.Server.Telemetry;

/// <summary>
/// Which traces a node records: those <see cref="TelemetryOptions.TraceSampleRatio"/> picks, and of those at most
/// <see cref="TelemetryOptions.MaxTracesPerSecond"/> a second. A ratio alone costs in proportion to the load (one trace
/// in ten cost Ping 8–13 % of its throughput at 80,000 calls a second; docs/benchmarks.md, "Telemetry cost"); the cap
/// bounds it however busy the node is, while a quiet node still records every call. The cap also holds for calls
/// whose caller says its trace is sampled: a client cannot make the node record every call. Spans inside a recorded
/// trace (its store calls) follow it.
/// </summary>
public static class TraceSampling
{
    private static readonly SamplingResult Dropped = new(SamplingDecision.Drop);

    public static Sampler Create(TelemetryOptions settings, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(time);
        Sampler picked = settings.TraceSampleRatio >= 1 ? new AlwaysOnSampler() : new TraceIdRatioBasedSampler(settings.TraceSampleRatio);
        Sampler callerSampled = new AlwaysOnSampler();
        if (settings.MaxTracesPerSecond > 0)
        {
            // One budget for both: traces this node starts and traces callers send it.
            var budget = new TraceBudget(settings.MaxTracesPerSecond, time);
            picked = new BudgetedSampler(picked, budget);
            callerSampled = new BudgetedSampler(callerSampled, budget);
        }
        return new ParentBasedSampler(
            new CallsAndStepsOnly(picked),
            remoteParentSampled: callerSampled,
            remoteParentNotSampled: new AlwaysOffSampler(),
            localParentSampled: new AlwaysOnSampler(),
            localParentNotSampled: new AlwaysOffSampler());
    }

    /// <summary>
    /// Traces start at calls and scheduler steps. A store or Redis command outside them (Quartz polling PostgreSQL,
    /// migrations) is a client span without a parent: never recorded, as SQLite's are never made, and it spends no budget.
    /// </summary>
    private sealed class CallsAndStepsOnly(Sampler inner) : Sampler
    {
        public override SamplingResult ShouldSample(in SamplingParameters samplingParameters) =>
            samplingParameters.Kind == System.Diagnostics.ActivityKind.Client ? Dropped : inner.ShouldSample(samplingParameters);
    }

    /// <summary>Records what <paramref name="inner"/> records while the second's budget lasts.</summary>
    private sealed class BudgetedSampler(Sampler inner, TraceBudget budget) : Sampler
    {
        public override SamplingResult ShouldSample(in SamplingParameters samplingParameters)
        {
            var decision = inner.ShouldSample(samplingParameters);
            return decision.Decision == SamplingDecision.Drop || budget.TryTake() ? decision : Dropped;
        }
    }

    /// <summary>
    /// At most <paramref name="perSecond"/> traces in each second of <paramref name="time"/> (whole seconds, so a burst
    /// at a second's end and the next one's start may record twice the budget within a second, never more).
    /// </summary>
    private sealed class TraceBudget(int perSecond, TimeProvider time)
    {
        private readonly Lock newSecond = new();
        private long second = long.MinValue;
        private int taken;

        public bool TryTake()
        {
            var now = time.GetTimestamp() / time.TimestampFrequency;
            if (Volatile.Read(ref second) != now)
            {
                lock (newSecond)
                {
                    if (second != now)
                    {
                        Volatile.Write(ref taken, 0);
                        Volatile.Write(ref second, now);
                    }
                }
            }
            // Lock-free on every call: a busy node asks once per call, and all but the budget's first few are refused.
            return Volatile.Read(ref taken) < perSecond && Interlocked.Increment(ref taken) <= perSecond;
        }
    }
}
