using Dapper;
using LearnHub.Api.V1;
using LearnHub.Server.Data;
using LearnHub.Server.Presence;
using LearnHub.Server.Sessions;
using LearnHub.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static LearnHub.Server.Tests.Infrastructure.Scenario;

namespace LearnHub.Server.Tests.Sessions;

/// <summary>
/// GetSession and 直播推荐 are served from memory (a session cache, each user's reserved ids and zone, a snapshot of the
/// panel). Each test first reads, so that what it then changes is cached, and expects the change on the next read.
/// </summary>
public sealed class ReadsFromMemoryTests
{
    private static async Task<Recommendation[]> PanelAsync(TestUser user) =>
        (await user.Sessions.ListRecommendationsAsync(new ListRecommendationsRequest { PageSize = 50 })).Items.ToArray();

    [Fact]
    public async Task The_panel_and_GetSession_follow_create_update_go_live_end_and_cancel()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var viewer = await app.CreateUserAsync("xiaowang");
        var ch19 = await instructor.ScheduleAsync(Shanghai(1, 19, 30), title: "经济基础第19章考点梳理");
        Assert.Equal([ch19.Id], (await PanelAsync(viewer)).Select(i => i.Session.Id));
        Assert.Equal("经济基础第19章考点梳理", (await viewer.GetAsync(ch19.Id)).Title);

        var ch20 = await instructor.ScheduleAsync(Shanghai(3, 19, 30), title: "经济基础第20章考点梳理");
        Assert.Equal([ch19.Id, ch20.Id], (await PanelAsync(viewer)).Select(i => i.Session.Id));

        // Moved after 第20章 and renamed: both reads show it at once.
        await instructor.Sessions.UpdateSessionAsync(new UpdateSessionRequest
        {
            SessionId = ch19.Id, Title = "经济基础第19章考点梳理(改期)", PlannedStart = Ts(Shanghai(4, 19, 30)),
        });
        var moved = await viewer.GetAsync(ch19.Id);
        Assert.Equal("经济基础第19章考点梳理(改期)", moved.Title);
        Assert.Equal(Ts(Shanghai(4, 19, 30)), moved.PlannedStart);
        var panel = await PanelAsync(viewer);
        Assert.Equal([ch20.Id, ch19.Id], panel.Select(i => i.Session.Id));
        Assert.Equal($"{MonthDay(4)} 19:30 · 0", panel[1].Badge);
        Assert.Equal("经济基础第19章考点梳理(改期)", panel[1].Session.Title);

        var now = await instructor.ScheduleAsync(app.Now().AddMinutes(10), title: "经济基础阶段测试2试题讲解");
        Assert.Equal(SessionStatus.Scheduled, (await viewer.GetAsync(now.Id)).Status);
        await instructor.Sessions.GoLiveAsync(new GoLiveRequest { SessionId = now.Id });
        Assert.Equal(SessionStatus.Live, (await viewer.GetAsync(now.Id)).Status);
        panel = await PanelAsync(viewer);
        Assert.Equal([now.Id, ch20.Id, ch19.Id], panel.Select(i => i.Session.Id));
        Assert.Equal("直播中 0", panel[0].Badge);

        await instructor.Sessions.EndSessionAsync(new EndSessionRequest { SessionId = now.Id });
        Assert.Equal(SessionStatus.Ended, (await viewer.GetAsync(now.Id)).Status);
        Assert.Equal([ch20.Id, ch19.Id], (await PanelAsync(viewer)).Select(i => i.Session.Id));

