using LearnHub.Core.Sessions;

namespace LearnHub.Server.Sessions;

/// <summary>A session's status or schedule changed (after commit).</summary>
public sealed record SessionChanged(string SessionId, SessionStatus Status);

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
    private readonly Lock gate = new();
    private Action<SessionChanged>[] listeners = [];

    public void Publish(SessionChanged change)
    {
        foreach (var listener in Volatile.Read(ref listeners))
        {
            listener(change);
        }
    }

    public IDisposable Subscribe(Action<SessionChanged> listener)
    {
        lock (gate)
        {
            listeners = [.. listeners, listener];
        }
        return new Unsubscriber(this, listener);
    }

    private void Unsubscribe(Action<SessionChanged> listener)
    {
        lock (gate)
        {
            listeners = listeners.Where(l => l != listener).ToArray();
        }
    }

    private sealed class Unsubscriber(InProcessSessionEvents owner, Action<SessionChanged> listener) : IDisposable
    {
        public void Dispose() => owner.Unsubscribe(listener);
    }
}
