using LearnHub.Api.V1;
using LearnHub.Server.Presence;
using LearnHub.Server.Tests.Broadcasts;
using LearnHub.Server.Tests.Infrastructure;
using LearnHub.Server.Tests.Presence;
using Microsoft.Extensions.DependencyInjection;

namespace LearnHub.Server.Tests.ScaleOut;

/// <summary>Two nodes behind one Redis: presence counts people across nodes, and changes reach every node's viewers.</summary>
public sealed class TwoNodeTests
{
    private static Task<WatchSessionUpdate> WatchingAsync(Watcher watcher, int viewers) =>
        watcher.UntilAsync(u => u.State.Watching == viewers);

    [Fact]
    public async Task Viewers_on_two_nodes_are_counted_together_by_dashboards_and_watch_streams_on_both()
    {
        await using var nodes = await TwoNodes.StartAsync();
        var admin = await nodes.A.CreateUserAsync("admin", "admin");
        var instructor = await nodes.A.CreateUserAsync("wanhongcoco", "instructor");
        var xiaowang = await nodes.A.CreateUserAsync("xiaowang");
        var xiaoli = await nodes.A.CreateUserAsync("xiaoli");
        var session = await instructor.LiveSessionAsync();
        await using var dashboardOnA = await Dashboard.ConnectAsync(admin);
        await using var dashboardOnB = await Dashboard.ConnectAsync(nodes.OnB(instructor));
        await dashboardOnA.WatchSessionAsync(session.Id);
        await dashboardOnB.WatchSessionAsync(session.Id);

        await using var throughA = await Watcher.OpenAsync(xiaowang, session.Id);
        await using var throughB = await Watcher.OpenAsync(nodes.OnB(xiaoli), session.Id);

        await WatchingAsync(throughA, 2);
        await WatchingAsync(throughB, 2);
        await dashboardOnA.KeptCountAsync(session.Id, 2);
        await dashboardOnB.KeptCountAsync(session.Id, 2);
        // The push a dashboard keeps (the highest number) carries the true count.
        Assert.Equal(2, dashboardOnA.Counts.Where(c => c.SessionId == session.Id).MaxBy(c => c.Sequence)!.Viewers);
        var live = Assert.Single(await dashboardOnB.WatchLiveSessionsAsync());
        Assert.Equal(2, live.Viewers);

        await throughB.LeaveAsync();
        await WatchingAsync(throughA, 1);
        await dashboardOnA.KeptCountAsync(session.Id, 1);
        await dashboardOnB.KeptCountAsync(session.Id, 1);
        Assert.Equal(1, dashboardOnB.Counts.Where(c => c.SessionId == session.Id).MaxBy(c => c.Sequence)!.Viewers);
    }

    [Fact]
    public async Task A_user_watching_through_both_nodes_counts_once()
    {
        await using var nodes = await TwoNodes.StartAsync();
        var instructor = await nodes.A.CreateUserAsync("wanhongcoco", "instructor");
        var xiaowang = await nodes.A.CreateUserAsync("xiaowang");
        var xiaoli = await nodes.A.CreateUserAsync("xiaoli");
        var session = await instructor.LiveSessionAsync();

        await using var phone = await Watcher.OpenAsync(xiaowang, session.Id);
        await using var laptop = await Watcher.OpenAsync(nodes.OnB(xiaowang), session.Id);
        await using var other = await Watcher.OpenAsync(nodes.OnB(xiaoli), session.Id);
        await WatchingAsync(phone, 2);
        await WatchingAsync(other, 2);
        Assert.Equal(2, nodes.A.ServerCount(session.Id));

        await phone.LeaveAsync();
        await other.LeaveAsync();
        await WatchingAsync(laptop, 1);
        await Wait.UntilAsync(() => Task.FromResult(nodes.A.ServerCount(session.Id)), c => c == 1, what: "node A counting the laptop");
        await laptop.LeaveAsync();
        await Wait.UntilAsync(() => Task.FromResult(nodes.A.ServerCount(session.Id)), c => c == 0, what: "nobody left");
        await Wait.UntilAsync(() => Task.FromResult(nodes.B.ServerCount(session.Id)), c => c == 0, what: "nobody left on B");
    }

