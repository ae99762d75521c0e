using System.Collections.Concurrent;
using System.Threading.Channels;
using LearnHub.Api.V1;

namespace LearnHub.Server.Presence;

/// <summary>
/// One open WatchSession call's mailbox. It holds at most the latest pending update: every update carries the whole
/// state, so a viewer who reads slowly only skips superseded states and never makes the others wait.
/// </summary>
public sealed class WatchStream
{
    private readonly Channel<WatchSessionUpdate> pending = Channel.CreateBounded<WatchSessionUpdate>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true, SingleWriter = false });

    public ChannelReader<WatchSessionUpdate> Updates => pending.Reader;

    public void Offer(WatchSessionUpdate update) => pending.Writer.TryWrite(update);
}

/// <summary>The open watch streams of each session on this node.</summary>
public sealed class WatchStreams
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<WatchStream, byte>> bySession = new(StringComparer.Ordinal);
    private int open;

    /// <summary>Streams open on this node (the learnhub.watch.streams gauge).</summary>
    public int OpenCount => Volatile.Read(ref open);

    public IDisposable Add(string sessionId, WatchStream stream)
    {
        var streams = bySession.GetOrAdd(sessionId, _ => new ConcurrentDictionary<WatchStream, byte>());
        if (streams.TryAdd(stream, 0))
        {
            Interlocked.Increment(ref open);
        }
        return new Registration(this, sessionId, stream);
    }

    public bool HasStreams(string sessionId) => bySession.TryGetValue(sessionId, out var streams) && !streams.IsEmpty;

    public void Offer(string sessionId, WatchSessionUpdate update)
    {
        if (bySession.TryGetValue(sessionId, out var streams))
        {
            // Enumerating the dictionary itself is lock-free and allocates nothing per stream; `.Keys` would take every
            // lock and copy all keys into a new list on each push (160 KB, a large-object allocation, at 20,000 streams).
            foreach (var (stream, _) in streams)
            {
                stream.Offer(update);
            }
        }
    }

    private void Remove(string sessionId, WatchStream stream)
    {
        if (bySession.TryGetValue(sessionId, out var streams))
        {
            if (streams.TryRemove(stream, out _))
            {
                Interlocked.Decrement(ref open);
            }
            if (streams.IsEmpty)
            {
                bySession.TryRemove(new KeyValuePair<string, ConcurrentDictionary<WatchStream, byte>>(sessionId, streams));
            }
        }
    }

    private sealed class Registration(WatchStreams owner, string sessionId, WatchStream stream) : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0)
            {
                owner.Remove(sessionId, stream);
            }
        }
    }
}

/// <summary>Caps the concurrent watch streams of each user on this node.</summary>
public sealed class WatchStreamQuota
{
    private readonly ConcurrentDictionary<string, int> open = new(StringComparer.Ordinal);

    public bool TryAcquire(string userId, int limit)
    {
        while (true)
        {
            var current = open.GetValueOrDefault(userId);
            if (current >= limit)
            {
                return false;
            }
            if (current == 0 ? open.TryAdd(userId, 1) : open.TryUpdate(userId, current + 1, current))
            {
                return true;
            }
        }
    }

    public void Release(string userId)
    {
        while (open.TryGetValue(userId, out var current))
        {
            if (current <= 1 ? open.TryRemove(new KeyValuePair<string, int>(userId, current)) : open.TryUpdate(userId, current - 1, current))
            {
                return;
            }
        }
    }
}
