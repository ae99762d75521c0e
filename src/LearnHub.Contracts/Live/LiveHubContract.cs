namespace LearnHub.Api.Live;

/// <summary>
/// The live dashboard hub at <see cref="Path"/> (SignalR, JSON). Instructors, reviewers and admins may connect;
/// an instructor sees only their own sessions. Nothing is polled: the server pushes every change.
/// </summary>
public static class LiveHub
{
    public const string Path = "/hubs/live";

    /// <summary>Hub method names, for untyped clients (Node's @microsoft/signalr).</summary>
    public static class Methods
    {
        /// <summary>Joins the live-sessions feed; returns every live session the caller may see.</summary>
        public const string WatchLiveSessions = nameof(ILiveHubServer.WatchLiveSessions);

        /// <summary>Joins one session's feed; returns its state now. Refused for another instructor's session.</summary>
        public const string WatchSession = nameof(ILiveHubServer.WatchSession);

        public const string StopWatchingSession = nameof(ILiveHubServer.StopWatchingSession);
    }

    /// <summary>Client handler names the server pushes to.</summary>
    public static class Events
    {
        public const string ViewerCountChanged = nameof(ILiveHubClient.ViewerCountChanged);
        public const string SessionStatusChanged = nameof(ILiveHubClient.SessionStatusChanged);
    }
}

/// <summary>What a dashboard may call on the hub.</summary>
public interface ILiveHubServer
{
    Task<IReadOnlyList<LiveSessionView>> WatchLiveSessions();

    Task<LiveSessionView> WatchSession(string sessionId);

    Task StopWatchingSession(string sessionId);
}

/// <summary>What the hub pushes to dashboards.</summary>
public interface ILiveHubClient
{
    /// <summary>A session's viewer count changed (coalesced; the last push is the true count).</summary>
    Task ViewerCountChanged(ViewerCountChange change);

    /// <summary>A session changed status or schedule (went live, ended, cancelled, extended, rescheduled).</summary>
    Task SessionStatusChanged(LiveSessionView session);
}

/// <summary>A session as a dashboard shows it. <see cref="Status"/> is "Scheduled", "Live", "Ended" or "Cancelled".</summary>
public sealed record LiveSessionView(
    string SessionId,
    string Title,
    string InstructorId,
    string InstructorName,
    string Status,
    int Viewers,
    int ReservationCount,
    DateTimeOffset PlannedStart,
    DateTimeOffset PlannedEnd,
    DateTimeOffset? LiveAt,
    DateTimeOffset? EndedAt);

/// <summary>
/// A session's count of distinct users present: watching when <see cref="Status"/> is "Live", waiting before.
/// <see cref="Sequence"/> grows per session, so a client can drop a late, out-of-order push.
/// </summary>
public sealed record ViewerCountChange(string SessionId, string Status, int Viewers, DateTimeOffset At, long Sequence);
