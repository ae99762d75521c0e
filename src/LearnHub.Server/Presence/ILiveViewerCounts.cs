namespace LearnHub.Server.Presence;

/// <summary>
/// How many distinct users are watching each live session right now. The one small interface the presence feature
/// sits behind, so a cross-node implementation can replace the in-process one without touching callers.
/// </summary>
public interface ILiveViewerCounts
{
    int CurrentViewers(string sessionId);

    /// <summary>Counts <paramref name="userId"/> as watching until the returned handle is disposed; one user counts once.</summary>
    IDisposable Join(string sessionId, string userId);
}
