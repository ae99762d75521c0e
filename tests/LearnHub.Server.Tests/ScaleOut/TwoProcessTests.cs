using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using LearnHub.Api.V1;
using LearnHub.Server.Tests.Durability;
using LearnHub.Server.Tests.Infrastructure;

namespace LearnHub.Server.Tests.ScaleOut;

/// <summary>
/// Two server processes on one PostgreSQL and one Redis, on the wall clock, as issue 6 asks: lifecycle steps fire
/// once across the cluster and survive kill -9 of a node, viewers through either node are counted on every
/// dashboard, a Redis restart loses no count, and the broadcast quota holds across nodes.
/// </summary>
[Collection(ScaleOutCollection.Name)]
public sealed class TwoProcessTests
{
    /// <summary>The reminder goes out this long before the start, so every step happens within the test.</summary>
    private static readonly TimeSpan ReminderLead = TimeSpan.FromSeconds(3);

    /// <summary>The bound: a killed node's due work is done by another within this.</summary>
    private static readonly TimeSpan TakeOver = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Sessions_go_live_once_each_across_two_nodes_and_a_killed_node_s_work_is_taken_over()
    {
        const int SessionCount = 250;
        await using var cluster = await Cluster.StartAsync(2, $"--Scheduling:ReminderLead={ReminderLead:c}");
        var instructors = new List<ClusterUser>();
        for (var i = 0; i < SessionCount; i++)
        {
            instructors.Add(await cluster.CreateUserAsync($"teacher-{i:D3}", "instructor"));
        }
        ClusterUser[] viewers = [await cluster.CreateUserAsync("viewer-1", "viewer"), await cluster.CreateUserAsync("viewer-2", "viewer")];

        // Scheduled far ahead through both nodes, where slow calls do no harm, and reserved by both viewers.
        var creating = System.Diagnostics.Stopwatch.StartNew();
        var sessions = await ForEachAsync(Enumerable.Range(0, SessionCount), i =>
            instructors[i].Sessions(cluster[i % 2]).CreateSessionAsync(new CreateSessionRequest
            {
                Title = $"经济基础第{i + 1}讲", PlannedStart = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddHours(2)), DurationMinutes = 30,
            }).ResponseAsync);
        await ForEachAsync(Enumerable.Range(0, SessionCount * viewers.Length), async n =>
        {
            var (i, viewer) = (n / viewers.Length, viewers[n % viewers.Length]);
            return await viewer.Sessions(cluster[n % 2]).ReserveSessionAsync(new ReserveSessionRequest { SessionId = sessions[i].Id });
        });

        var created = creating.Elapsed;

        // Then moved into one window: starts spread over ten seconds, with node 0 killed in the middle of it. Each write
        // also writes the session's Quartz triggers, which the clustered store serializes through its lock row: the
        // window opens after twice as long as the creates took (a reschedule costs about as much), so a busy machine
        // only makes the test longer.
        var windowStart = DateTimeOffset.UtcNow + ReminderLead + TimeSpan.FromSeconds(5) + created * 2;
        var window = TimeSpan.FromSeconds(10);
        sessions = await ForEachAsync(Enumerable.Range(0, SessionCount), i =>
            instructors[i].Sessions(cluster[i % 2]).UpdateSessionAsync(new UpdateSessionRequest
            {
                SessionId = sessions[i].Id,
                PlannedStart = Timestamp.FromDateTimeOffset(windowStart + window * i / SessionCount),
                ExpectedVersion = sessions[i].Version,
            }).ResponseAsync);
        Assert.True(DateTimeOffset.UtcNow < windowStart - ReminderLead, "rescheduling ran into the window; the machine is too slow for this test's timing");

        var killAt = windowStart + window * 0.4;
        await Wait.UntilAsync(() => Task.FromResult(DateTimeOffset.UtcNow), now => now >= killAt, killAt - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(10), "the middle of the window");
        await cluster.KillAsync(0);
        var killed = DateTimeOffset.UtcNow;

