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

    /// <summary>Longest-running first.</summary>
    public IReadOnlyList<LiveSessionView> Sessions =>
        [.. sessions.Values.OrderBy(s => s.LiveAt ?? s.PlannedStart).ThenBy(s => s.Title, StringComparer.CurrentCulture)];

    public void Reset(IEnumerable<LiveSessionView> live)
    {
        ArgumentNullException.ThrowIfNull(live);
        sessions.Clear();
        order.Reset();
        foreach (var session in live.Where(s => s.Status == LiveStatuses.Live))
        {
            sessions[session.SessionId] = session;
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
        return sessions.Remove(session.SessionId);
    }
}
