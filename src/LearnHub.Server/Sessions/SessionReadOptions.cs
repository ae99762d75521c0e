namespace LearnHub.Server.Sessions;

/// <summary>How the busiest reads (GetSession, 直播推荐) are served from memory: <see cref="SessionReadCache"/>, <see cref="RecommendationsSnapshot"/>.</summary>
public sealed class SessionReadOptions
{
    public const string Section = "SessionReads";

    /// <summary>
    /// Changes reach every node's caches through the session events (at once on the node that made them, within the
    /// Redis relay's delay on the others). A relay is at most once: a cached value older than this is read again and
    /// the panel is rebuilt at least this often, so a change whose message was lost is seen within this bound.
    /// </summary>
    public TimeSpan MissedEventBound { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How many upcoming sessions the panel keeps in memory; 更多 > beyond them reads the store.</summary>
    public int PanelUpcomingLimit { get; set; } = 500;

    /// <summary>Sessions kept for GetSession (each with its description, up to 2,000 characters).</summary>
    public int MaxCachedSessions { get; set; } = 10_000;

    /// <summary>Users whose reserved sessions and time zone are kept.</summary>
    public int MaxCachedUsers { get; set; } = 100_000;

    /// <summary>After a failed rebuild of the panel (the store away), the last panel is served and a rebuild is tried again after this.</summary>
    public TimeSpan RebuildRetryDelay { get; set; } = TimeSpan.FromSeconds(1);
}
