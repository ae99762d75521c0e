using Grpc.Core;
using LearnHub.Api.V1;
using LearnHub.Api.Live;
using LearnHub.Server.Data;
using LearnHub.Server.Identity;
using LearnHub.Server.Tests.Durability;
using LearnHub.Server.Tests.Infrastructure;
using LearnHub.Testing;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LearnHub.Server.Tests.ScaleOut;

/// <summary>
/// Server processes sharing one PostgreSQL database (product tables and Quartz's clustered store) and one Redis (SignalR
/// backplane, presence counts, events) — each node exactly as an operator starts one. The nodes share a data folder
/// only for the token signing key, which an operator hands every node.
/// </summary>
public sealed class Cluster : IAsyncDisposable
{
    private readonly List<ServerProcess?> nodes = [];
    private readonly ServiceProvider services;

    private Cluster(string dataDirectory, string connectionString, RedisServer redis, string[] settings)
    {
        DataDirectory = dataDirectory;
        ConnectionString = connectionString;
        Redis = redis;
        Settings =
        [
            "--Storage:Provider=Postgres",
            $"--Storage:ConnectionString={connectionString}",
            $"--Redis:Configuration={redis.Configuration}",
            "--RateLimits:ReadsPerSecond=100000",
            "--RateLimits:ReadBurst=100000",
            "--RateLimits:WritesPerMinute=100000",
            "--RateLimits:WriteBurst=100000",
            .. settings,
        ];
        // Users and tokens are made in process, through the same services the operator's command line uses.
        services = new ServiceCollection()
            .AddLogging()
            .AddSingleton(TimeProvider.System)
            .Configure<StorageOptions>(o =>
            {
                o.DataDirectory = dataDirectory;
                o.Provider = StorageProvider.Postgres;
                o.ConnectionString = connectionString;
            })
            .AddSingleton(Options.Create(new IdentityOptions()))
            .AddSingleton<Database>()
            .AddSingleton<UserStore>()
            .AddSingleton<SigningKeyStore>()
            .AddSingleton<TokenIssuer>()
            .BuildServiceProvider();
    }

    public string DataDirectory { get; }

    public string ConnectionString { get; }

    public RedisServer Redis { get; }

    private string[] Settings { get; }

    /// <summary>A node by index; null once it has been killed.</summary>
    public ServerProcess this[int index] => nodes[index] ?? throw new InvalidOperationException($"node {index} was killed");

    /// <summary>A fresh database, a Redis of its own and <paramref name="nodeCount"/> nodes, started one after another.</summary>
    public static Task<Cluster> StartAsync(int nodeCount, params string[] settings) => StartAsync(nodeCount, together: false, settings);

    /// <summary>As <see cref="StartAsync(int, string[])"/>, all nodes started at the same moment on the empty database.</summary>
    public static Task<Cluster> StartTogetherAsync(int nodeCount, params string[] settings) => StartAsync(nodeCount, together: true, settings);

    private static async Task<Cluster> StartAsync(int nodeCount, bool together, string[] settings)
    {
        var data = Directory.CreateTempSubdirectory("learnhub-cluster-").FullName;
        var postgres = await PostgresServer.SharedAsync();
        var connectionString = await postgres.CreateDatabaseAsync();
        var redis = await RedisServer.StartAsync();
        var cluster = new Cluster(data, connectionString, redis, settings);
        try
        {
            Task<ServerProcess> Start(int i) => ServerProcess.StartAsync(data, [.. cluster.Settings, $"--Cluster:NodeId=node-{(char)('a' + i)}"]);
            if (together)
            {
                var starting = Enumerable.Range(0, nodeCount).Select(Start).ToList();
                try
                {
                    await Task.WhenAll(starting);
                }
                finally
                {
                    // Keep every node that came up, so a failure still stops them all.
                    cluster.nodes.AddRange(starting.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result));
                }
            }
            else
            {
                for (var i = 0; i < nodeCount; i++)
                {
                    cluster.nodes.Add(await Start(i));
                }
            }
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>kill -9 on one node: nothing in it gets to clean up, its Redis entries and Quartz check-ins just stop.</summary>
    public async Task KillAsync(int index)
    {
        var node = this[index];
        await node.KillAsync();
        await node.DisposeAsync();
        TestContext.Current.TestOutputHelper?.WriteLine(node.Output);
        nodes[index] = null;
    }

    public async Task<ClusterUser> CreateUserAsync(string handle, params string[] roles)
    {
        var users = services.GetRequiredService<UserStore>();
        var user = await users.CreateAsync(handle, handle, roles, "Asia/Shanghai", CancellationToken.None);
        return new ClusterUser(user.Id, services.GetRequiredService<TokenIssuer>().Issue(user));
    }

    public Task CertifyAsync(ClusterUser user) =>
        services.GetRequiredService<UserStore>().SetCertifiedAsync(user.Id, true, CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        foreach (var node in nodes)
        {
            if (node is not null)
            {
                await node.DisposeAsync();
                // What the node logged at warning and above (the nodes run with Default=Warning): shown with a failure.
                TestContext.Current.TestOutputHelper?.WriteLine(node.Output);
            }
        }
        await services.DisposeAsync();
        await Redis.DisposeAsync();
        await (await PostgresServer.SharedAsync()).DropDatabaseAsync(ConnectionString);
        Directory.Delete(DataDirectory, recursive: true);
    }
}

public sealed record ClusterUser(string Id, string Token)
{
    public SessionService.SessionServiceClient Sessions(ServerProcess node) => new(node.Invoker(Token));

