namespace LearnHub.Server.Broadcasts;

/// <summary>
/// A broadcast was approved (after commit). Online followers' inbox streams listen, so approval itself writes nothing
/// per follower. Listeners run on the approving thread and must be quick.
/// </summary>
public sealed class BroadcastEvents
{
    private readonly Lock gate = new();
    private Action<string>[] approvedListeners = [];

    public void Approved(string creatorId)
    {
        foreach (var listener in Volatile.Read(ref approvedListeners))
        {
            listener(creatorId);
        }
    }

    public IDisposable OnApproved(Action<string> listener)
    {
        lock (gate)
        {
            approvedListeners = [.. approvedListeners, listener];
        }
        return new Unsubscriber(this, listener);
    }

    private sealed class Unsubscriber(BroadcastEvents owner, Action<string> listener) : IDisposable
    {
        public void Dispose()
        {
            lock (owner.gate)
            {
                owner.approvedListeners = owner.approvedListeners.Where(l => l != listener).ToArray();
            }
        }
    }
}
