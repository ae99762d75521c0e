using System.Diagnostics;
using LearnHub.Server.Telemetry;
using Microsoft.Extensions.Time.Testing;
using OpenTelemetry.Trace;

namespace LearnHub.Server.Tests.Telemetry;

/// <summary>
/// Which traces a node records (<see cref="TraceSampling"/>): the ratio's pick, within a per-second budget shared by
/// the traces the node starts and those callers send sampled; spans inside a trace follow it.
/// </summary>
public sealed class TraceSamplingTests
{
    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2026, 5, 4, 11, 30, 0, TimeSpan.Zero));

    private Sampler Sampler(int perSecond, double ratio = 1) =>
        TraceSampling.Create(new TelemetryOptions { MaxTracesPerSecond = perSecond, TraceSampleRatio = ratio }, clock);

    private static bool Records(Sampler sampler, ActivityContext parent = default, ActivityKind kind = ActivityKind.Server) =>
        sampler.ShouldSample(new SamplingParameters(parent, parent.TraceId == default ? ActivityTraceId.CreateRandom() : parent.TraceId, "call", kind))
            .Decision == SamplingDecision.RecordAndSample;

    private static ActivityContext Caller(bool sampled) =>
        new(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), sampled ? ActivityTraceFlags.Recorded : ActivityTraceFlags.None, isRemote: true);

    private static ActivityContext LocalParent(bool sampled) =>
        new(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), sampled ? ActivityTraceFlags.Recorded : ActivityTraceFlags.None, isRemote: false);

    [Fact]
    public void Each_second_records_the_budget_and_no_more()
    {
        var sampler = Sampler(perSecond: 3);

        Assert.Equal(3, Enumerable.Range(0, 10).Count(_ => Records(sampler)));

        clock.Advance(TimeSpan.FromMilliseconds(999));
        Assert.False(Records(sampler));
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(3, Enumerable.Range(0, 10).Count(_ => Records(sampler)));
    }

    [Fact]
    public void Callers_who_say_sampled_spend_the_same_budget_and_cannot_pass_it()
    {
        var sampler = Sampler(perSecond: 2);

        Assert.True(Records(sampler, Caller(sampled: true)));
        Assert.True(Records(sampler));
        Assert.False(Records(sampler, Caller(sampled: true)));
        Assert.False(Records(sampler));
    }

    [Fact]
    public void A_caller_who_says_not_sampled_is_not_recorded_and_spends_nothing()
    {
        var sampler = Sampler(perSecond: 1);

        Assert.False(Records(sampler, Caller(sampled: false)));
        Assert.True(Records(sampler));
    }

    [Fact]
    public void Spans_inside_a_trace_follow_it_whatever_is_left_of_the_budget()
    {
        var sampler = Sampler(perSecond: 1);
        Assert.True(Records(sampler));

        Assert.True(Records(sampler, LocalParent(sampled: true)));
        Assert.True(Records(sampler, LocalParent(sampled: true)));
        Assert.False(Records(sampler, LocalParent(sampled: false)));
    }

    [Fact]
    public void The_ratio_still_picks_and_zero_lifts_the_cap()
    {
        Assert.Equal(1000, Enumerable.Range(0, 1000).Count(_ => Records(Sampler(perSecond: 0))));
        Assert.Equal(0, Enumerable.Range(0, 1000).Count(_ => Records(Sampler(perSecond: 0, ratio: 0))));
        // One in ten of random trace ids, give or take; the budget (large here) is not what limits it.
        Assert.InRange(Enumerable.Range(0, 10_000).Count(_ => Records(Sampler(perSecond: 100_000, ratio: 0.1))), 800, 1200);
    }

    [Fact]
    public void A_store_command_outside_any_call_or_step_starts_no_trace_and_spends_nothing()
    {
        var sampler = Sampler(perSecond: 1);

        // Quartz polling PostgreSQL: Npgsql's client span without a parent.
        Assert.False(Records(sampler, kind: ActivityKind.Client));
        Assert.True(Records(sampler, kind: ActivityKind.Internal));
        // Inside a recorded call or step, the store calls are part of its trace.
        Assert.True(Records(sampler, LocalParent(sampled: true), ActivityKind.Client));
        Assert.False(Records(Sampler(perSecond: 0), kind: ActivityKind.Client));
    }
}
