using LearnHub.Core.Sessions;

namespace LearnHub.Server.Sessions;

/// <summary>A session's status or schedule changed (after commit).</summary>
public sealed record SessionChanged(string SessionId, SessionStatus Status)
{
    /// <summary>
    /// The change was committed on another node and relayed here: this node updates its own watch streams and caches,
    /// while the node that made it tells the dashboards (the hub's backplane reaches them all).
    /// </summary>
    public bool FromOtherNode { get; init; }
}

/// <summary>
/// Tells in-process listeners (watch streams, dashboards, tests) that a session changed. Listeners must be quick:
/// they run on the publisher's thread.
/// </summary>
public interface ISessionEvents
{
    void Publish(SessionChanged change);

    IDisposable Subscribe(Action<SessionChanged> listener);
}

public sealed class InProcessSessionEvents : ISessionEvents
{
    private readonly Hosting.Listeners<SessionChanged> listeners = new();

    public void Publish(SessionChanged change) => listeners.Publish(change);

    public IDisposable Subscribe(Action<SessionChanged> listener) => listeners.Subscribe(listener);
}