        await instructor.Sessions.CancelSessionAsync(new CancelSessionRequest { SessionId = ch20.Id, Reason = "讲师生病" });
        var cancelled = await viewer.GetAsync(ch20.Id);
        Assert.Equal(SessionStatus.Cancelled, cancelled.Status);
        Assert.Equal("讲师生病", cancelled.CancelReason);
        Assert.Equal([ch19.Id], (await PanelAsync(viewer)).Select(i => i.Session.Id));
    }

    [Fact]
    public async Task Reservation_counts_and_reserved_by_me_follow_reserve_and_cancel_at_once()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var xiaowang = await app.CreateUserAsync("xiaowang");
        var xiaoli = await app.CreateUserAsync("xiaoli");
        var ch19 = await instructor.ScheduleAsync(Shanghai(1, 19, 30));
        foreach (var user in new[] { xiaowang, xiaoli })
        {
            Assert.False((await user.GetAsync(ch19.Id)).ReservedByMe);
            Assert.False((await PanelAsync(user))[0].Session.ReservedByMe);
        }

        await xiaowang.ReserveAsync(ch19.Id);
        var mine = await xiaowang.GetAsync(ch19.Id);
        Assert.True(mine.ReservedByMe);
        Assert.Equal(1, mine.ReservationCount);
        var item = Assert.Single(await PanelAsync(xiaowang));
        Assert.True(item.Session.ReservedByMe);
        Assert.Equal(1, item.Session.ReservationCount);
        Assert.Equal($"{MonthDay(1)} 19:30 · 1", item.Badge);
        // Another viewer sees the count, not the flag.
        var theirs = await xiaoli.GetAsync(ch19.Id);
        Assert.False(theirs.ReservedByMe);
        Assert.Equal(1, theirs.ReservationCount);
        Assert.False(Assert.Single(await PanelAsync(xiaoli)).Session.ReservedByMe);

        await xiaoli.ReserveAsync(ch19.Id);
        Assert.True((await xiaoli.GetAsync(ch19.Id)).ReservedByMe);
        Assert.Equal($"{MonthDay(1)} 19:30 · 2", Assert.Single(await PanelAsync(xiaowang)).Badge);

        await xiaowang.Sessions.CancelReservationAsync(new CancelReservationRequest { SessionId = ch19.Id });
        mine = await xiaowang.GetAsync(ch19.Id);
        Assert.False(mine.ReservedByMe);
        Assert.Equal(1, mine.ReservationCount);
        item = Assert.Single(await PanelAsync(xiaowang));
        Assert.False(item.Session.ReservedByMe);
        Assert.Equal($"{MonthDay(1)} 19:30 · 1", item.Badge);
        Assert.True(Assert.Single(await PanelAsync(xiaoli)).Session.ReservedByMe);
    }

    [Fact]
    public async Task Viewer_counts_reorder_the_live_sessions_at_once()
    {
        await using var app = await Scenario.StartAsync();
        var wan = await app.CreateUserAsync("wanhongcoco", "instructor");
        var li = await app.CreateUserAsync("li", "instructor");
        var viewer = await app.CreateUserAsync("xiaowang");
        var fan = await app.CreateUserAsync("xiaoli");
        var first = await GoLiveAsync(wan, 10);
        var second = await GoLiveAsync(li, 20);
        // Nobody watching: by start.
        Assert.Equal([first.Id, second.Id], (await PanelAsync(viewer)).Select(i => i.Session.Id));

        var counts = app.Services.GetRequiredService<ILiveViewerCounts>();
        using (counts.Join(second.Id, fan.Id))
        {
            var panel = await PanelAsync(viewer);
            Assert.Equal([second.Id, first.Id], panel.Select(i => i.Session.Id));
            Assert.Equal(["直播中 1", "直播中 0"], panel.Select(i => i.Badge));
            Assert.Equal([1, 0], panel.Select(i => i.ViewerCount));
            using (counts.Join(first.Id, fan.Id))
            using (counts.Join(first.Id, viewer.Id))
            {
                Assert.Equal(["直播中 2", "直播中 1"], (await PanelAsync(viewer)).Select(i => i.Badge));
                Assert.Equal([first.Id, second.Id], (await PanelAsync(viewer)).Select(i => i.Session.Id));
            }
            Assert.Equal([second.Id, first.Id], (await PanelAsync(viewer)).Select(i => i.Session.Id));
        }
        Assert.Equal(["直播中 0", "直播中 0"], (await PanelAsync(viewer)).Select(i => i.Badge));

        async Task<Session> GoLiveAsync(TestUser instructor, int minutesAhead)
        {
            var session = await instructor.ScheduleAsync(app.Now().AddMinutes(minutesAhead));
            return await instructor.Sessions.GoLiveAsync(new GoLiveRequest { SessionId = session.Id });
        }
    }

    [Fact]
    public async Task A_change_of_time_zone_shows_on_the_callers_next_panel()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var viewer = await app.CreateUserAsync("xiaowang");
        await instructor.ScheduleAsync(Shanghai(1, 19, 30));
        Assert.Equal($"{MonthDay(1)} 19:30", Assert.Single(await PanelAsync(viewer)).DisplayTime);

        await viewer.Identity.UpdateMyTimeZoneAsync(new UpdateMyTimeZoneRequest { TimeZone = "UTC" });
        Assert.Equal($"{MonthDay(1)} 11:30", Assert.Single(await PanelAsync(viewer)).DisplayTime);
        await viewer.Identity.UpdateMyTimeZoneAsync(new UpdateMyTimeZoneRequest { TimeZone = "Asia/Tokyo" });
        Assert.Equal($"{MonthDay(1)} 20:30", Assert.Single(await PanelAsync(viewer)).DisplayTime);
    }

    [Fact]
    public async Task Pages_past_the_sessions_the_panel_keeps_read_the_store_and_continue_in_order()
    {
        await using var app = await LearnHubApp.StartAsync(
            new Dictionary<string, string?> { ["SessionReads:PanelUpcomingLimit"] = "3" },
            clock: new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Start) { AutoAdvanceAmount = TimeSpan.Zero });
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var viewer = await app.CreateUserAsync("xiaowang");
        var ids = new List<string>();
        for (var day = 1; day <= 7; day++)
        {
            ids.Add((await instructor.ScheduleAsync(Shanghai(day, 19, 30), title: $"第{day}讲")).Id);
        }
        await viewer.ReserveAsync(ids[5]);

        var seen = new List<Recommendation>();
        var request = new ListRecommendationsRequest { PageSize = 2 };
        do
        {
            var page = await viewer.Sessions.ListRecommendationsAsync(request);
            seen.AddRange(page.Items);
            request.PageToken = page.NextPageToken;
        }
        while (request.PageToken.Length > 0 && seen.Count < 20);

        Assert.Equal(ids, seen.Select(i => i.Session.Id));
        Assert.Equal(Enumerable.Range(1, 7).Select(day => $"{MonthDay(day)} 19:30 · {(day == 6 ? 1 : 0)}"), seen.Select(i => i.Badge));
        Assert.Equal(ids.Select(id => id == ids[5]), seen.Select(i => i.Session.ReservedByMe));
        Assert.All(seen, i => Assert.Equal("", i.Session.Description));
    }
    [Fact]
    public async Task A_failed_rebuild_leaves_the_last_panel_served_and_is_tried_again()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var viewer = await app.CreateUserAsync("xiaowang");
        var ch19 = await instructor.ScheduleAsync(Shanghai(1, 19, 30), title: "经济基础第19章考点梳理");
        await viewer.ReserveAsync(ch19.Id);
        Assert.Single(await PanelAsync(viewer));
        var database = app.Services.GetRequiredService<Database>();
        async Task ExecuteAsync(string sql)
        {
            await using var connection = await database.OpenAsync(CancellationToken.None);
            await connection.ExecuteAsync(sql, new { id = ch19.Id });
        }

        // The sessions table away (as a store that fails to answer): the periodic rebuild fails and says so.
        await ExecuteAsync("ALTER TABLE sessions RENAME TO sessions_away");
        try
        {
            app.Clock.Advance(new SessionReadOptions().MissedEventBound);
            await Wait.UntilAsync(() => Task.FromResult(app.Logs.Describe()), log => log.Contains("Rebuilding 直播推荐 failed", StringComparison.Ordinal), what: "the failed rebuild logged");
            var served = Assert.Single(await PanelAsync(viewer));
            Assert.Equal("经济基础第19章考点梳理", served.Session.Title);
            Assert.True(served.Session.ReservedByMe);
            await ExecuteAsync("UPDATE sessions_away SET title = '经济基础第19章考点梳理(改)' WHERE id = @id");
        }
        finally
        {
            await ExecuteAsync("ALTER TABLE sessions_away RENAME TO sessions");
        }

        // Back: the retry rebuilds the panel from the store as it now stands.
        app.Clock.Advance(new SessionReadOptions().RebuildRetryDelay);
        await Wait.UntilAsync(() => PanelAsync(viewer), p => p.Single().Session.Title == "经济基础第19章考点梳理(改)", what: "the panel rebuilt after the retry");
    }
    [Fact]
    public async Task A_reservation_returns_only_once_the_panel_of_its_node_shows_it()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var viewer = await app.CreateUserAsync("xiaowang");
        var ch19 = await instructor.ScheduleAsync(Shanghai(1, 19, 30));
        Assert.Equal($"{MonthDay(1)} 19:30 · 0", Assert.Single(await PanelAsync(viewer)).Badge);
        var snapshot = app.Services.GetRequiredService<RecommendationsSnapshot>();
        var committed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var listening = app.Services.GetRequiredService<ISessionEvents>().SubscribeReservations(_ => committed.TrySetResult());

        // Rebuilds held: the reservation commits and is told, but its call must not answer before a rebuild ran.
        await snapshot.BuildGate.WaitAsync(TestContext.Current.CancellationToken);
        Task<Reservation> reserving;
        try
        {
            reserving = viewer.Sessions.ReserveSessionAsync(new ReserveSessionRequest { SessionId = ch19.Id }).ResponseAsync;
            await committed.Task.DefaultTimeout();
            var meanwhile = Assert.Single(await PanelAsync(viewer));
            Assert.Equal($"{MonthDay(1)} 19:30 · 0", meanwhile.Badge); // the panel was not rebuilt yet...
            Assert.True(meanwhile.Session.ReservedByMe); // ...but the caller's own flag is already right
            Assert.False(reserving.IsCompleted);
        }
        finally
        {
            snapshot.BuildGate.Release();
        }
        await reserving.DefaultTimeout();
        Assert.Equal($"{MonthDay(1)} 19:30 · 1", Assert.Single(await PanelAsync(viewer)).Badge);
    }
}
