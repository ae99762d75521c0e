using LearnHub.Api.Live;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LearnHub.Admin.Services.Live;

/// <summary>
/// <see cref="ILiveFeed"/> over the host's SignalR hub. The connection runs on the server inside the circuit, so the
/// browser's cookie does not travel with it: it authenticates with a short-lived bearer token for the signed-in user,
/// minted again on every (re)connect. Disposed with the circuit.
/// </summary>
public sealed partial class HubLiveFeed : ILiveFeed, IAsyncDisposable
{
    private readonly HubConnection connection;
    private readonly ILogger<HubLiveFeed> logger;
    private readonly SemaphoreSlim startGate = new(1, 1);
    private readonly Lock joinedLock = new();
    private readonly HashSet<string> joinedSessions = new(StringComparer.Ordinal);
    private bool joinedLiveSessions;
    private bool disposed;

    public HubLiveFeed(IOptions<AdminOptions> options, AuthenticationStateProvider authentication, IApiTokenSource tokens, ILogger<HubLiveFeed> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(authentication);
        ArgumentNullException.ThrowIfNull(tokens);
        this.logger = logger;
        var hubUrl = new Uri(new Uri(options.Value.WebAddress), LiveHub.Path);
        connection = new HubConnectionBuilder()
            .WithUrl(hubUrl, o => o.AccessTokenProvider = async () =>
            {
                var state = await authentication.GetAuthenticationStateAsync();
                return tokens.IssueFor(state.User);
            })
            .WithAutomaticReconnect(new KeepReconnecting())
            .WithStatefulReconnect()
            .Build();
        connection.On<ViewerCountChange>(LiveHub.Events.ViewerCountChanged, change => RaiseAsync(ViewerCountChanged, change));
        connection.On<LiveSessionView>(LiveHub.Events.SessionStatusChanged, view => RaiseAsync(SessionStatusChanged, view));
        connection.Reconnecting += _ => SetStateAsync(LiveConnectionState.Reconnecting);
        connection.Reconnected += _ => RejoinAsync();
        connection.Closed += OnClosedAsync;
    }

    public LiveConnectionState State { get; private set; } = LiveConnectionState.Disconnected;

    public event Func<ViewerCountChange, Task>? ViewerCountChanged;

    public event Func<LiveSessionView, Task>? SessionStatusChanged;

    public event Func<LiveConnectionState, Task>? StateChanged;

    public event Func<LiveFeedSnapshot, Task>? Resynchronized;

    public async Task<IReadOnlyList<LiveSessionView>> WatchLiveSessionsAsync(CancellationToken cancellationToken = default)
    {
        await EnsureStartedAsync(cancellationToken);
        var sessions = await connection.InvokeAsync<IReadOnlyList<LiveSessionView>>(LiveHub.Methods.WatchLiveSessions, cancellationToken);
        lock (joinedLock)
        {
            joinedLiveSessions = true;
        }
        return sessions;
    }

