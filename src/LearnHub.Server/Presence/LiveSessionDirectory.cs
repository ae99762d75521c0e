using System.Collections.Concurrent;
using LearnHub.Core.Sessions;
using LearnHub.Server.Data;
using LearnHub.Server.Sessions;

namespace LearnHub.Server.Presence;

/// <summary>
/// The sessions someone is watching, cached so a count push does not read the store. A row is refreshed after every
/// committed change of its session; a refresh that lost a race to a newer one is ignored (rows carry a version).
/// </summary>
public sealed class LiveSessionDirectory(Database database)
{
    private readonly ConcurrentDictionary<string, SessionRow> rows = new(StringComparer.Ordinal);

    public SessionRow? TryGet(string sessionId) => rows.TryGetValue(sessionId, out var row) ? row : null;

    /// <summary>
    /// The session read from the store now (and cached); null when it does not exist. Opening a stream or a dashboard
    /// reads afresh: reservations change a session's figures without a status change.
    /// </summary>
    public async Task<SessionRow?> GetFreshAsync(string sessionId, CancellationToken ct)
    {
        var loaded = await LoadAsync(sessionId, ct);
        return loaded is null ? null : Keep(loaded);
    }

    /// <summary>Re-reads a session after a change; returns the row before and after (either may be null).</summary>
    public async Task<(SessionRow? Before, SessionRow? After)> RefreshAsync(string sessionId, CancellationToken ct)
    {
        var before = TryGet(sessionId);
        var loaded = await LoadAsync(sessionId, ct);
        return (before, loaded is null ? before : Keep(loaded));
    }

    /// <summary>
    /// A row read elsewhere: refreshes a cached session (a newer cached version stays) and returns it before and
    /// after; a session not cached is returned as read and not cached (nobody on this node watches it).
    /// </summary>
    public (SessionRow? Before, SessionRow After) Update(SessionRow read)
    {
        var before = TryGet(read.Id);
        return (before, before is null ? read : Keep(read));
    }

    /// <summary>Drops ended and cancelled sessions that nobody watches any more.</summary>
    public void Forget(string sessionId)
    {
        if (rows.TryGetValue(sessionId, out var row) && row.Status is SessionStatus.Ended or SessionStatus.Cancelled)
        {
            rows.TryRemove(new KeyValuePair<string, SessionRow>(sessionId, row));
        }
    }

    public IEnumerable<string> CachedIds => rows.Keys;

    private SessionRow Keep(SessionRow loaded) =>
        rows.AddOrUpdate(loaded.Id, loaded, (_, existing) => existing.Version > loaded.Version ? existing : loaded);

    private async Task<SessionRow?> LoadAsync(string sessionId, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return await SessionStore.FindAsync(connection, sessionId, null, ct);
    }
}
