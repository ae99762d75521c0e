using System.Threading.Channels;
using Grpc.Core;
using LearnHub.Api.Live;
using LearnHub.Api.V1;
using LearnHub.Server.Presence;
using LearnHub.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LearnHub.Server.Tests.Presence;

/// <summary>One open WatchSession call, read in the background; updates are awaited with a deadline.</summary>
public sealed class Watcher : IAsyncDisposable
{
    private readonly CancellationTokenSource cancel = new();
    private readonly AsyncServerStreamingCall<WatchSessionUpdate> call;
    private readonly Channel<WatchSessionUpdate> received = Channel.CreateUnbounded<WatchSessionUpdate>();
    private readonly Task reading;
    private RpcException? refusal;

    private Watcher(TestUser user, string sessionId)
    {
        call = user.Presence.WatchSession(new WatchSessionRequest { SessionId = sessionId }, cancellationToken: cancel.Token);
        reading = ReadAsync();
    }

    /// <summary>Opens the stream and waits for its snapshot.</summary>
    public static async Task<Watcher> OpenAsync(TestUser user, string sessionId)
    {
        var watcher = new Watcher(user, sessionId);
        try
        {
            watcher.Snapshot = await watcher.NextAsync();
        }
        catch (ChannelClosedException)
        {
            // Refused before any message (e.g. RESOURCE_EXHAUSTED): surface the call's own status.
            throw watcher.refusal ?? new RpcException(new Status(StatusCode.Unknown, "the stream ended before its snapshot"));
        }
        Assert.Equal(WatchSessionUpdate.Types.Kind.Snapshot, watcher.Snapshot.Kind);
        return watcher;
    }

    public WatchSessionUpdate Snapshot { get; private set; } = new();

    /// <summary>Everything read so far, in order.</summary>
    public List<WatchSessionUpdate> All { get; } = [];

    /// <summary>The status the stream ended with when it was not OK (its detail says why).</summary>
    public RpcException? Refusal => refusal;

    /// <summary>How the stream ended: null while open, StatusCode.OK when the server completed it.</summary>
    public StatusCode? EndedWith { get; private set; }

    public async Task<WatchSessionUpdate> NextAsync() => await received.Reader.ReadAsync().AsTask().DefaultTimeout();

    /// <summary>Reads until an update matches (or the deadline passes).</summary>
    public async Task<WatchSessionUpdate> UntilAsync(Func<WatchSessionUpdate, bool> match)
    {
        using var deadline = new CancellationTokenSource(Wait.DefaultDeadline);
        while (true)
        {
            WatchSessionUpdate update;
            try
            {
                update = await received.Reader.ReadAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"no matching update; last: {All.LastOrDefault()}");
            }
            if (match(update))
            {
                return update;
            }
        }
    }

    /// <summary>Waits until the server completed the stream.</summary>
    public async Task<StatusCode> CompletionAsync()
    {
        await reading.DefaultTimeout();
        return EndedWith!.Value;
    }

    /// <summary>The viewer goes away (the call is cancelled).</summary>
    public Task LeaveAsync() => cancel.CancelAsync();

    private async Task ReadAsync()
    {
        try
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                All.Add(call.ResponseStream.Current);
                received.Writer.TryWrite(call.ResponseStream.Current);
            }
            EndedWith = StatusCode.OK;
        }
        catch (RpcException e)
        {
            refusal = e;
            EndedWith = e.StatusCode;
        }
        finally
        {
            received.Writer.TryComplete();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await cancel.CancelAsync();
        await reading.WaitAsync(Wait.DefaultDeadline);
        call.Dispose();
        cancel.Dispose();
    }
}

/// <summary>A dashboard on the live hub (.NET SignalR client over the in-process server, WebSockets).</summary>
public sealed class Dashboard : IAsyncDisposable
{
    private readonly HubConnection connection;

    private readonly TaskCompletionSource<Exception?> closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private Dashboard(HubConnection connection)
    {
        this.connection = connection;
        connection.Closed += error =>
        {
            closed.TrySetResult(error);
            return Task.CompletedTask;
        };
        connection.On<ViewerCountChange>(LiveHub.Events.ViewerCountChanged, c => { lock (Counts) { Counts.Add(c); } });
        connection.On<LiveSessionView>(LiveHub.Events.SessionStatusChanged, s => { lock (Statuses) { Statuses.Add(s); } });
    }

