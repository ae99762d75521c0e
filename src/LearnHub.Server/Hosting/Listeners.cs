namespace LearnHub.Server.Hosting;

/// <summary>
/// A copy-on-write list of in-process listeners: publishing reads a snapshot without locking, so a publisher on a hot
/// path never waits for someone subscribing. Listeners run on the publisher's thread and must be quick.
/// </summary>
public sealed class Listeners<T>
{
    private readonly Lock gate = new();
    private Action<T>[] listeners = [];

    public void Publish(T value)
    {
        foreach (var listener in Volatile.Read(ref listeners))
        {
            listener(value);
        }
    }

    public IDisposable Subscribe(Action<T> listener)
    {
        lock (gate)
        {
            listeners = [.. listeners, listener];
        }
        return new Subscription(this, listener);
    }

    private sealed class Subscription(Listeners<T> owner, Action<T> listener) : IDisposable
    {
        public void Dispose()
        {
            lock (owner.gate)
            {
                owner.listeners = owner.listeners.Where(l => l != listener).ToArray();
            }
        }
    }
}
