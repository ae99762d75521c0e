using System.Diagnostics;
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
    private static readonly SamplingResult Recorded = new(SamplingDecision.RecordAndSample);

    public static Sampler Create(TelemetryOptions settings, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(time);
        return new CappedSampler(
            settings.TraceSampleRatio >= 1 ? null : new TraceIdRatioBasedSampler(settings.TraceSampleRatio),
            settings.MaxTracesPerSecond > 0 ? new TraceBudget(settings.MaxTracesPerSecond, time) : null);
    }

    /// <summary>
    /// One sampler rather than OpenTelemetry's parent-based one around three others: every request's span asks it, so
    /// it decides in one call and, for a new trace, with one comparison (docs/benchmarks.md, Run 20).
    /// </summary>
    private sealed class CappedSampler(TraceIdRatioBasedSampler? ratio, TraceBudget? budget) : Sampler, IDisposable
    {
        public override SamplingResult ShouldSample(in SamplingParameters samplingParameters)
        {
            var parent = samplingParameters.ParentContext;
            if (parent.TraceId == default)
            {
                // A new trace starts at a call or a scheduler step. A store or Redis command outside them (Quartz polling
                // PostgreSQL, migrations) is a client span without a parent: never recorded, as SQLite's are never
                // made, and it spends no budget.
                return samplingParameters.Kind == ActivityKind.Client
                    || (ratio is not null && ratio.ShouldSample(samplingParameters).Decision == SamplingDecision.Drop)
                    ? Dropped
                    : Spend();
            }
            if ((parent.TraceFlags & ActivityTraceFlags.Recorded) == 0)
            {
                return Dropped; // the caller's or the enclosing span's choice not to record
            }
            // Inside a recorded trace of this node: follow it. A caller's sampled trace: within the same budget.
            return parent.IsRemote ? Spend() : Recorded;
        }

        /// <summary>The tracer provider disposes its sampler: the budget's timer stops with it.</summary>
        public void Dispose() => budget?.Dispose();

        private SamplingResult Spend() => budget is null || budget.TryTake() ? Recorded : Dropped;
    }

    /// <summary>
    /// At most <paramref name="perSecond"/> traces in each second of <paramref name="time"/>, counted from the sampler's
    /// creation (so a burst at a second's end and the next one's start may record twice the budget within a second,
    /// never more). A timer of <paramref name="time"/> opens each second, so a call asks no clock: a busy node asks once
    /// per call and all but the budget's first few are refused by one read (docs/benchmarks.md, "Telemetry cost",
    /// Run 48). A timer that fires late makes that second longer, never its budget bigger.
    /// </summary>
    private sealed class TraceBudget : IDisposable
    {
        private readonly int perSecond;
        private readonly ITimer nextSecond;
        private int taken;

        public TraceBudget(int perSecond, TimeProvider time)
        {
            this.perSecond = perSecond;
            nextSecond = time.CreateTimer(static budget => Volatile.Write(ref ((TraceBudget)budget!).taken, 0), this, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        }

        public bool TryTake() => Volatile.Read(ref taken) < perSecond && Interlocked.Increment(ref taken) <= perSecond;

        public void Dispose() => nextSecond.Dispose();
    }
}
