using LearnHub.Server.Data;
using LearnHub.Server.Presence;
using LearnHub.Server.Tests.Infrastructure;
using LearnHub.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace LearnHub.Server.Tests.ScaleOut;

/// <summary>
/// Two LearnHub nodes in this process sharing one Redis (own key prefix per test) and one store. SQLite serializes
/// writers through its file lock across connections, so two in-process hosts can share the data folder; each has its
/// own Quartz scheduler (not clustered), so these tests never move the shared fake clock onto a session trigger.
/// Count pushes are not paced (PushInterval 0): every change is pushed at once.
/// </summary>
/// <remarks>
/// A server holds its SQLite data folder alone (<see cref="DataFolderLock"/>): a second server process is refused. Node
/// B is a second host inside this process, so it is handed node A's lock, already held, instead of a lock of its own —
/// a test-only seam through the host's services, which no setting or command line can reach. B does not own the lock
/// and does not release it when it stops; A does, when the test ends. (Two nodes on one SQLite store is not a setup the
/// product supports: it is how these tests share one store between in-process hosts.)
/// </remarks>
public sealed class TwoNodes : IAsyncDisposable
{
    private ConnectionMultiplexer? inspector;

    private TwoNodes(RedisServer redis, string prefix, LearnHubApp a, LearnHubApp b)
    {
        Redis = redis;
        Prefix = prefix;
        A = a;
        B = b;
    }

    public RedisServer Redis { get; }

    public string Prefix { get; }

    public LearnHubApp A { get; }

    public LearnHubApp B { get; private set; }

    public bool BStopped { get; private set; }

    /// <param name="bStartsLater">Moves the shared clock between the two starts, so the nodes' periodic timers tick apart.</param>
    public static async Task<TwoNodes> StartAsync(IDictionary<string, string?>? settings = null, TimeSpan? bStartsLater = null)
    {
        var redis = await RedisServer.StartAsync();
        LearnHubApp? a = null;
        try
        {
            var prefix = $"lh-test-{Guid.NewGuid():N}";
            var clock = new FakeTimeProvider(Scenario.Start) { AutoAdvanceAmount = TimeSpan.Zero };
            a = await LearnHubApp.StartAsync(Settings(redis, prefix, "node-a", settings), clock: clock);
            clock.Advance(bStartsLater ?? TimeSpan.Zero);
            var folderLockOfA = a.Services.GetRequiredService<DataFolderLock>();
            var b = await LearnHubApp.StartAsync(
                Settings(redis, prefix, "node-b", settings), a.DataDirectory, clock,
                services => services.AddSingleton(folderLockOfA));
            return new TwoNodes(redis, prefix, a, b);
        }
        catch
        {
            if (a is not null)
            {
                await a.DisposeAsync();
            }
            await redis.DisposeAsync();
            throw;
        }
    }

    private static Dictionary<string, string?> Settings(RedisServer redis, string prefix, string node, IDictionary<string, string?>? extra)
    {
        var all = new Dictionary<string, string?>
        {
            ["Redis:Configuration"] = redis.Configuration,
            ["Redis:ChannelPrefix"] = prefix,
            ["Cluster:NodeId"] = node,
            ["Presence:PushInterval"] = "00:00:00",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }
        return all;
    }

    /// <summary>The same user, calling node B.</summary>
    public TestUser OnB(TestUser user) => user with { App = B };

    /// <summary>Node B goes silent as a killed process does: no heartbeat, no clean leave, nothing more written to Redis.</summary>
    public void SilenceB() => B.Services.GetRequiredService<RedisViewerCounts>().StopLikeACrash();

    public async Task StopBAsync()
    {
        await B.StopAsync();
        BStopped = true;
    }

    /// <summary>A direct connection to the test's Redis, to look at what the nodes wrote.</summary>
    public async Task<IDatabase> InspectAsync()
    {
        inspector ??= await ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions { EndPoints = { Redis.Configuration }, AbortOnConnectFail = false });
        return inspector.GetDatabase();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (inspector is not null)
            {
                await inspector.DisposeAsync();
            }
            if (!BStopped)
            {
                await B.StopAsync();
            }
            await A.DisposeAsync();
        }
        finally
        {
            // Whatever failed above, no redis-server outlives the test.
            await Redis.DisposeAsync();
        }
    }
}
