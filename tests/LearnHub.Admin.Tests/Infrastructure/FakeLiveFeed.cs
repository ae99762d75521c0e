using System.Collections.Concurrent;
using LearnHub.Admin.Services.Live;
using LearnHub.Api.Live;
using Microsoft.AspNetCore.SignalR;

namespace LearnHub.Admin.Tests.Infrastructure;

/// <summary>
/// The live hub as a page sees it: answers the joins from what the test set up, records them, and lets the test push
/// what the server would (counts, status changes, connection states, a resync after reconnect).
/// </summary>
public sealed class FakeLiveFeed : ILiveFeed
{
    public LiveConnectionState State { get; private set; } = LiveConnectionState.Disconnected;

    public event Func<ViewerCountChange, Task>? ViewerCountChanged;

    public event Func<LiveSessionView, Task>? SessionStatusChanged;

    public event Func<LiveConnectionState, Task>? StateChanged;

    public event Func<LiveFeedSnapshot, Task>? Resynchronized;

    /// <summary>What WatchLiveSessions answers.</summary>
    public List<LiveSessionView> LiveSessions { get; } = [];

    /// <summary>What WatchSession answers per session id; a session not here is refused like the hub refuses it.</summary>
    public Dictionary<string, LiveSessionView> Sessions { get; } = new(StringComparer.Ordinal);

    /// <summary>When set, every join fails with it (the hub unreachable, or refusing).</summary>
    public Exception? Failure { get; set; }

    public int LiveListJoins { get; private set; }

    /// <summary>The sessions joined so far, in order (recorded from the renderer's threads while a test reads them).</summary>
    public ConcurrentQueue<string> Watched { get; } = new();

    /// <summary>The sessions left so far, in order.</summary>
    public ConcurrentQueue<string> Stopped { get; } = new();

    public bool HasSubscribers => ViewerCountChanged is not null || SessionStatusChanged is not null;

    public Task<IReadOnlyList<LiveSessionView>> WatchLiveSessionsAsync(CancellationToken cancellationToken = default)
    {
        LiveListJoins++;
        if (Failure is not null)
        {
            return Task.FromException<IReadOnlyList<LiveSessionView>>(Failure);
        }
        State = LiveConnectionState.Connected;
        return Task.FromResult<IReadOnlyList<LiveSessionView>>([.. LiveSessions]);
    }

    public Task<LiveSessionView> WatchSessionAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        Watched.Enqueue(sessionId);
        if (Failure is not null)
        {
            return Task.FromException<LiveSessionView>(Failure);
        }
        State = LiveConnectionState.Connected;
        return Sessions.TryGetValue(sessionId, out var view)
            ? Task.FromResult(view)
            : Task.FromException<LiveSessionView>(Refusal($"未找到直播 {sessionId} (unknown session)."));
    }

    public Task StopWatchingSessionAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        Stopped.Enqueue(sessionId);
        return Task.CompletedTask;
    }

    /// <summary>A refusal as the .NET client receives a server-side HubException.</summary>
    public static HubException Refusal(string reason, string method = "WatchSession") =>
        new($"An unexpected error occurred invoking '{method}' on the server. HubException: {reason}");

    public Task PushCountAsync(ViewerCountChange change) => RaiseAsync(ViewerCountChanged, change);

    public Task PushStatusAsync(LiveSessionView session) => RaiseAsync(SessionStatusChanged, session);

    public Task SetStateAsync(LiveConnectionState state)
    {
        State = state;
        return RaiseAsync(StateChanged, state);
    }

    public Task ResynchronizeAsync(LiveFeedSnapshot snapshot)
    {
        State = LiveConnectionState.Connected;
        return RaiseAsync(Resynchronized, snapshot);
    }

    private static async Task RaiseAsync<T>(Func<T, Task>? handlers, T value)
    {
        foreach (var handler in handlers?.GetInvocationList().Cast<Func<T, Task>>() ?? [])
        {
            await handler(value);
        }
    }
}
