using LearnHub.Api.Live;

namespace LearnHub.Admin.Components.Live;

/// <summary>Drops a count push that arrives after a newer one for the same session (its sequence is not above the last seen).</summary>
public sealed class ViewerCountOrder
{
    private readonly Dictionary<string, long> lastSequence = new(StringComparer.Ordinal);

    public bool Accept(ViewerCountChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (lastSequence.TryGetValue(change.SessionId, out var last) && change.Sequence <= last)
        {
            return false;
        }
        lastSequence[change.SessionId] = change.Sequence;
        return true;
    }

    /// <summary>After a fresh snapshot (e.g. a reconnect to a restarted server, whose sequences start again).</summary>
    public void Reset() => lastSequence.Clear();

    public void Forget(string sessionId) => lastSequence.Remove(sessionId);
}