    public NotificationService.NotificationServiceClient Notifications(ServerProcess node) => new(node.Invoker(Token));

    public PresenceService.PresenceServiceClient Presence(ServerProcess node) => new(node.Invoker(Token));

    public BroadcastService.BroadcastServiceClient Broadcasts(ServerProcess node) => new(node.Invoker(Token));
}

/// <summary>A dashboard's hub connection to one node, recording every count pushed to it.</summary>
public sealed class NodeDashboard : IAsyncDisposable
{
    private readonly HubConnection connection;
    private readonly List<ViewerCountChange> counts = [];

    private NodeDashboard(HubConnection connection)
    {
        this.connection = connection;
        connection.On<ViewerCountChange>(LiveHub.Events.ViewerCountChanged, c =>
        {
            lock (counts)
            {
                counts.Add(c);
            }
        });
    }

    public static async Task<NodeDashboard> ConnectAsync(ServerProcess node, ClusterUser user, string sessionId)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(node.WebAddress, LiveHub.Path), o =>
            {
                o.Transports = HttpTransportType.WebSockets;
                o.SkipNegotiation = true;
                o.AccessTokenProvider = () => Task.FromResult<string?>(user.Token);
            })
            .Build();
        var dashboard = new NodeDashboard(connection);
        await connection.StartAsync().DefaultTimeout();
        await connection.InvokeAsync<LiveSessionView>(LiveHub.Methods.WatchSession, sessionId).DefaultTimeout();
        return dashboard;
    }

    /// <summary>The newest count pushed for the session (by sequence), or null before the first push.</summary>
    public ViewerCountChange? Last(string sessionId)
    {
        lock (counts)
        {
            return counts.Where(c => c.SessionId == sessionId).MaxBy(c => c.Sequence);
        }
    }

    public Task<ViewerCountChange?> CountAsync(string sessionId, int viewers, TimeSpan? deadline = null) =>
        Wait.UntilAsync(() => Task.FromResult(Last(sessionId)), c => c?.Viewers == viewers, deadline, $"a push of {viewers} viewers");

    public async ValueTask DisposeAsync() => await connection.DisposeAsync();
}

/// <summary>A viewer's WatchSession stream on one node; its latest update is kept.</summary>
public sealed class NodeWatcher : IAsyncDisposable
{
    private readonly AsyncServerStreamingCall<WatchSessionUpdate> call;
    private readonly CancellationTokenSource cancel = new();
    private readonly Task reading;
    private WatchSessionUpdate? latest;

    private NodeWatcher(ClusterUser viewer, ServerProcess node, string sessionId)
    {
        call = viewer.Presence(node).WatchSession(new WatchSessionRequest { SessionId = sessionId }, cancellationToken: cancel.Token);
        reading = Task.Run(async () =>
        {
            try
            {
                await foreach (var update in call.ResponseStream.ReadAllAsync(cancel.Token))
                {
                    Volatile.Write(ref latest, update);
                }
            }
            catch (Exception e) when (e is RpcException or OperationCanceledException)
            {
                // Left on purpose, or its node was killed: the test asserts on counts, so a dispose never throws this.
            }
        });
    }

    public static async Task<NodeWatcher> OpenAsync(ClusterUser viewer, ServerProcess node, string sessionId)
    {
        var watcher = new NodeWatcher(viewer, node, sessionId);
        await Wait.UntilAsync(() => Task.FromResult(watcher.Latest), u => u is not null, what: "the stream's snapshot");
        return watcher;
    }

    public WatchSessionUpdate? Latest => Volatile.Read(ref latest);

    public Task<WatchSessionUpdate?> ViewersAsync(int viewers, TimeSpan? deadline = null) =>
        Wait.UntilAsync(() => Task.FromResult(Latest), u => u?.State.Watching == viewers, deadline, $"the stream to show {viewers} watching");

    public async ValueTask DisposeAsync()
    {
        await cancel.CancelAsync();
        try
        {
            await reading;
        }
        finally
        {
            call.Dispose();
            cancel.Dispose();
        }
    }
}