        // Per viewer and session: rescheduled, reminder, went live — all on the surviving node, in time.
        var survivor = cluster[1];
        var lastStart = windowStart + window;
        var expected = sessions
            .SelectMany(s => new[] { (s.Id, NotificationKind.Rescheduled), (s.Id, NotificationKind.Reminder), (s.Id, NotificationKind.WentLive) })
            .Order()
            .ToList();
        foreach (var viewer in viewers)
        {
            try
            {
                await Wait.UntilAsync(
                    async () => (await viewer.Notifications(survivor).ListNotificationsAsync(new ListNotificationsRequest { PageSize = 1 })).UnreadCount,
                    unread => unread >= SessionCount * 3,
                    lastStart - DateTimeOffset.UtcNow + TakeOver,
                    "every notice of every session");
            }
            catch (TimeoutException)
            {
                // Late or lost? Say which steps are missing, and whether they turn up when given much longer.
                var missing = expected.Except(await AllNoticesAsync(viewer, survivor)).ToList();
                var states = await ForEachAsync(missing.Select(m => sessions.FindIndex(s => s.Id == m.Item1)).Distinct(), i =>
                    instructors[i].Sessions(survivor).GetSessionAsync(new GetSessionRequest { SessionId = sessions[i].Id }).ResponseAsync);
                var later = await Wait.UntilAsync(
                    async () => expected.Except(await AllNoticesAsync(viewer, survivor)).Count(),
                    n => n == 0,
                    TimeSpan.FromSeconds(60)).ContinueWith(t => t.IsCompletedSuccessfully ? "all arrived within a further 60 s" : "still missing 60 s later", TaskScheduler.Default);
                Assert.Fail(
                    $"killed at {killed:O}, last start {lastStart:O}; missing {missing.Count} notices ({later}): "
                    + string.Join("; ", missing.Select(m => $"{m.Item1} {m.Item2}"))
                    + " | sessions: " + string.Join("; ", states.Select(s => $"{s.Id} {s.Status} start {s.PlannedStart.ToDateTimeOffset():O} live {s.LiveAt?.ToDateTimeOffset():O}")));
            }
        }
        foreach (var viewer in viewers)
        {
            Assert.Equal(expected, (await AllNoticesAsync(viewer, survivor)).Order().ToList());
        }

