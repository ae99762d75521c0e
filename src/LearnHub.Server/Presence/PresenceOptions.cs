namespace LearnHub.Server.Presence;

/// <summary>Live presence settings (section "Presence").</summary>
public sealed class PresenceOptions
{
    public const string Section = "Presence";

    /// <summary>Concurrent watch streams one user may hold across all sessions; past it, RESOURCE_EXHAUSTED.</summary>
    public int MaxStreamsPerUser { get; set; } = 10;

    /// <summary>
    /// Concurrent token-less watch streams from one client address (an IPv6 client by its /64) on this node; past it,
    /// RESOURCE_EXHAUSTED. A page open in several tabs behind one NAT holds one each. The connection's address is used:
    /// behind a proxy, configure forwarded headers.
    /// </summary>
    public int MaxAnonymousStreamsPerAddress { get; set; } = 20;

    /// <summary>
    /// The shortest gap between two count pushes for one session: the first change after a quiet spell is pushed at
    /// once, the rest of a burst in one trailing push carrying the count at that moment.
    /// </summary>
    public TimeSpan PushInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How often live sessions' counts, peaks and watch times are written to the store.</summary>
    public TimeSpan SampleInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Stamps periodic samples with the start of their <see cref="SampleInterval"/> rather than the moment taken, so
    /// several nodes sampling the same session write the same rows (set when presence is shared through Redis).
    /// </summary>
    public bool SampleOnIntervalGrid { get; set; }

    /// <summary>
    /// Sustained live hub invocations per second per user (all their dashboard connections on this node together); a
    /// dashboard calls a few times when it opens or reconnects, so only a runaway or hostile client meets the limit.
    /// </summary>
    public int HubInvocationsPerSecond { get; set; } = 5;

    /// <summary>Live hub invocations a user may make at once before <see cref="HubInvocationsPerSecond"/> applies.</summary>
    public int HubInvocationBurst { get; set; } = 20;
}
