using System.Collections.Concurrent;

namespace LearnHub.Server.Presence;

/// <summary>Per-user presence in this process: a user with several open streams holds several handles but counts once.</summary>
public sealed class InProcessViewerCounts : ILiveViewerCounts
{
    private readonly ConcurrentDictionary<string, SessionViewers> sessions = new(StringComparer.Ordinal);

    public int CurrentViewers(string sessionId) => sessions.TryGetValue(sessionId, out var viewers) ? viewers.Count : 0;

    public IDisposable Join(string sessionId, string userId)
    {
        var viewers = sessions.GetOrAdd(sessionId, _ => new SessionViewers());
        viewers.Add(userId);
        return new Handle(viewers, userId);
    }

    private sealed class SessionViewers
    {
        private readonly Dictionary<string, int> streamsPerUser = new(StringComparer.Ordinal);
        private readonly Lock gate = new();

        public int Count
        {
            get
            {
                lock (gate)
                {
                    return streamsPerUser.Count;
                }
            }
        }

        public void Add(string userId)
        {
            lock (gate)
            {
                streamsPerUser[userId] = streamsPerUser.GetValueOrDefault(userId) + 1;
            }
        }

        public void Remove(string userId)
        {
            lock (gate)
            {
                if (streamsPerUser.TryGetValue(userId, out var streams))
                {
                    if (streams <= 1)
                    {
                        streamsPerUser.Remove(userId);
                    }
                    else
                    {
                        streamsPerUser[userId] = streams - 1;
                    }
                }
            }
        }
    }

    private sealed class Handle(SessionViewers viewers, string userId) : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0)
            {
                viewers.Remove(userId);
            }
        }
    }
}
