namespace LearnHub.Server.Presence;

/// <summary>
/// How many distinct users are present in each session right now (holding at least one watch stream). The one small
/// interface the presence feature sits behind, so a cross-node implementation can replace the in-process one without
/// touching callers.
/// </summary>
public interface ILiveViewerCounts
{
    int CurrentViewers(string sessionId);

    /// <summary>Distinct users present through this node, summed over sessions (the learnhub.watch.viewers gauge).</summary>
    int ViewersHere();

    /// <summary>Counts <paramref name="userId"/> as present until the returned handle is disposed; one user counts once.</summary>
    IDisposable Join(string sessionId, string userId);

    /// <summary>
    /// Calls <paramref name="listener"/> with a session id after its count may have changed. Listeners run on the
    /// joining or leaving thread and must be quick.
    /// </summary>
    IDisposable OnChanged(Action<string> listener);

    /// <summary>
    /// The count with what orders and routes its push. In one process this node numbers its own pushes and made every
    /// change itself; across nodes the number comes from the shared store and only the node that made the latest change
    /// tells the dashboards (the hub's backplane carries one node's message to every dashboard).
    /// </summary>
    ViewerCountReading Read(string sessionId) => new(CurrentViewers(sessionId), null, ChangedHere: true);
}

/// <param name="Sequence">Grows with every change of this session's count on any node; null when the caller numbers pushes.</param>
/// <param name="ChangedHere">Whether the latest change known here was made by this node.</param>
public readonly record struct ViewerCountReading(int Viewers, long? Sequence, bool ChangedHere);
