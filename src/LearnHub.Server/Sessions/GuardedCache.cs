using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace LearnHub.Server.Sessions;

/// <summary>
/// A bounded in-memory cache of values read from the store, dropped by events. Two guards keep it from serving what
/// the store no longer holds: a value read while an invalidation of its key ran is never kept (a counter per stripe
/// of keys is raised by every invalidation and checked after the value is stored), and a value older than
/// <c>lifetime</c> is read again, which bounds how long a change whose event was lost (a Redis relay is at most once)
/// can stay unseen. More than <c>maxEntries</c> and the cache starts over: a bound on memory, not a working-set size.
/// </summary>
public sealed class GuardedCache<T>(int maxEntries, TimeSpan lifetime, TimeProvider clock)
    where T : class
{
    private const int Stripes = 64;

    private readonly ConcurrentDictionary<string, Entry> entries = new(StringComparer.Ordinal);
    private readonly long[] generations = new long[Stripes];

    public int Count => entries.Count;

    public bool TryGet(string key, [MaybeNullWhen(false)] out T value)
    {
        if (entries.TryGetValue(key, out var entry) && clock.GetElapsedTime(entry.LoadedAt) < lifetime)
        {
            value = entry.Value;
            return true;
        }
        value = null;
        return false;
    }

    /// <summary>The cached value, else what <paramref name="load"/> reads (kept unless an invalidation raced it); null is not kept.</summary>
    public ValueTask<T?> GetAsync<TState>(string key, TState state, Func<string, TState, CancellationToken, Task<T?>> load, CancellationToken ct) =>
        TryGet(key, out var value) ? ValueTask.FromResult<T?>(value) : LoadAsync(key, state, load, ct);

    /// <summary>Drops <paramref name="key"/>, and whatever a load running now would store for it.</summary>
    public void Invalidate(string key)
    {
        Interlocked.Increment(ref generations[StripeOf(key)]);
        entries.TryRemove(key, out _);
    }

    public void Clear()
    {
        for (var i = 0; i < Stripes; i++)
        {
            Interlocked.Increment(ref generations[i]);
        }
        entries.Clear();
    }

    private async ValueTask<T?> LoadAsync<TState>(string key, TState state, Func<string, TState, CancellationToken, Task<T?>> load, CancellationToken ct)
    {
        var stripe = StripeOf(key);
        var before = Volatile.Read(ref generations[stripe]);
        var value = await load(key, state, ct);
        if (value is null || Volatile.Read(ref generations[stripe]) != before)
        {
            return value;
        }
        if (entries.Count >= maxEntries)
        {
            entries.Clear();
        }
        var entry = new Entry(value, clock.GetTimestamp());
        entries[key] = entry;
        // An invalidation between the check above and the store: it either removed this entry already, or raised the
        // counter before this second look, which removes it here.
        if (Volatile.Read(ref generations[stripe]) != before)
        {
            entries.TryRemove(new KeyValuePair<string, Entry>(key, entry));
        }
        return value;
    }

    private static int StripeOf(string key) => (int)((uint)StringComparer.Ordinal.GetHashCode(key) % Stripes);

    // A class, not a record: removing "this entry" must compare by reference.
    private sealed class Entry(T value, long loadedAt)
    {
        public T Value { get; } = value;

        public long LoadedAt { get; } = loadedAt;
    }
}
