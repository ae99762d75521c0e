using LearnHub.Api.V1;
using LearnHub.Server.Tests.Durability;
using LearnHub.Server.Tests.Infrastructure;
using LearnHub.Server.Tests.Presence;
using LearnHub.Testing;
using Microsoft.Extensions.Time.Testing;

namespace LearnHub.Server.Tests.ScaleOut;

/// <summary>A node killed with kill -9 (a real server process) leaves no ghost viewers behind.</summary>
/// <remarks>
/// Always on PostgreSQL, whatever LEARNHUB_TEST_STORE says: two server processes on one store is a cluster, and a
/// SQLite data folder admits one server process only (DataFolderLock).
/// </remarks>
public sealed class KilledNodeTests
{
    [Fact]
    public async Task The_viewers_of_a_node_killed_with_kill_9_leave_the_count_on_the_surviving_node()
    {
        await using var redis = await RedisServer.StartAsync();
        var postgres = await PostgresServer.SharedAsync();
        var database = await postgres.CreateDatabaseAsync();
        try
        {
            await RunAsync(redis, database);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Npgsql.NpgsqlConnection.ClearAllPools();
            await postgres.DropDatabaseAsync(database);
        }
    }

    private static async Task RunAsync(RedisServer redis, string database)
    {
        var prefix = $"lh-test-{Guid.NewGuid():N}";
        string[] cluster = [$"Redis:Configuration={redis.Configuration}", $"Redis:ChannelPrefix={prefix}", "Redis:NodeTimeout=00:00:03", "Redis:HeartbeatInterval=00:00:00.500",
            "Storage:Provider=Postgres", $"Storage:ConnectionString={database}"];
        // Node A's pacing runs on its fake clock, which stands still: pushes are not paced.
        var settingsOfA = cluster.Select(s => s.Split('=', 2)).ToDictionary(p => p[0], p => (string?)p[1]);
        settingsOfA["Presence:PushInterval"] = "00:00:00";
        await using var a = await LearnHubApp.StartAsync(
            settingsOfA,
            clock: new FakeTimeProvider(Scenario.Start) { AutoAdvanceAmount = TimeSpan.Zero });
        var instructor = await a.CreateUserAsync("wanhongcoco", "instructor");
        var xiaowang = await a.CreateUserAsync("xiaowang");
        var xiaoli = await a.CreateUserAsync("xiaoli");
        var session = await instructor.LiveSessionAsync();
        // Node B is the built server in its own process, on the same database and data folder (the signing key).
        await using var b = await ServerProcess.StartAsync(a.DataDirectory, [.. cluster.Select(s => "--" + s), "--Cluster:NodeId=node-b"]);

        await using var throughA = await Watcher.OpenAsync(xiaowang, session.Id);
        await using var throughB = WatchFeed.Open(new PresenceService.PresenceServiceClient(b.Invoker(xiaoli.Token)), session.Id);
        await throughB.UntilAsync(s => s.Watching == 2, Wait.DefaultDeadline, "2 watching, seen through node B");
        await throughA.UntilAsync(u => u.State.Watching == 2);

        await b.KillAsync();

        var update = await throughA.UntilAsync(u => u.State.Watching == 1);
        Assert.Equal(SessionStatus.Live, update.State.Status);
        Assert.Equal(1, a.ServerCount(session.Id));
    }
}