    public async Task<LiveSessionView> WatchSessionAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        await EnsureStartedAsync(cancellationToken);
        var session = await connection.InvokeAsync<LiveSessionView>(LiveHub.Methods.WatchSession, sessionId, cancellationToken);
        lock (joinedLock)
        {
            joinedSessions.Add(sessionId);
        }
        return session;
    }

    public async Task StopWatchingSessionAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        lock (joinedLock)
        {
            if (!joinedSessions.Remove(sessionId))
            {
                return;
            }
        }
        if (connection.State == HubConnectionState.Connected)
        {
            await connection.InvokeAsync(LiveHub.Methods.StopWatchingSession, sessionId, cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        disposed = true;
        ViewerCountChanged = null;
        SessionStatusChanged = null;
        StateChanged = null;
        Resynchronized = null;
        await connection.DisposeAsync();
        startGate.Dispose();
    }

    private async Task EnsureStartedAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (connection.State == HubConnectionState.Connected)
        {
            return;
        }
        await startGate.WaitAsync(cancellationToken);
        try
        {
            if (connection.State == HubConnectionState.Disconnected)
            {
                await SetStateAsync(LiveConnectionState.Connecting);
                try
                {
                    await connection.StartAsync(cancellationToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogConnectFailed(e);
                    await SetStateAsync(LiveConnectionState.Disconnected);
                    throw;
                }
                await SetStateAsync(LiveConnectionState.Connected);
            }
        }
        finally
        {
            startGate.Release();
        }
    }

    /// <summary>
    /// A reconnect that could not resume the old connection (stateful reconnect covers short blips) starts a new one,
    /// which is in no group: join the same feeds again and hand the fresh states to the pages.
    /// </summary>
    private async Task RejoinAsync()
    {
        await SetStateAsync(LiveConnectionState.Connected);
        bool liveList;
        string[] sessionIds;
        lock (joinedLock)
        {
            liveList = joinedLiveSessions;
            sessionIds = [.. joinedSessions];
        }
        try
        {
            var live = liveList ? await connection.InvokeAsync<IReadOnlyList<LiveSessionView>>(LiveHub.Methods.WatchLiveSessions) : null;
            var sessions = new List<LiveSessionView>(sessionIds.Length);
            foreach (var id in sessionIds)
            {
                try
                {
                    sessions.Add(await connection.InvokeAsync<LiveSessionView>(LiveHub.Methods.WatchSession, id));
                }
                catch (Microsoft.AspNetCore.SignalR.HubException e)
                {
                    // No longer allowed or gone: the page keeps what it has; its next load says why.
                    LogRejoinRefused(id, e.Message);
                }
            }
            await RaiseAsync(Resynchronized, new LiveFeedSnapshot(live, sessions));
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or Microsoft.AspNetCore.SignalR.HubException or TaskCanceledException)
        {
            // The connection dropped again while rejoining; the next Reconnected rejoins.
            LogRejoinFailed(e);
        }
    }

    /// <summary>Closed for good (reconnection gave up, or the server closed it): nothing is joined any more; pages rejoin on retry.</summary>
    private Task OnClosedAsync(Exception? exception)
    {
        lock (joinedLock)
        {
            joinedLiveSessions = false;
            joinedSessions.Clear();
        }
        return SetStateAsync(LiveConnectionState.Disconnected);
    }

    private Task SetStateAsync(LiveConnectionState state)
    {
        State = state;
        return disposed ? Task.CompletedTask : RaiseAsync(StateChanged, state);
    }

    private async Task RaiseAsync<T>(Func<T, Task>? handlers, T value)
    {
        if (handlers is null)
        {
            return;
        }
        foreach (var handler in handlers.GetInvocationList().Cast<Func<T, Task>>())
        {
            try
            {
                await handler(value);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // One page failing to render a push must not stop the others, nor the connection's receive loop.
                LogHandlerFailed(typeof(T).Name, e);
            }
        }
    }

    [LoggerMessage(EventId = 4101, Level = LogLevel.Warning, Message = "Could not connect to the live hub.")]
    private partial void LogConnectFailed(Exception exception);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Information, Message = "Rejoining session {SessionId} after a reconnect was refused: {Reason}")]
    private partial void LogRejoinRefused(string sessionId, string reason);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Information, Message = "Rejoining the live feeds after a reconnect failed; the next reconnect retries.")]
    private partial void LogRejoinFailed(Exception exception);

    [LoggerMessage(EventId = 4104, Level = LogLevel.Warning, Message = "A live feed handler for {Push} failed.")]
    private partial void LogHandlerFailed(string push, Exception exception);

    /// <summary>A dashboard stays open for hours: keep trying (quickly at first, then every 15 s) rather than give up after four tries.</summary>
    private sealed class KeepReconnecting : IRetryPolicy
    {
        private static readonly TimeSpan[] FirstDelays = [TimeSpan.Zero, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10)];

        public TimeSpan? NextRetryDelay(RetryContext retryContext) =>
            retryContext.PreviousRetryCount < FirstDelays.Length ? FirstDelays[retryContext.PreviousRetryCount] : TimeSpan.FromSeconds(15);
    }
}
