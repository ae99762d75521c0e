using Grpc.Core;
using LearnHub.Admin.Components.Layout;
using LearnHub.Admin.Components.Pages.Sessions;
using LearnHub.Admin.Tests.Infrastructure;
using LearnHub.Admin.Tests.Schedule;
using LearnHub.Api.V1;
using MudBlazor;

namespace LearnHub.Admin.Tests.Live;

public sealed class AudiencePanelTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    private static string Text(IRenderedComponent<ScheduleHost> cut, string testId) => cut.Find($"[data-testid={testId}]").TextContent.Trim();

    private static string Chart(IRenderedComponent<ScheduleHost> cut, string attribute) =>
        cut.Find("[data-testid=session-viewers-chart]").GetAttribute(attribute) ?? string.Empty;

    private static double[] ChartValues(IRenderedComponent<ScheduleHost> cut) =>
        [.. cut.FindComponent<MudChart<double>>().Instance.ChartSeries!.Single().Data.Values];

    /// <summary>A live session s1 with stats (samples 0, 20, 42) and the hub saying 35 are watching.</summary>
    private static AdminTestContext LiveSession(string[] roles, string instructorId = LiveFakes.Me)
    {
        var context = new AdminTestContext(roles: roles);
        context.Api
            .On<GetSessionRequest, Session>("GetSession", _ => LiveFakes.Session("s1", "经济基础第19章考点梳理", SessionStatus.Live, instructorId))
            .On<GetSessionStatsRequest, SessionStats>("GetSessionStats", _ => LiveFakes.Stats("s1", SessionStatus.Live, current: 35, 0, 20, 42));
        context.Live.Sessions["s1"] = LiveFakes.View("s1", "经济基础第19章考点梳理", viewers: 35, reservations: 54, instructorId: instructorId);
        return context;
    }

    [Fact]
    public async Task A_live_session_shows_its_figures_from_GetSessionStats_with_times_in_the_users_zone()
    {
        await using var context = LiveSession(["instructor"]);

        var cut = context.RenderWithProviders<SessionPage>(p => p.Add(x => x.SessionId, "s1"));

        cut.WaitForAssertion(() => Assert.Equal("35", Text(cut, "session-viewers")), Timeout);
        Assert.Equal("42", Text(cut, "session-peak"));
        Assert.Equal("2026-05-01 09:52:30", Text(cut, "session-peak-at"));
        Assert.Equal("57", Text(cut, "session-unique-viewers"));
        Assert.Equal("12 分 34 秒", Text(cut, "session-average-watch"));
        Assert.Equal("754", cut.Find("[data-testid=session-average-watch]").GetAttribute("data-seconds"));
        Assert.Equal("54", Text(cut, "session-stats-reservations"));
        Assert.Equal("31", Text(cut, "session-attendees"));
        Assert.Equal("connected", cut.Find("[data-testid=session-live-connection]").GetAttribute("data-state"));
        Assert.Equal(["s1"], context.Live.Watched);
        Assert.Equal("s1", Assert.Single(context.Api.RequestsTo<GetSessionStatsRequest>("GetSessionStats")).SessionId);
    }

    [Fact]
    public async Task While_live_unique_viewers_and_average_watch_time_are_re_read_as_people_keep_watching()
    {
        await using var context = new AdminTestContext(roles: ["instructor"]);
        var reads = 0;
        context.Api
            .On<GetSessionRequest, Session>("GetSession", _ => LiveFakes.Session("s1", "经济基础第19章考点梳理", SessionStatus.Live))
            .On<GetSessionStatsRequest, SessionStats>("GetSessionStats", _ =>
            {
                reads++;
                var stats = LiveFakes.Stats("s1", SessionStatus.Live, current: 0, 0);
                (stats.UniqueViewers, stats.AverageWatchSeconds) = reads switch { 1 => (0, 0L), 2 => (6, 60L), _ => (6, 75L) };
                return stats;
            });
        context.Live.Sessions["s1"] = LiveFakes.View("s1", "经济基础第19章考点梳理", viewers: 0, reservations: 54);
        var cut = context.RenderWithProviders<SessionPage>(p => p.Add(x => x.SessionId, "s1"));
        cut.WaitForAssertion(() => Assert.Equal("0", Text(cut, "session-unique-viewers")), Timeout);

        // Six people start watching: more than the figures know of, so they are read again at once.
        await context.Live.PushCountAsync(LiveFakes.Count("s1", 6, sequence: 2, at: context.Clock.GetUtcNow()));
        cut.WaitForAssertion(() => Assert.Equal("6", Text(cut, "session-unique-viewers")), Timeout);
        Assert.Equal("1 分 00 秒", Text(cut, "session-average-watch"));

        // Nobody joins or leaves, yet the watch time grows: the figures are re-read on an interval while live.
        context.Clock.Advance(LearnHub.Admin.Components.Live.AudiencePanel.RefreshInterval);
        cut.WaitForAssertion(() => Assert.Equal("1 分 15 秒", Text(cut, "session-average-watch")), Timeout);
    }

    [Fact]
    public async Task The_chart_places_points_at_their_times_with_a_scale_that_follows_the_counts()
    {
        await using var context = new AdminTestContext(roles: ["instructor"]);
        var stats = LiveFakes.Stats("s1", SessionStatus.Live, current: 6);
        // Samples at 0, 1 and 23 minutes after go-live: the 22-minute gap stays 22 minutes wide.
        foreach (var (minute, viewers) in new[] { (0, 0), (1, 3), (23, 6) })
        {
            stats.Samples.Add(new ViewerSample { At = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(LiveFakes.LiveAt.AddMinutes(minute)), Viewers = viewers });
        }
        context.Api
            .On<GetSessionRequest, Session>("GetSession", _ => LiveFakes.Session("s1", "经济基础第19章考点梳理", SessionStatus.Live))
            .On<GetSessionStatsRequest, SessionStats>("GetSessionStats", _ => stats);
        context.Live.Sessions["s1"] = LiveFakes.View("s1", "经济基础第19章考点梳理", viewers: 6, reservations: 54);
        var cut = context.RenderWithProviders<SessionPage>(p => p.Add(x => x.SessionId, "s1"));
        cut.WaitForAssertion(() => Assert.Equal("6", Text(cut, "session-viewers")), Timeout);

        var chart = cut.FindComponent<MudChart<double>>().Instance;
        Assert.Equal(ChartType.Timeseries, chart.ChartType);
        var times = chart.ChartSeries!.Single().Data.Points.Select(p => (DateTime)p.X!).ToList();
        Assert.Equal(TimeSpan.FromMinutes(22), times[2] - times[1]);
        var options = Assert.IsType<TimeSeriesChartOptions>(chart.ChartOptions);
        // Six viewers at most: ticks of 1 or 2, not a fixed 0–20 axis.
        Assert.InRange(options.YAxisTicks, 1, 2);
        Assert.True(options.TimeLabelSpacing >= TimeSpan.FromMinutes(5), "labels at most six across half an hour");
    }

    [Fact]
    public async Task The_chart_is_seeded_from_the_samples_and_extended_by_pushes()
    {
        await using var context = LiveSession(["instructor"]);
        var cut = context.RenderWithProviders<SessionPage>(p => p.Add(x => x.SessionId, "s1"));
        cut.WaitForAssertion(() => Assert.Equal("35", Text(cut, "session-viewers")), Timeout);
        // Samples 09:30, 09:40, 09:50, then the count now (10:00).
        Assert.Equal([0d, 20d, 42d, 35d], ChartValues(cut));

        await context.Live.PushCountAsync(LiveFakes.Count("s1", 50, sequence: 3, at: context.Clock.GetUtcNow().AddSeconds(30)));
        cut.WaitForAssertion(() => Assert.Equal("50", Text(cut, "session-viewers")), Timeout);
        Assert.Equal([0d, 20d, 42d, 35d, 50d], ChartValues(cut));
        Assert.Equal("5", Chart(cut, "data-points"));
        Assert.Equal("50", Chart(cut, "data-last"));
        // A count above the persisted peak is the new peak, at the push's time.
        Assert.Equal("50", Text(cut, "session-peak"));
        Assert.Equal("2026-05-01 10:00:30", Text(cut, "session-peak-at"));

        // Overtaken by sequence 3: ignored.
        await context.Live.PushCountAsync(LiveFakes.Count("s1", 1, sequence: 2, at: context.Clock.GetUtcNow().AddSeconds(40)));
        await context.Live.PushCountAsync(LiveFakes.Count("s1", 48, sequence: 4, at: context.Clock.GetUtcNow().AddSeconds(60)));
        cut.WaitForAssertion(() => Assert.Equal("48", Text(cut, "session-viewers")), Timeout);
        Assert.Equal([0d, 20d, 42d, 35d, 50d, 48d], ChartValues(cut));
        Assert.Equal("50", Text(cut, "session-peak"));
    }

    [Fact]
    public async Task An_ended_session_shows_the_persisted_figures_without_joining_the_hub()
    {
        await using var context = new AdminTestContext(roles: ["admin"]);
        context.Api
            .On<GetSessionRequest, Session>("GetSession", _ => LiveFakes.Session("s1", "经济基础第19章考点梳理", SessionStatus.Ended, instructorId: "u_other"))
            .On<GetSessionStatsRequest, SessionStats>("GetSessionStats", _ => LiveFakes.Stats("s1", SessionStatus.Ended, current: 0, 0, 20, 42, 0));

        var cut = context.RenderWithProviders<SessionPage>(p => p.Add(x => x.SessionId, "s1"));

        cut.WaitForAssertion(() => Assert.Equal("42", Text(cut, "session-peak")), Timeout);
        Assert.Contains("直播已结束", Text(cut, "audience-final"), StringComparison.Ordinal);
        Assert.Equal("57", Text(cut, "session-unique-viewers"));
        Assert.Equal("31", Text(cut, "session-attendees"));
        Assert.Equal("4", Chart(cut, "data-points"));
        Assert.Equal([0d, 20d, 42d, 0d], ChartValues(cut));
        Assert.Empty(cut.FindAll("[data-testid=session-viewers]"));
        Assert.Empty(cut.FindAll("[data-testid=session-live-connection]"));
        Assert.Empty(context.Live.Watched);
    }

    [Fact]
    public async Task When_the_hub_says_the_session_ended_the_page_reloads_the_final_figures()
    {
        await using var context = LiveSession(["instructor"]);
        var cut = context.RenderWithProviders<SessionPage>(p => p.Add(x => x.SessionId, "s1"));
        cut.WaitForAssertion(() => Assert.Equal("35", Text(cut, "session-viewers")), Timeout);

        context.Api
            .On<GetSessionRequest, Session>("GetSession", _ => LiveFakes.Session("s1", "经济基础第19章考点梳理", SessionStatus.Ended))
            .On<GetSessionStatsRequest, SessionStats>("GetSessionStats", _ =>
            {
                var final = LiveFakes.Stats("s1", SessionStatus.Ended, current: 0, 0, 20, 42, 0);
                final.UniqueViewers = 61;
                return final;
            });
        await context.Live.PushStatusAsync(LiveFakes.View("s1", "经济基础第19章考点梳理", status: "Ended"));

        cut.WaitForAssertion(() =>
        {
            Assert.Equal("61", Text(cut, "session-unique-viewers"));
            Assert.Contains("直播已结束", Text(cut, "audience-final"), StringComparison.Ordinal);
            Assert.Contains("已结束", Text(cut, "session-status"), StringComparison.Ordinal);
        }, Timeout);
        Assert.Empty(cut.FindAll("[data-testid=session-viewers]"));
        Assert.Equal(2, context.Api.RequestsTo<GetSessionStatsRequest>("GetSessionStats").Count());
        Assert.Equal(["s1"], context.Live.Stopped);
    }

    [Fact]
    public async Task A_scheduled_session_shows_the_waiting_count_and_goes_live_from_a_push()
    {
        await using var context = new AdminTestContext(roles: ["instructor"]);
        context.Api
            .On<GetSessionRequest, Session>("GetSession", _ => LiveFakes.Session("s1", "经济基础第19章考点梳理", SessionStatus.Scheduled))
            .On<GetSessionStatsRequest, SessionStats>("GetSessionStats", _ => LiveFakes.Stats("s1", SessionStatus.Live, current: 9, 9));
        context.Live.Sessions["s1"] = LiveFakes.View("s1", "经济基础第19章考点梳理", viewers: 6, status: "Scheduled");
        var cut = context.RenderWithProviders<SessionPage>(p => p.Add(x => x.SessionId, "s1"));
        cut.WaitForAssertion(() => Assert.Equal("6", Text(cut, "session-waiting")), Timeout);
        Assert.Empty(context.Api.RequestsTo<GetSessionStatsRequest>("GetSessionStats"));

        await context.Live.PushCountAsync(LiveFakes.Count("s1", 7, sequence: 1, status: "Scheduled"));
        cut.WaitForAssertion(() => Assert.Equal("7", Text(cut, "session-waiting")), Timeout);

        // The scheduler takes it live: the waiting become viewers without anyone reloading the page.
        context.Api.On<GetSessionRequest, Session>("GetSession", _ => LiveFakes.Session("s1", "经济基础第19章考点梳理", SessionStatus.Live));
        await context.Live.PushStatusAsync(LiveFakes.View("s1", "经济基础第19章考点梳理", viewers: 9));

        cut.WaitForAssertion(() =>
        {
            Assert.Equal("9", Text(cut, "session-viewers"));
            Assert.Contains("直播中", Text(cut, "session-status"), StringComparison.Ordinal);
        }, Timeout);
        Assert.Single(context.Api.RequestsTo<GetSessionStatsRequest>("GetSessionStats"));
    }

    [Fact]
    public async Task A_refused_stats_call_shows_the_servers_message()
    {
        await using var context = LiveSession(["instructor"]);
        context.Api.On<GetSessionStatsRequest, SessionStats>("GetSessionStats", _ =>
            throw new RpcException(new Status(StatusCode.PermissionDenied, "只有本场讲师、审核员和管理员可查看观众数据 (not allowed).")));

        var cut = context.RenderWithProviders<SessionPage>(p => p.Add(x => x.SessionId, "s1"));

        cut.WaitForAssertion(() => Assert.Contains("只有本场讲师、审核员和管理员可查看观众数据", Text(cut, "session-audience-error"), StringComparison.Ordinal), Timeout);
        Assert.Contains("无法加载观众数据", Text(cut, "session-audience-error"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_hub_join_is_shown_and_the_persisted_figures_stay()
    {
        await using var context = LiveSession(["reviewer"]);
        context.Live.Failure = FakeLiveFeed.Refusal("无权查看该直播 (not allowed).");

        var cut = context.RenderWithProviders<SessionPage>(p => p.Add(x => x.SessionId, "s1"));

        cut.WaitForAssertion(() => Assert.Equal("无权查看该直播 (not allowed).", Text(cut, "session-live-error")), Timeout);
        Assert.Equal("35", Text(cut, "session-viewers"));
        Assert.Equal("42", Text(cut, "session-peak"));
    }

    [Fact]
    public async Task A_closed_connection_freezes_the_count_until_retry_joins_again()
    {
        await using var context = LiveSession(["instructor"]);
        var cut = context.RenderWithProviders<SessionPage>(p => p.Add(x => x.SessionId, "s1"));
        cut.WaitForAssertion(() => Assert.Equal("35", Text(cut, "session-viewers")), Timeout);

        await context.Live.SetStateAsync(LearnHub.Admin.Services.Live.LiveConnectionState.Disconnected);
        cut.WaitForAssertion(() => Assert.Contains("实时连接已断开", Text(cut, "session-live-error"), StringComparison.Ordinal), Timeout);
        Assert.Equal("disconnected", cut.Find("[data-testid=session-live-connection]").GetAttribute("data-state"));

        context.Live.Sessions["s1"] = LiveFakes.View("s1", "经济基础第19章考点梳理", viewers: 44);
        ScheduleUi.Click(cut, "session-live-retry");

        cut.WaitForAssertion(() => Assert.Equal("44", Text(cut, "session-viewers")), Timeout);
        Assert.Empty(cut.FindAll("[data-testid=session-live-error]"));
        Assert.Equal(["s1", "s1"], context.Live.Watched);
    }

    [Fact]
    public async Task A_reviewer_sees_the_audience_but_not_the_live_controls()
    {
        await using var context = LiveSession(["reviewer"], instructorId: "u_other");

        var cut = context.RenderWithProviders<SessionPage>(p => p.Add(x => x.SessionId, "s1"));

        cut.WaitForAssertion(() => Assert.Equal("35", Text(cut, "session-viewers")), Timeout);
        Assert.Empty(cut.FindAll("[data-testid=session-actions]"));
        Assert.Empty(cut.FindAll("[data-testid=end]"));
    }

    [Fact]
    public async Task Another_instructors_session_shows_no_audience_panel()
    {
        await using var context = LiveSession(["instructor"], instructorId: "u_other");

        var cut = context.RenderWithProviders<SessionPage>(p => p.Add(x => x.SessionId, "s1"));

        cut.WaitForAssertion(() => Assert.Equal("经济基础第19章考点梳理", Text(cut, "session-page-title")), Timeout);
        Assert.Empty(cut.FindAll("[data-testid=audience-panel]"));
        Assert.Empty(context.Api.RequestsTo<GetSessionStatsRequest>("GetSessionStats"));
        Assert.Empty(context.Live.Watched);
    }

    [Fact]
    public async Task Leaving_the_page_stops_watching_the_session()
    {
        await using var context = LiveSession(["admin"]);
        var cut = context.RenderWithProviders<SessionPage>(p => p.Add(x => x.SessionId, "s1"));
        cut.WaitForAssertion(() => Assert.Equal("35", Text(cut, "session-viewers")), Timeout);

        await context.DisposeComponentsAsync();

        Assert.Equal(["s1"], context.Live.Stopped);
        Assert.False(context.Live.HasSubscribers);
    }

    [Theory]
    [InlineData("reviewer", true)]
    [InlineData("instructor", true)]
    [InlineData("admin", true)]
    [InlineData("viewer", false)]
    public async Task The_live_link_is_in_the_menu_for_instructors_reviewers_and_admins(string role, bool shown)
    {
        await using var context = new AdminTestContext(roles: [role]);

        var cut = context.Render<NavMenu>();

        Assert.Equal(shown, cut.FindAll("[data-testid=nav-live]").Count == 1);
        if (shown)
        {
            Assert.Contains("实时直播", cut.Find("[data-testid=nav-live]").TextContent, StringComparison.Ordinal);
        }
    }
}
