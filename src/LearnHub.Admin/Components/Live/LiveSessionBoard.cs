using LearnHub.Api.Live;

namespace LearnHub.Admin.Components.Live;

/// <summary>
/// The live dashboard's list: the snapshot from the hub, then every push applied in order. A session appears when
/// it goes live and leaves when it ends or is cancelled; counts of sessions not on the board are ignored.
/// </summary>
public sealed class LiveSessionBoard
{
    private readonly Dictionary<string, LiveSessionView> sessions = new(StringComparer.Ordinal);
    private readonly ViewerCountOrder order = new();
    private readonly Dictionary<string, List<ViewerPoint>> trends = new(StringComparer.Ordinal);

    /// <summary>How far back a row's trend reaches (from its newest count).</summary>
    public static readonly TimeSpan TrendWindow = TimeSpan.FromMinutes(10);

    /// <summary>A session's counts over the last <see cref="TrendWindow"/>, oldest first (empty when unknown).</summary>
    public IReadOnlyList<ViewerPoint> Trend(string sessionId) =>
        trends.TryGetValue(sessionId, out var points) ? points : [];

    /// <summary>Longest-running first.</summary>
    public IReadOnlyList<LiveSessionView> Sessions =>
        [.. sessions.Values.OrderBy(s => s.LiveAt ?? s.PlannedStart).ThenBy(s => s.Title, StringComparer.CurrentCulture)];

    /// <summary>The hub's snapshot taken at <paramref name="now"/>; trends of sessions still live are kept.</summary>
    public void Reset(IEnumerable<LiveSessionView> live, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(live);
        sessions.Clear();
        order.Reset();
        foreach (var session in live.Where(s => s.Status == LiveStatuses.Live))
        {
            sessions[session.SessionId] = session;
            AddPoint(session.SessionId, now, session.Viewers);
        }
        foreach (var gone in trends.Keys.Except(sessions.Keys, StringComparer.Ordinal).ToList())
        {
            trends.Remove(gone);
        }
    }

    private void AddPoint(string sessionId, DateTimeOffset at, int viewers)
    {
        if (!trends.TryGetValue(sessionId, out var points))
        {
            points = [];
            trends[sessionId] = points;
        }
        if (points.Count > 0 && at < points[^1].At)
        {
            return;
        }
        points.Add(new ViewerPoint(at, viewers));
        // Keep one point from before the window, so the line starts at the window's left edge with the count then.
        while (points.Count > 2 && points[1].At <= at - TrendWindow)
        {
            points.RemoveAt(0);
        }
    }

    /// <summary>Applies a count push; false when it changes nothing (unknown session or out of order).</summary>
    public bool Apply(ViewerCountChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (!sessions.TryGetValue(change.SessionId, out var session) || !order.Accept(change))
        {
            return false;
        }
        sessions[change.SessionId] = session with { Viewers = change.Viewers };
        AddPoint(change.SessionId, change.At, change.Viewers);
        return true;
    }

    /// <summary>Applies a status push: a live session is added or updated; any other status takes it off the board.</summary>
    public bool Apply(LiveSessionView session)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (session.Status == LiveStatuses.Live)
        {
            sessions[session.SessionId] = session;
            return true;
        }
        order.Forget(session.SessionId);
        trends.Remove(session.SessionId);
        return sessions.Remove(session.SessionId);
    }
}