    [Fact]
    public async Task The_viewers_of_a_node_that_stops_its_heartbeat_leave_every_count_within_the_node_timeout()
    {
        await using var nodes = await TwoNodes.StartAsync(new Dictionary<string, string?>
        {
            ["Redis:NodeTimeout"] = "00:00:02",
            ["Redis:HeartbeatInterval"] = "00:00:00.250",
        });
        var admin = await nodes.A.CreateUserAsync("admin", "admin");
        var instructor = await nodes.A.CreateUserAsync("wanhongcoco", "instructor");
        var xiaowang = await nodes.A.CreateUserAsync("xiaowang");
        var xiaoli = await nodes.A.CreateUserAsync("xiaoli");
        var session = await instructor.LiveSessionAsync();
        await using var dashboard = await Dashboard.ConnectAsync(admin);
        await dashboard.WatchSessionAsync(session.Id);
        await using var throughA = await Watcher.OpenAsync(xiaowang, session.Id);
        var throughB = await Watcher.OpenAsync(nodes.OnB(xiaoli), session.Id);
        await WatchingAsync(throughA, 2);
        await dashboard.KeptCountAsync(session.Id, 2); // else a 1 still shown from the way up would pass for the reap

        nodes.SilenceB();
        await throughB.DisposeAsync(); // leaving a silent node tells Redis nothing
        await nodes.StopBAsync();

        var started = DateTimeOffset.UtcNow;
        await WatchingAsync(throughA, 1);
        await dashboard.KeptCountAsync(session.Id, 1);
        Assert.InRange(DateTimeOffset.UtcNow - started, TimeSpan.Zero, TimeSpan.FromSeconds(10));
        var db = await nodes.InspectAsync();
        Assert.False(await db.SetContainsAsync($"{nodes.Prefix}:presence:nodes", "node-b"));
        Assert.Equal(1, await db.HashLengthAsync($"{nodes.Prefix}:presence:session:{session.Id}:users"));
    }

    [Fact]
    public async Task Counts_recover_on_both_nodes_after_Redis_restarts_and_lost_everything()
    {
        await using var nodes = await StartWithRestartableRedisAsync();
        var instructor = await nodes.A.CreateUserAsync("wanhongcoco", "instructor");
        var xiaowang = await nodes.A.CreateUserAsync("xiaowang");
        var xiaoli = await nodes.A.CreateUserAsync("xiaoli");
        var xiaozhang = await nodes.A.CreateUserAsync("xiaozhang");
        var session = await instructor.LiveSessionAsync();
        await using var throughA = await Watcher.OpenAsync(xiaowang, session.Id);
        await using var throughB = await Watcher.OpenAsync(nodes.OnB(xiaoli), session.Id);
        await WatchingAsync(throughA, 2);
        await WatchingAsync(throughB, 2);

        await nodes.Redis.RestartAsync();

        var db = await nodes.InspectAsync();
        await Wait.UntilAsync(
            () => db.HashLengthAsync($"{nodes.Prefix}:presence:session:{session.Id}:users"), n => n == 2,
            what: "both nodes writing their viewers to the new Redis");
        await using var late = await Watcher.OpenAsync(nodes.OnB(xiaozhang), session.Id);
        await WatchingAsync(throughA, 3);
        await WatchingAsync(throughB, 3);
        await throughA.LeaveAsync();
        await WatchingAsync(throughB, 2);
        await WatchingAsync(late, 2);
    }

    [Fact]
    public async Task Dashboards_on_both_nodes_show_a_count_that_changed_while_Redis_was_away()
    {
        await using var nodes = await StartWithRestartableRedisAsync();
        var admin = await nodes.A.CreateUserAsync("admin", "admin");
        var instructor = await nodes.A.CreateUserAsync("wanhongcoco", "instructor");
        var xiaowang = await nodes.A.CreateUserAsync("xiaowang");
        var xiaoli = await nodes.A.CreateUserAsync("xiaoli");
        var session = await instructor.LiveSessionAsync();
        await using var dashboardOnA = await Dashboard.ConnectAsync(admin);
        await using var dashboardOnB = await Dashboard.ConnectAsync(nodes.OnB(instructor));
        await dashboardOnA.WatchSessionAsync(session.Id);
        await dashboardOnB.WatchSessionAsync(session.Id);
        await using var throughA = await Watcher.OpenAsync(xiaowang, session.Id);
        await using var throughB = await Watcher.OpenAsync(nodes.OnB(xiaoli), session.Id);
        await dashboardOnA.KeptCountAsync(session.Id, 2);
        await dashboardOnB.KeptCountAsync(session.Id, 2);

        // xiaoli leaves while Redis is down; it comes back empty. Nothing changes after that.
        await nodes.Redis.KillAsync();
        await throughB.LeaveAsync();
        await Wait.UntilAsync(() => Task.FromResult(nodes.B.Services.GetRequiredService<WatchStreams>().HasStreams(session.Id)), has => !has, what: "xiaoli leaving node B");
        await nodes.Redis.StartAgainAsync();

        await WatchingAsync(throughA, 1);
        await dashboardOnA.KeptCountAsync(session.Id, 1);
        await dashboardOnB.KeptCountAsync(session.Id, 1);
    }

