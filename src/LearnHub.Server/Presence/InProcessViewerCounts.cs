using System.Collections.Concurrent;

namespace LearnHub.Server.Presence;

/// <summary>Per-user presence in this process: a user with several open streams holds several handles but counts once.</summary>
public sealed class InProcessViewerCounts : ILiveViewerCounts
{
    private readonly ConcurrentDictionary<string, SessionViewers> sessions = new(StringComparer.Ordinal);
    private readonly Hosting.Listeners<string> changed = new();

    public int CurrentViewers(string sessionId) => sessions.TryGetValue(sessionId, out var viewers) ? viewers.Count : 0;

    public int ViewersHere() => sessions.Values.Sum(viewers => viewers.Count);

    public IDisposable Join(string sessionId, string userId)
    {
        var viewers = sessions.GetOrAdd(sessionId, _ => new SessionViewers());
        if (viewers.Add(userId))
        {
            Notify(sessionId);
        }
        return new Handle(this, sessionId, viewers, userId);
    }

    public IDisposable OnChanged(Action<string> listener) => changed.Subscribe(listener);

    private void Leave(string sessionId, SessionViewers viewers, string userId)
    {
        if (viewers.Remove(userId))
        {
            Notify(sessionId);
        }
    }

    private void Notify(string sessionId) => changed.Publish(sessionId);

    private sealed class SessionViewers
    {
        private readonly Dictionary<string, int> streamsPerUser = new(StringComparer.Ordinal);
        private readonly Lock gate = new();
        private int count;

        public int Count => Volatile.Read(ref count);

        /// <summary>True when the user was not present before (the count changed).</summary>
        public bool Add(string userId)
        {
            lock (gate)
            {
                var streams = streamsPerUser.GetValueOrDefault(userId);
                streamsPerUser[userId] = streams + 1;
                count = streamsPerUser.Count;
                return streams == 0;
            }
        }

        /// <summary>True when the user's last stream closed (the count changed).</summary>
        public bool Remove(string userId)
        {
            lock (gate)
            {
                if (!streamsPerUser.TryGetValue(userId, out var streams))
                {
                    return false;
                }
                if (streams > 1)
                {
                    streamsPerUser[userId] = streams - 1;
                    return false;
                }
                streamsPerUser.Remove(userId);
                count = streamsPerUser.Count;
                return true;
            }
        }
    }

    private sealed class Handle(InProcessViewerCounts owner, string sessionId, SessionViewers viewers, string userId) : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0)
            {
                owner.Leave(sessionId, viewers, userId);
            }
        }
    }
}
