using LearnHub.Admin.Components.Pages.Live;
using LearnHub.Admin.Services.Live;
using LearnHub.Admin.Tests.Infrastructure;
using LearnHub.Admin.Tests.Schedule;
using LearnHub.Api.Live;

namespace LearnHub.Admin.Tests.Live;

public sealed class LiveNowTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    private static string Text(IRenderedComponent<ScheduleHost> cut, string testId) => cut.Find($"[data-testid={testId}]").TextContent.Trim();

    [Fact]
    public async Task No_live_session_shows_the_empty_state()
    {
        await using var context = new AdminTestContext(roles: ["instructor"]);

        var cut = context.RenderWithProviders<LiveNow>();

        cut.WaitForAssertion(() => Assert.Contains("暂无直播", Text(cut, "live-empty"), StringComparison.Ordinal), Timeout);
        Assert.Empty(cut.FindAll("[data-testid^=live-row-]"));
        Assert.Equal(1, context.Live.LiveListJoins);
        Assert.Equal("connected", cut.Find("[data-testid=live-connection]").GetAttribute("data-state"));
    }

    [Fact]
    public async Task Each_live_session_shows_its_title_instructor_start_in_the_users_zone_reservations_and_count()
    {
        await using var context = new AdminTestContext(roles: ["reviewer"]);
        context.Live.LiveSessions.Add(LiveFakes.View("s1", "经济基础第19章考点梳理", viewers: 12, reservations: 54));
        context.Live.LiveSessions.Add(LiveFakes.View("s2", "财务管理串讲", viewers: 3, instructorName: "李老师", liveAt: LiveFakes.LiveAt.AddMinutes(20)));

        var cut = context.RenderWithProviders<LiveNow>();

        cut.WaitForAssertion(() => Assert.Equal("12", Text(cut, "live-count-s1")), Timeout);
        Assert.Contains("经济基础第19章考点梳理", Text(cut, "live-row-s1"), StringComparison.Ordinal);
        Assert.Equal("万红coco", Text(cut, "live-instructor-s1"));
        Assert.Equal("2026-05-01 09:30", Text(cut, "live-since-s1"));
        Assert.Equal("54", Text(cut, "live-reservations-s1"));
        Assert.Equal("3", Text(cut, "live-count-s2"));
        Assert.Equal("李老师", Text(cut, "live-instructor-s2"));
        Assert.Equal("sessions/s1", cut.Find("[data-testid=live-link-s1]").GetAttribute("href"));
        Assert.Empty(cut.FindAll("[data-testid=live-empty]"));
    }

    [Fact]
    public async Task Each_row_shows_the_trend_of_the_last_minutes_as_a_line_and_in_words()
    {
        await using var context = new AdminTestContext(roles: ["instructor"]);
        context.Live.LiveSessions.Add(LiveFakes.View("s1", "经济基础第19章考点梳理", viewers: 3));
        var cut = context.RenderWithProviders<LiveNow>();
        cut.WaitForAssertion(() => Assert.Equal("3", Text(cut, "live-count-s1")), Timeout);

        var now = context.Clock.GetUtcNow();
        await context.Live.PushCountAsync(LiveFakes.Count("s1", 5, sequence: 2, at: now.AddMinutes(2)));
        await context.Live.PushCountAsync(LiveFakes.Count("s1", 6, sequence: 3, at: now.AddMinutes(4)));
        cut.WaitForAssertion(() => Assert.Equal("6", Text(cut, "live-count-s1")), Timeout);

        var trend = cut.Find("[data-testid=live-trend-s1]");
        Assert.Equal("3", trend.GetAttribute("data-points"));
        Assert.NotNull(trend.QuerySelector("polyline"));
        Assert.Equal("近 10 分钟：3 → 6 人", trend.QuerySelector("svg")!.GetAttribute("aria-label"));
        Assert.Equal("img", trend.QuerySelector("svg")!.GetAttribute("role"));
    }

    [Fact]
    public async Task A_count_push_changes_the_count_and_a_late_lower_sequence_is_ignored()
    {
        await using var context = new AdminTestContext(roles: ["instructor"]);
        context.Live.LiveSessions.Add(LiveFakes.View("s1", "经济基础第19章考点梳理", viewers: 12));
        var cut = context.RenderWithProviders<LiveNow>();
        cut.WaitForAssertion(() => Assert.Equal("12", Text(cut, "live-count-s1")), Timeout);

        await context.Live.PushCountAsync(LiveFakes.Count("s1", 13, sequence: 5));
        cut.WaitForAssertion(() => Assert.Equal("13", Text(cut, "live-count-s1")), Timeout);

        await context.Live.PushCountAsync(LiveFakes.Count("s1", 40, sequence: 7));
        cut.WaitForAssertion(() => Assert.Equal("40", Text(cut, "live-count-s1")), Timeout);

        // Sequence 6 was overtaken by 7: showing it would put a stale count on screen.
        await context.Live.PushCountAsync(LiveFakes.Count("s1", 20, sequence: 6));
        await context.Live.PushCountAsync(LiveFakes.Count("other", 99, sequence: 8));
        cut.Render();
        Assert.Equal("40", Text(cut, "live-count-s1"));
        Assert.Empty(cut.FindAll("[data-testid=live-row-other]"));
    }

    [Fact]
    public async Task A_session_appears_when_it_goes_live_and_leaves_when_it_ends()
    {
        await using var context = new AdminTestContext(roles: ["admin"]);
        var cut = context.RenderWithProviders<LiveNow>();
        cut.WaitForElement("[data-testid=live-empty]", Timeout);

        await context.Live.PushStatusAsync(LiveFakes.View("s9", "新开播的直播", viewers: 0, reservations: 7));
        cut.WaitForAssertion(() => Assert.Contains("新开播的直播", Text(cut, "live-row-s9"), StringComparison.Ordinal), Timeout);
        Assert.Empty(cut.FindAll("[data-testid=live-empty]"));

        await context.Live.PushCountAsync(LiveFakes.Count("s9", 2, sequence: 1));
        cut.WaitForAssertion(() => Assert.Equal("2", Text(cut, "live-count-s9")), Timeout);

        await context.Live.PushStatusAsync(LiveFakes.View("s9", "新开播的直播", viewers: 0, status: "Ended"));
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=live-row-s9]")), Timeout);
        Assert.Contains("暂无直播", Text(cut, "live-empty"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cancelled_or_scheduled_status_push_does_not_add_a_row()
    {
        await using var context = new AdminTestContext(roles: ["admin"]);
        var cut = context.RenderWithProviders<LiveNow>();
        cut.WaitForElement("[data-testid=live-empty]", Timeout);

        await context.Live.PushStatusAsync(LiveFakes.View("s3", "改期的直播", status: "Scheduled"));
        await context.Live.PushStatusAsync(LiveFakes.View("s4", "取消的直播", status: "Cancelled"));
        cut.Render();

        Assert.Empty(cut.FindAll("[data-testid^=live-row-]"));
        Assert.NotEmpty(cut.FindAll("[data-testid=live-empty]"));
    }

    [Fact]
    public async Task The_connection_indicator_follows_the_hub_and_a_resync_replaces_the_list()
    {
        await using var context = new AdminTestContext(roles: ["instructor"]);
        context.Live.LiveSessions.Add(LiveFakes.View("s1", "经济基础第19章考点梳理", viewers: 12));
        var cut = context.RenderWithProviders<LiveNow>();
        cut.WaitForAssertion(() => Assert.Equal("12", Text(cut, "live-count-s1")), Timeout);

        await context.Live.SetStateAsync(LiveConnectionState.Reconnecting);
        cut.WaitForAssertion(() =>
        {
            Assert.Equal("reconnecting", cut.Find("[data-testid=live-connection]").GetAttribute("data-state"));
            Assert.Contains("正在重新连接", Text(cut, "live-connection"), StringComparison.Ordinal);
        }, Timeout);

        // While away, s1 ended and s2 went live: the rejoined feed's list is the truth.
        await context.Live.ResynchronizeAsync(new LiveFeedSnapshot([LiveFakes.View("s2", "财务管理串讲", viewers: 8)], []));
        cut.WaitForAssertion(() =>
        {
            Assert.Equal("connected", cut.Find("[data-testid=live-connection]").GetAttribute("data-state"));
            Assert.Equal("8", Text(cut, "live-count-s2"));
            Assert.Empty(cut.FindAll("[data-testid=live-row-s1]"));
        }, Timeout);
    }

    [Fact]
    public async Task A_hub_that_cannot_be_reached_shows_a_readable_error_and_retry_connects()
    {
        await using var context = new AdminTestContext(roles: ["instructor"]);
        context.Live.Failure = new HttpRequestException("Connection refused (127.0.0.1:5081)");
        var cut = context.RenderWithProviders<LiveNow>();

        cut.WaitForAssertion(() => Assert.Contains("无法连接实时服务", Text(cut, "live-error"), StringComparison.Ordinal), Timeout);
        Assert.DoesNotContain("127.0.0.1", Text(cut, "live-error"), StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("[data-testid=live-empty]"));

        context.Live.Failure = null;
        context.Live.LiveSessions.Add(LiveFakes.View("s1", "经济基础第19章考点梳理", viewers: 4));
        ScheduleUi.Click(cut, "live-retry");

        cut.WaitForAssertion(() => Assert.Equal("4", Text(cut, "live-count-s1")), Timeout);
        Assert.Empty(cut.FindAll("[data-testid=live-error]"));
        Assert.Equal(2, context.Live.LiveListJoins);
    }

    [Fact]
    public async Task A_connection_closed_for_good_says_the_counts_are_stale_and_retry_rejoins()
    {
        await using var context = new AdminTestContext(roles: ["instructor"]);
        context.Live.LiveSessions.Add(LiveFakes.View("s1", "经济基础第19章考点梳理", viewers: 12));
        var cut = context.RenderWithProviders<LiveNow>();
        cut.WaitForAssertion(() => Assert.Equal("12", Text(cut, "live-count-s1")), Timeout);

        await context.Live.SetStateAsync(LiveConnectionState.Disconnected);
        cut.WaitForAssertion(() =>
        {
            Assert.Contains("实时连接已断开", Text(cut, "live-error-text"), StringComparison.Ordinal);
            Assert.Equal("disconnected", cut.Find("[data-testid=live-connection]").GetAttribute("data-state"));
        }, Timeout);

        context.Live.LiveSessions[0] = LiveFakes.View("s1", "经济基础第19章考点梳理", viewers: 15);
        ScheduleUi.Click(cut, "live-retry");

        cut.WaitForAssertion(() => Assert.Equal("15", Text(cut, "live-count-s1")), Timeout);
        Assert.Empty(cut.FindAll("[data-testid=live-error]"));
        Assert.Equal("connected", cut.Find("[data-testid=live-connection]").GetAttribute("data-state"));
    }

    [Fact]
    public async Task A_refusal_from_the_hub_is_shown_as_the_server_worded_it()
    {
        await using var context = new AdminTestContext(roles: ["instructor"]);
        context.Live.Failure = FakeLiveFeed.Refusal("仅讲师、审核员和管理员可查看实时直播 (not allowed).", "WatchLiveSessions");
        var cut = context.RenderWithProviders<LiveNow>();

        cut.WaitForAssertion(() => Assert.Equal("仅讲师、审核员和管理员可查看实时直播 (not allowed).", cut.Find("[data-testid=live-error-text]").TextContent.Trim()), Timeout);
    }

    [Fact]
    public async Task Leaving_the_page_stops_listening_to_pushes()
    {
        await using var context = new AdminTestContext(roles: ["instructor"]);
        var cut = context.RenderWithProviders<LiveNow>();
        cut.WaitForElement("[data-testid=live-empty]", Timeout);
        Assert.True(context.Live.HasSubscribers);

        await context.DisposeComponentsAsync();

        Assert.False(context.Live.HasSubscribers);
    }

    [Fact]
    public void The_page_is_for_instructors_reviewers_and_admins()
    {
        var authorize = Assert.Single(typeof(LiveNow).GetCustomAttributes(typeof(Microsoft.AspNetCore.Authorization.AuthorizeAttribute), inherit: true)
            .Cast<Microsoft.AspNetCore.Authorization.AuthorizeAttribute>());
        Assert.Equal(["admin", "instructor", "reviewer"], authorize.Roles!.Split(',').Order(StringComparer.Ordinal));
    }
}