    [Fact]
    public async Task A_session_ended_while_Redis_was_away_reaches_the_other_node_s_streams_and_both_nodes_dashboards()
    {
        await using var nodes = await StartWithRestartableRedisAsync();
        var admin = await nodes.A.CreateUserAsync("admin", "admin");
        var instructor = await nodes.A.CreateUserAsync("wanhongcoco", "instructor");
        var xiaoli = await nodes.A.CreateUserAsync("xiaoli");
        var session = await instructor.LiveSessionAsync();
        await using var dashboardOnA = await Dashboard.ConnectAsync(admin);
        await using var dashboardOnB = await Dashboard.ConnectAsync(nodes.OnB(admin));
        Assert.Contains(await dashboardOnA.WatchLiveSessionsAsync(), s => s.SessionId == session.Id);
        Assert.Contains(await dashboardOnB.WatchLiveSessionsAsync(), s => s.SessionId == session.Id);
        await using var throughB = await Watcher.OpenAsync(nodes.OnB(xiaoli), session.Id);
        await WatchingAsync(throughB, 1);

        // Ended on A while Redis is down: A's session event and hub message have nowhere to go. Redis comes back empty.
        await nodes.Redis.KillAsync();
        await instructor.Sessions.EndSessionAsync(new EndSessionRequest { SessionId = session.Id });
        await nodes.Redis.StartAgainAsync();

        var final = await throughB.UntilAsync(u => u.Kind == WatchSessionUpdate.Types.Kind.Final);
        Assert.Equal(SessionStatus.Ended, final.State.Status);
        await dashboardOnA.StatusAsync(session.Id, "Ended");
        await dashboardOnB.StatusAsync(session.Id, "Ended");
    }

    [Fact]
    public async Task A_session_ended_on_one_node_ends_the_watch_streams_of_the_other_and_dashboards_hear_it_once()
    {
        await using var nodes = await TwoNodes.StartAsync();
        var admin = await nodes.A.CreateUserAsync("admin", "admin");
        var instructor = await nodes.A.CreateUserAsync("wanhongcoco", "instructor");
        var xiaoli = await nodes.A.CreateUserAsync("xiaoli");
        var session = await instructor.LiveSessionAsync();
        await using var dashboardOnA = await Dashboard.ConnectAsync(admin);
        await using var dashboardOnB = await Dashboard.ConnectAsync(nodes.OnB(admin));
        await dashboardOnA.WatchLiveSessionsAsync();
        await dashboardOnB.WatchLiveSessionsAsync();
        await using var throughB = await Watcher.OpenAsync(nodes.OnB(xiaoli), session.Id);

        await instructor.Sessions.EndSessionAsync(new EndSessionRequest { SessionId = session.Id });

        var final = await throughB.UntilAsync(u => u.Kind == WatchSessionUpdate.Types.Kind.Final);
        Assert.Equal(SessionStatus.Ended, final.State.Status);
        Assert.Equal(global::Grpc.Core.StatusCode.OK, await throughB.CompletionAsync());
        await dashboardOnA.StatusAsync(session.Id, "Ended");
        await dashboardOnB.StatusAsync(session.Id, "Ended");
        // Sent by the node that ended it only: the backplane brings one message to every dashboard.
        Assert.Single(dashboardOnA.Statuses, s => s.SessionId == session.Id && s.Status == "Ended");
        Assert.Single(dashboardOnB.Statuses, s => s.SessionId == session.Id && s.Status == "Ended");
    }