    public List<ViewerCountChange> Counts { get; } = [];

    /// <summary>Completes when the server closes the connection (with the error the client saw, if any).</summary>
    public Task<Exception?> Closed => closed.Task;

    public List<LiveSessionView> Statuses { get; } = [];

    public static HubConnection Connection(LearnHubApp app, string? token) =>
        new HubConnectionBuilder()
            .WithUrl(new Uri(app.Server.BaseAddress, LiveHub.Path), o =>
            {
                o.Transports = HttpTransportType.WebSockets;
                o.SkipNegotiation = true;
                o.WebSocketFactory = async (context, ct) =>
                {
                    var client = app.Server.CreateWebSocketClient();
                    if (token is not null)
                    {
                        client.ConfigureRequest = request => request.Headers.Authorization = $"Bearer {token}";
                    }
                    return await client.ConnectAsync(context.Uri, ct);
                };
            })
            .WithStatefulReconnect()
            .Build();

    public static async Task<Dashboard> ConnectAsync(TestUser user)
    {
        var dashboard = new Dashboard(Connection(user.App, user.Token));
        await dashboard.connection.StartAsync().DefaultTimeout();
        return dashboard;
    }

    public Task<IReadOnlyList<LiveSessionView>> WatchLiveSessionsAsync() =>
        connection.InvokeAsync<IReadOnlyList<LiveSessionView>>(LiveHub.Methods.WatchLiveSessions).DefaultTimeout();

    public Task<LiveSessionView> WatchSessionAsync(string sessionId) =>
        connection.InvokeAsync<LiveSessionView>(LiveHub.Methods.WatchSession, sessionId).DefaultTimeout();

    public Task<ViewerCountChange> CountAsync(string sessionId, int viewers) =>
        Wait.UntilAsync(
            () => Task.FromResult(Last(sessionId)),
            c => c?.Viewers == viewers,
            what: $"a push of {viewers} viewers for {sessionId}")!;

    /// <summary>Waits until the push a dashboard keeps (the highest number; it drops lower ones) carries <paramref name="viewers"/>.</summary>
    public Task<ViewerCountChange> KeptCountAsync(string sessionId, int viewers) =>
        Wait.UntilAsync(
            () =>
            {
                lock (Counts)
                {
                    return Task.FromResult(Counts.Where(c => c.SessionId == sessionId).MaxBy(c => c.Sequence));
                }
            },
            c => c?.Viewers == viewers,
            what: $"a kept count of {viewers} viewers for {sessionId}")!;

    public ViewerCountChange? Last(string sessionId)
    {
        lock (Counts)
        {
            return Counts.LastOrDefault(c => c.SessionId == sessionId);
        }
    }

    public int PushesFor(string sessionId)
    {
        lock (Counts)
        {
            return Counts.Count(c => c.SessionId == sessionId);
        }
    }

    public Task<LiveSessionView> StatusAsync(string sessionId, string status) =>
        Wait.UntilAsync(
            () =>
            {
                lock (Statuses)
                {
                    return Task.FromResult(Statuses.LastOrDefault(s => s.SessionId == sessionId && s.Status == status));
                }
            },
            s => s is not null,
            what: $"{sessionId} becoming {status}")!;

    public async ValueTask DisposeAsync() => await connection.DisposeAsync();
}

public static class PresenceScenario
{
    public static int ServerCount(this LearnHubApp app, string sessionId) =>
        app.Services.GetRequiredService<ILiveViewerCounts>().CurrentViewers(sessionId);

    /// <summary>Waits until the server counts <paramref name="viewers"/>, then lets the coalescing interval pass.</summary>
    public static async Task SettleAsync(this LearnHubApp app, string sessionId, int viewers)
    {
        await Wait.UntilAsync(() => Task.FromResult(app.ServerCount(sessionId)), c => c == viewers, what: $"{viewers} present in {sessionId}");
        app.Clock.Advance(app.Services.GetRequiredService<IOptions<PresenceOptions>>().Value.PushInterval);
    }

    public static async Task<Session> LiveSessionAsync(this TestUser instructor, int minutes = 120)
    {
        var session = await instructor.ScheduleAsync(instructor.App.Now().AddMinutes(10), minutes);
        return await instructor.Sessions.GoLiveAsync(new GoLiveRequest { SessionId = session.Id });
    }
}
