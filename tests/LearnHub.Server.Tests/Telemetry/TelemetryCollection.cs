namespace LearnHub.Server.Tests.Telemetry;

/// <summary>
/// The telemetry tests run alone: OpenTelemetry listens to every meter named LearnHub and every activity source it traces
/// by name, in the whole process. Hosts of tests running beside them (submitting broadcasts, opening streams, answering
/// calls) would move the exact counts the scrape tests assert, and their requests would spend a tracing host's trace
/// budget (its sampler decides for every request the process serves, and its test clock is frozen in one second).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryCollection
{
    public const string Name = "Telemetry";
}