    [Fact]
    public async Task A_broadcast_approved_on_one_node_is_pushed_to_a_follower_holding_the_inbox_stream_on_the_other()
    {
        await using var nodes = await TwoNodes.StartAsync();
        var admin = await nodes.A.CreateUserAsync("admin", "admin");
        var reviewer = await nodes.A.CreateUserAsync("shenhe", "reviewer");
        var creator = await nodes.A.CreateUserAsync("wanhongcoco");
        Assert.True((await admin.Admin.SetCertifiedAsync(new SetCertifiedRequest { UserId = creator.Id, Certified = true })).Certified);
        var fan = await nodes.A.CreateUserAsync("xiaowang");
        await fan.Follows.FollowAsync(new FollowRequest { CreatorId = creator.Id });
        var submitted = await creator.Broadcasts.SubmitBroadcastAsync(new SubmitBroadcastRequest
        {
            RequestId = "req-1",
            Kind = BroadcastKind.Text,
            Text = "直播马上开始,快来!",
            AgreedToAgreement = true,
            AgreementVersion = FanBroadcastWorld.AgreementVersion,
        });
        await using var inboxOnB = await InboxWatcher.OpenAsync(nodes.OnB(fan));

        await reviewer.Broadcasts.ApproveBroadcastAsync(new ApproveBroadcastRequest { BroadcastId = submitted.Id });

        var pushed = await inboxOnB.UntilAsync(e => e.Message is not null);
        Assert.Equal(submitted.Id, pushed.Message.Broadcast.Id);
        Assert.Equal(1, pushed.Summary.NewlyReceived);
    }

    [Fact]
    public async Task A_node_sharing_presence_does_not_start_while_its_Redis_is_unreachable()
    {
        var port = LearnHub.Testing.LoopbackPorts.FreePair().Grpc;
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => LearnHubApp.StartAsync(new Dictionary<string, string?>
        {
            ["Redis:Configuration"] = $"127.0.0.1:{port},connectTimeout=1000",
        }));
        Assert.Contains("is not reachable", refused.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Nodes_sampling_the_same_live_session_write_the_same_rows_and_each_its_own_viewers_watch_time()
    {
        // Node B's sampling timer ticks 3 s after node A's: unaligned, each tick would be a row of its own.
        await using var nodes = await TwoNodes.StartAsync(bStartsLater: TimeSpan.FromSeconds(3));
        var instructor = await nodes.A.CreateUserAsync("wanhongcoco", "instructor");
        var xiaoli = await nodes.A.CreateUserAsync("xiaoli");
        var session = await instructor.LiveSessionAsync();
        // The go-live's row (nobody there yet) is written after the commit: the viewer joins once it is.
        await Wait.UntilAsync(
            () => instructor.Presence.GetSessionStatsAsync(new GetSessionStatsRequest { SessionId = session.Id }).ResponseAsync,
            s => s.Samples.Count == 1, what: "the go-live's sample");
        await using var throughB = await Watcher.OpenAsync(nodes.OnB(xiaoli), session.Id);
        await WatchingAsync(throughB, 1);
        var start = Scenario.Start.ToUnixTimeMilliseconds();

        nodes.A.Clock.Advance(TimeSpan.FromSeconds(7)); // A's tick at +10 s
        await Wait.UntilAsync(
            () => instructor.Presence.GetSessionStatsAsync(new GetSessionStatsRequest { SessionId = session.Id }).ResponseAsync,
            s => s.Samples.Count == 2, what: "node A's sample");
        nodes.A.Clock.Advance(TimeSpan.FromSeconds(3)); // B's tick at +13 s writes xiaoli's watch time and a sample
        var stats = await Wait.UntilAsync(
            () => instructor.Presence.GetSessionStatsAsync(new GetSessionStatsRequest { SessionId = session.Id }).ResponseAsync,
            s => s.UniqueViewers == 1, what: "node B's flush");

        Assert.Equal([start + 3_000, start + 10_000], stats.Samples.Select(x => x.At.ToDateTimeOffset().ToUnixTimeMilliseconds()));
        Assert.Equal([0, 1], stats.Samples.Select(x => x.Viewers)); // nobody at go-live; at +10 s the viewer on B, counted by A
        Assert.Equal(10, stats.AverageWatchSeconds);
    }

    /// <summary>Two nodes on a Redis the test may stop and start again, with a quick heartbeat so they notice it back.</summary>
    private static async Task<TwoNodes> StartWithRestartableRedisAsync()
    {
        var nodes = await TwoNodes.StartAsync(new Dictionary<string, string?>
        {
            ["Redis:HeartbeatInterval"] = "00:00:00.250",
        });
        if (!nodes.Redis.CanRestart)
        {
            await nodes.DisposeAsync();
            Assert.Skip("an external Redis (LEARNHUB_TEST_REDIS) is not restarted by tests");
        }
        return nodes;
    }
}
