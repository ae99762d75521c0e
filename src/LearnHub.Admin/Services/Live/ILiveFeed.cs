using LearnHub.Api.Live;

namespace LearnHub.Admin.Services.Live;

/// <summary>Where the circuit's connection to the live dashboard hub stands.</summary>
public enum LiveConnectionState
{
    Disconnected,
    Connecting,
    Connected,
    Reconnecting,
}

/// <summary>
/// What a full reconnect found once the feeds were joined again: the live list (when it had been joined) and the
/// state of each session being watched. Pushes missed while disconnected are superseded by these.
/// </summary>
public sealed record LiveFeedSnapshot(IReadOnlyList<LiveSessionView>? LiveSessions, IReadOnlyList<LiveSessionView> Sessions);

/// <summary>
/// The circuit's live dashboard feed (one hub connection per circuit, opened on first use). Events are raised on the
/// connection's threads: a component marshals them with <c>InvokeAsync</c>.
/// </summary>
public interface ILiveFeed
{
    LiveConnectionState State { get; }

    /// <summary>A session's viewer count changed. Coalesced; a push with a lower <see cref="ViewerCountChange.Sequence"/> than one already seen is stale.</summary>
    event Func<ViewerCountChange, Task>? ViewerCountChanged;

    /// <summary>A session went live, ended, was cancelled, extended or rescheduled.</summary>
    event Func<LiveSessionView, Task>? SessionStatusChanged;

    event Func<LiveConnectionState, Task>? StateChanged;

    /// <summary>Raised after a reconnect, once the feeds joined before it are joined again.</summary>
    event Func<LiveFeedSnapshot, Task>? Resynchronized;

    /// <summary>Joins the live-sessions feed; every live session the user may see.</summary>
    Task<IReadOnlyList<LiveSessionView>> WatchLiveSessionsAsync(CancellationToken cancellationToken = default);

    /// <summary>Joins one session's feed; its state now. Throws <see cref="Microsoft.AspNetCore.SignalR.HubException"/> when refused.</summary>
    Task<LiveSessionView> WatchSessionAsync(string sessionId, CancellationToken cancellationToken = default);

    Task StopWatchingSessionAsync(string sessionId, CancellationToken cancellationToken = default);
}
