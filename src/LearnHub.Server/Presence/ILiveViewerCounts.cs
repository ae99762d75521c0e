namespace LearnHub.Server.Presence;

/// <summary>
/// How many distinct users are present in each session right now (holding at least one watch stream). The one small
/// interface the presence feature sits behind, so a cross-node implementation can replace the in-process one without
/// touching callers.
/// </summary>
public interface ILiveViewerCounts
{
    int CurrentViewers(string sessionId);

    /// <summary>Counts <paramref name="userId"/> as present until the returned handle is disposed; one user counts once.</summary>
    IDisposable Join(string sessionId, string userId);

    /// <summary>
    /// Calls <paramref name="listener"/> with a session id after its count may have changed. Listeners run on the
    /// joining or leaving thread and must be quick.
    /// </summary>
    IDisposable OnChanged(Action<string> listener);
}