        // Each session went live once, not before its start, and no later than the take-over bound after it was due.
        var live = await ForEachAsync(Enumerable.Range(0, SessionCount), i =>
            instructors[i].Sessions(survivor).GetSessionAsync(new GetSessionRequest { SessionId = sessions[i].Id }).ResponseAsync);
        foreach (var session in live)
        {
            Assert.Equal(SessionStatus.Live, session.Status);
            var start = session.PlannedStart.ToDateTimeOffset();
            var wentLive = session.LiveAt.ToDateTimeOffset();
            Assert.True(wentLive >= start, $"{session.Title} went live at {wentLive:O}, before its start {start:O}");
            var due = start > killed ? start : killed;
            Assert.True(wentLive <= due + TakeOver, $"{session.Title} went live at {wentLive:O}, more than {TakeOver} after {due:O}");
        }
    }

    [Fact]
    public async Task Two_nodes_started_at_once_on_an_empty_database_both_serve_and_a_session_goes_live_once()
    {
        // Both migrate (the product's migrations under an advisory lock) and both provision Quartz's tables (Quartz
        // retries a creation that lost the race until the schema is whole) at the same moment.
        await using var cluster = await Cluster.StartTogetherAsync(2);
        var (a, b) = (cluster[0], cluster[1]);
        var instructor = await cluster.CreateUserAsync("wanhongcoco", "instructor");
        var viewer = await cluster.CreateUserAsync("xiaowang", "viewer");
        var session = await instructor.Sessions(a).CreateSessionAsync(new CreateSessionRequest
        {
            Title = "经济基础第19章考点梳理", PlannedStart = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddSeconds(5)), DurationMinutes = 30,
        });
        await viewer.Sessions(b).ReserveSessionAsync(new ReserveSessionRequest { SessionId = session.Id });

        await Wait.UntilAsync(
            async () => (await viewer.Sessions(b).GetSessionAsync(new GetSessionRequest { SessionId = session.Id })).Status,
            status => status == SessionStatus.Live,
            TakeOver,
            "the session going live");
        var notices = await AllNoticesAsync(viewer, a);
        Assert.Equal((session.Id, NotificationKind.WentLive), Assert.Single(notices));
    }

    [Fact]
    public async Task Viewers_through_either_node_are_counted_on_both_dashboards_through_a_redis_restart_and_a_node_kill()
    {
        await using var cluster = await Cluster.StartAsync(2);
        var (a, b) = (cluster[0], cluster[1]);
        var instructor = await cluster.CreateUserAsync("wanhongcoco", "instructor");
        var v1 = await cluster.CreateUserAsync("viewer-1", "viewer");
        var v2 = await cluster.CreateUserAsync("viewer-2", "viewer");
        var v3 = await cluster.CreateUserAsync("viewer-3", "viewer");
        var session = await instructor.Sessions(a).CreateSessionAsync(new CreateSessionRequest
        {
            Title = "经济基础直播答疑", PlannedStart = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddMinutes(10)), DurationMinutes = 60,
        });
        await instructor.Sessions(b).GoLiveAsync(new GoLiveRequest { SessionId = session.Id });
        await using var dashboardA = await NodeDashboard.ConnectAsync(a, instructor, session.Id);
        await using var dashboardB = await NodeDashboard.ConnectAsync(b, instructor, session.Id);

        // One viewer through each node: both dashboards, both streams and both nodes' stats say 2.
        await using var v1OnA = await NodeWatcher.OpenAsync(v1, a, session.Id);
        var v2OnB = await NodeWatcher.OpenAsync(v2, b, session.Id);
        await dashboardA.CountAsync(session.Id, 2);
        await dashboardB.CountAsync(session.Id, 2);
        await v1OnA.ViewersAsync(2);
        await v2OnB.ViewersAsync(2);
        var stats = await CurrentViewersAsync(instructor, session.Id, a, b);
        Assert.Equal([2, 2], stats);

        // People, not streams, across nodes: viewer 1 on both nodes and viewer 2 gone is 1.
        await using var v1OnB = await NodeWatcher.OpenAsync(v1, b, session.Id);
        await v2OnB.DisposeAsync();
        await dashboardA.CountAsync(session.Id, 1);
        await dashboardB.CountAsync(session.Id, 1);

        // Redis loses everything; the nodes put back what they hold, and new viewers count on top of it. Hub messages
        // sent while a node's backplane reconnects are lost (pub/sub); the node pushes its counts again once it is back.
        await cluster.Redis.RestartAsync();
        await using var v2OnA = await NodeWatcher.OpenAsync(v2, a, session.Id);
        await using var v3OnB = await NodeWatcher.OpenAsync(v3, b, session.Id);
        await Wait.UntilAsync(() => CurrentViewersAsync(instructor, session.Id, a, b), counts => counts is [3, 3], what: "both nodes' stats to say 3");

        // Node A's dashboard and stream must have caught up to 3 before the kill: one still showing the 2 it passed
        // through on the way up would look as if it had already seen the dead node's viewer leave.
        await dashboardA.CountAsync(session.Id, 3);
        await v1OnA.ViewersAsync(3);

        // Node B dies without a word: viewer 3 (only on B) leaves the count; viewers 1 and 2 still watch through A.
        await cluster.KillAsync(1);
        await dashboardA.CountAsync(session.Id, 2, TakeOver);
        await v1OnA.ViewersAsync(2, TakeOver);
        var survivorStats = await CurrentViewersAsync(instructor, session.Id, a);
        Assert.Equal([2], survivorStats);
    }

    [Fact]
    public async Task A_thousand_concurrent_submits_across_two_nodes_accept_exactly_the_weekly_quota()
    {
        await using var cluster = await Cluster.StartAsync(2);
        var creator = await cluster.CreateUserAsync("wanhongcoco", "instructor");
        await cluster.CertifyAsync(creator);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 1000).Select(async i =>
        {
            try
            {
                await creator.Broadcasts(cluster[i % 2]).SubmitBroadcastAsync(new SubmitBroadcastRequest
                {
                    RequestId = $"submit-{i}",
                    Kind = BroadcastKind.Text,
                    Text = $"经济基础冲刺资料第{i}份",
                    AgreedToAgreement = true,
                    AgreementVersion = "2024-01",
                });
                return "accepted";
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.FailedPrecondition)
            {
                return e.GetRpcStatus()?.GetDetail<PreconditionFailure>()?.Violations[0].Type ?? e.Status.Detail;
            }
        }));

        Assert.Equal(2, outcomes.Count(o => o == "accepted"));
        Assert.Equal(998, outcomes.Count(o => o == "QUOTA_EXHAUSTED"));
        foreach (var node in new[] { cluster[0], cluster[1] })
        {
            var quota = await creator.Broadcasts(node).GetQuotaAsync(new GetQuotaRequest());
            Assert.Equal((2, 2, 0), (quota.Limit, quota.Frozen, quota.Remaining));
        }
    }

    private static async Task<int[]> CurrentViewersAsync(ClusterUser instructor, string sessionId, params ServerProcess[] nodes) =>
        await Task.WhenAll(nodes.Select(async node =>
            (await instructor.Presence(node).GetSessionStatsAsync(new GetSessionStatsRequest { SessionId = sessionId })).CurrentViewers));

    private static async Task<List<(string SessionId, NotificationKind Kind)>> AllNoticesAsync(ClusterUser viewer, ServerProcess node)
    {
        var all = new List<(string, NotificationKind)>();
        var token = "";
        do
        {
            var page = await viewer.Notifications(node).ListNotificationsAsync(new ListNotificationsRequest { PageSize = 100, PageToken = token });
            all.AddRange(page.Notifications.Select(n => (n.SessionId, n.Kind)));
            token = page.NextPageToken;
        }
        while (token.Length > 0);
        return all;
    }

    /// <summary>Runs the calls at most 16 at a time (two nodes on two cores), keeping the input order.</summary>
    private static async Task<List<T>> ForEachAsync<T>(IEnumerable<int> items, Func<int, Task<T>> call)
    {
        var indexes = items.ToList();
        var results = new T[indexes.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, indexes.Count),
            new ParallelOptions { MaxDegreeOfParallelism = 16 },
            async (k, _) => results[k] = await call(indexes[k]));
        return [.. results];
    }
}

/// <summary>The two-node tests run one at a time: each starts two servers and its own Redis on a two-core machine.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ScaleOutCollection
{
    public const string Name = "Scale-out";
}
