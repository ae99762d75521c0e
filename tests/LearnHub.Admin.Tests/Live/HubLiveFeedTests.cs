using System.Collections.Concurrent;
using System.Security.Claims;
using LearnHub.Admin.Components.Live;
using LearnHub.Admin.Services;
using LearnHub.Admin.Services.Live;
using LearnHub.Api.Live;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace LearnHub.Admin.Tests.Live;

/// <summary>
/// The real <see cref="HubLiveFeed"/> against a stand-in hub on a loopback Kestrel that speaks the same contract
/// (LiveHub.Path, method and event names, JSON records): token, joins, pushes, refusals, and rejoining after a reconnect.
/// </summary>
public sealed class HubLiveFeedTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);
    private WebApplication app = null!;
    private HubLiveFeed feed = null!;

    private HubRecord Record => app.Services.GetRequiredService<HubRecord>();

    private IHubContext<StandInHub, ILiveHubClient> Hub => app.Services.GetRequiredService<IHubContext<StandInHub, ILiveHubClient>>();

    public async ValueTask InitializeAsync()
    {
        app = await StartHubAsync("http://127.0.0.1:0");
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        feed = new HubLiveFeed(Options.Create(new AdminOptions { WebAddress = address }), new SignedIn(), new Tokens(), NullLogger<HubLiveFeed>.Instance);
    }

    private static async Task<WebApplication> StartHubAsync(string url)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(url);
        builder.Logging.ClearProviders();
        builder.Services.AddSignalR();
        builder.Services.AddSingleton<HubRecord>();
        var hub = builder.Build();
        // A server that is stopping takes no new connection: without this, a client reconnecting at once could rejoin
        // the old server in its last moments (CI saw it), and the restart would test nothing.
        var stopping = hub.Lifetime.ApplicationStopping;
        hub.Use((http, next) =>
        {
            if (stopping.IsCancellationRequested)
            {
                http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                return Task.CompletedTask;
            }
            return next(http);
        });
        hub.MapHub<StandInHub>(LiveHub.Path, o => o.AllowStatefulReconnects = true);
        await hub.StartAsync();
        return hub;
    }

    /// <summary>The server goes away and comes back on the same address (a restart): the old connection and its groups are gone.</summary>
    private async Task RestartHubAsync()
    {
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        await app.StopAsync();
        await app.DisposeAsync();
        app = await StartHubAsync(address);
    }

    public async ValueTask DisposeAsync()
    {
        await feed.DisposeAsync();
        await app.DisposeAsync();
    }

    [Fact]
    public async Task It_connects_with_the_users_token_joins_the_live_list_and_receives_pushes()
    {
        var pushed = new TaskCompletionSource<ViewerCountChange>(TaskCreationOptions.RunContinuationsAsynchronously);
        var status = new TaskCompletionSource<LiveSessionView>(TaskCreationOptions.RunContinuationsAsynchronously);
        feed.ViewerCountChanged += c =>
        {
            pushed.TrySetResult(c);
            return Task.CompletedTask;
        };
        feed.SessionStatusChanged += v =>
        {
            status.TrySetResult(v);
            return Task.CompletedTask;
        };

        var live = await feed.WatchLiveSessionsAsync().WaitAsync(Timeout);

        Assert.Equal(LiveConnectionState.Connected, feed.State);
        Assert.Equal("token-for-u_tester", Assert.Single(Record.Tokens.Distinct()));
        var only = Assert.Single(live);
        Assert.Equal(("s1", "经济基础第19章考点梳理", 12, LiveFakes.LiveAt), (only.SessionId, only.Title, only.Viewers, only.LiveAt!.Value));

        await Hub.Clients.Group("live").ViewerCountChanged(LiveFakes.Count("s1", 13, sequence: 4));
        await Hub.Clients.Group("live").SessionStatusChanged(LiveFakes.View("s1", "经济基础第19章考点梳理", status: "Ended"));

        var change = await pushed.Task.WaitAsync(Timeout);
        Assert.Equal(("s1", 13, 4L), (change.SessionId, change.Viewers, change.Sequence));
        Assert.Equal("Ended", (await status.Task.WaitAsync(Timeout)).Status);
    }

    [Fact]
    public async Task A_refused_join_reads_as_the_servers_reason()
    {
        var refusal = await Assert.ThrowsAsync<HubException>(() => feed.WatchSessionAsync("forbidden").WaitAsync(Timeout));

        Assert.Equal("无权查看该直播 (not allowed).", LiveText.Problem(new StringLocalizer<LiveStrings>(new ResourceManagerStringLocalizerFactory(
            Options.Create(new LocalizationOptions { ResourcesPath = "Resources" }), NullLoggerFactory.Instance)), refusal));
    }

    [Fact]
    public async Task A_dropped_socket_resumes_the_same_connection_and_its_feeds()
    {
        var pushed = new TaskCompletionSource<ViewerCountChange>(TaskCreationOptions.RunContinuationsAsynchronously);
        feed.ViewerCountChanged += c =>
        {
            pushed.TrySetResult(c);
            return Task.CompletedTask;
        };
        await feed.WatchSessionAsync("s2").WaitAsync(Timeout);
        var connectionId = Assert.Single(Record.Connections.Keys);

        // The network drops the socket under the connection, with no close message: stateful reconnect resumes it.
        Record.DropSockets();
        await Hub.Clients.Group("session:s2").ViewerCountChanged(LiveFakes.Count("s2", 5, sequence: 1));

        Assert.Equal(5, (await pushed.Task.WaitAsync(Timeout)).Viewers);
        Assert.Equal(connectionId, Assert.Single(Record.Connections.Keys));
        Assert.Equal(["s2"], Record.Joins);
        Assert.Equal(LiveConnectionState.Connected, feed.State);
    }

    [Fact]
    public async Task After_a_server_restart_it_reconnects_and_joins_the_same_feeds_again()
    {
        var states = new ConcurrentQueue<LiveConnectionState>();
        var resynced = new TaskCompletionSource<LiveFeedSnapshot>(TaskCreationOptions.RunContinuationsAsynchronously);
        feed.StateChanged += s =>
        {
            states.Enqueue(s);
            return Task.CompletedTask;
        };
        feed.Resynchronized += s =>
        {
            resynced.TrySetResult(s);
            return Task.CompletedTask;
        };
        await feed.WatchLiveSessionsAsync().WaitAsync(Timeout);
        await feed.WatchSessionAsync("s2").WaitAsync(Timeout);
        await feed.WatchSessionAsync("s3").WaitAsync(Timeout);
        await feed.StopWatchingSessionAsync("s3").WaitAsync(Timeout);

        await RestartHubAsync();

        var snapshot = await resynced.Task.WaitAsync(Timeout).ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : throw new TimeoutException($"states: {string.Join(",", states)}; joins: {string.Join(",", Record.Joins)}; connections: {Record.Connections.Count}"), TaskScheduler.Default);
        Assert.Equal("s1", Assert.Single(snapshot.LiveSessions!).SessionId);
        Assert.Equal("s2", Assert.Single(snapshot.Sessions).SessionId);
        // The restarted hub saw the rejoins only, and not the session the page had stopped watching.
        Assert.Equal(["live", "s2"], Record.Joins);
        Assert.Contains(LiveConnectionState.Reconnecting, states);
        Assert.Equal(LiveConnectionState.Connected, feed.State);

        // The new connection is in the groups again: pushes flow.
        var pushed = new TaskCompletionSource<ViewerCountChange>(TaskCreationOptions.RunContinuationsAsynchronously);
        feed.ViewerCountChanged += c =>
        {
            pushed.TrySetResult(c);
            return Task.CompletedTask;
        };
        await Hub.Clients.Group("session:s2").ViewerCountChanged(LiveFakes.Count("s2", 5, sequence: 1));
        Assert.Equal(5, (await pushed.Task.WaitAsync(Timeout)).Viewers);
    }

    public sealed class HubRecord
    {
        public ConcurrentQueue<string> Tokens { get; } = new();

        public ConcurrentQueue<string> Joins { get; } = new();

        public ConcurrentDictionary<string, HubCallerContext> Connections { get; } = new();

        public void DropSockets()
        {
            foreach (var connection in Connections.Values)
            {
                connection.GetHttpContext()?.Abort();
            }
        }
    }

    /// <summary>The hub contract as the lead's server implements it, minus authentication and counting.</summary>
    public sealed class StandInHub(HubRecord record) : Hub<ILiveHubClient>, ILiveHubServer
    {
        public override Task OnConnectedAsync()
        {
            // The .NET client sends the token as a bearer header (browsers and Node use the access_token query).
            var authorization = Context.GetHttpContext()?.Request.Headers.Authorization.ToString() ?? string.Empty;
            record.Tokens.Enqueue(authorization.StartsWith("Bearer ", StringComparison.Ordinal) ? authorization["Bearer ".Length..] : authorization);
            record.Connections[Context.ConnectionId] = Context;
            return Task.CompletedTask;
        }

        public override Task OnDisconnectedAsync(Exception? exception)
        {
            record.Connections.TryRemove(Context.ConnectionId, out _);
            return Task.CompletedTask;
        }

        public async Task<IReadOnlyList<LiveSessionView>> WatchLiveSessions()
        {
            record.Joins.Enqueue("live");
            await Groups.AddToGroupAsync(Context.ConnectionId, "live");
            return [LiveFakes.View("s1", "经济基础第19章考点梳理", viewers: 12)];
        }

        public async Task<LiveSessionView> WatchSession(string sessionId)
        {
            if (sessionId == "forbidden")
            {
                throw new HubException("无权查看该直播 (not allowed).");
            }
            record.Joins.Enqueue(sessionId);
            await Groups.AddToGroupAsync(Context.ConnectionId, $"session:{sessionId}");
            return LiveFakes.View(sessionId, "直播 " + sessionId, viewers: 1);
        }

        public Task StopWatchingSession(string sessionId) => Groups.RemoveFromGroupAsync(Context.ConnectionId, $"session:{sessionId}");
    }

    private sealed class SignedIn : AuthenticationStateProvider
    {
        public override Task<AuthenticationState> GetAuthenticationStateAsync() =>
            Task.FromResult(new AuthenticationState(new ClaimsPrincipal(new ClaimsIdentity([new Claim(AdminClaims.Subject, "u_tester")], "cookie"))));
    }

    private sealed class Tokens : IApiTokenSource
    {
        public string IssueFor(ClaimsPrincipal user) => $"token-for-{user.FindFirst(AdminClaims.Subject)?.Value}";
    }
}
