namespace LearnHub.Server.Data;

/// <summary>
/// In-process async locks keyed by a string (a session, a creator), hashed onto a fixed set of semaphores: writers of
/// the same key queue here instead of contending on the store's lock. Correctness never depends on it; the store's
/// own conditions do (and hold across nodes).
/// </summary>
public sealed class StripedLocks(int stripes = 64)
{
    private readonly SemaphoreSlim[] semaphores = Enumerable.Range(0, stripes).Select(_ => new SemaphoreSlim(1, 1)).ToArray();

    public async Task<IDisposable> AcquireAsync(string key, CancellationToken ct)
    {
        var semaphore = semaphores[(int)((uint)StringComparer.Ordinal.GetHashCode(key) % semaphores.Length)];
        await semaphore.WaitAsync(ct);
        return new Release(semaphore);
    }

    private sealed class Release(SemaphoreSlim semaphore) : IDisposable
    {
        private int released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref released, 1) == 0)
            {
                semaphore.Release();
            }
        }
    }
}
