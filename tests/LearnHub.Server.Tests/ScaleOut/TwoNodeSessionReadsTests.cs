using LearnHub.Api.V1;
using LearnHub.Server.Presence;
using LearnHub.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static LearnHub.Server.Tests.Infrastructure.Scenario;

namespace LearnHub.Server.Tests.ScaleOut;

/// <summary>
/// GetSession and 直播推荐 are served from each node's memory: a change made through node A (a session's, a
/// reservation's, a viewer count's, a user's time zone) reaches node B's caches through the events it relays, without
/// any time passing on the shared fake clock (so no periodic refresh can stand in for the event).
/// </summary>
public sealed class TwoNodeSessionReadsTests
{
    private static Task<Recommendation[]> PanelAsync(TestUser user) => PanelAsync(user, new ListRecommendationsRequest { PageSize = 50 });

    private static async Task<Recommendation[]> PanelAsync(TestUser user, ListRecommendationsRequest request) =>
        (await user.Sessions.ListRecommendationsAsync(request)).Items.ToArray();

    private static Task<T> OnBAsync<T>(Func<Task<T>> probe, Func<T, bool> done, string what) =>
        Wait.UntilAsync(probe, done, TimeSpan.FromSeconds(10), what);

    [Fact]
    public async Task Session_changes_made_through_node_A_reach_node_Bs_panel_and_GetSession()
    {
        await using var nodes = await TwoNodes.StartAsync();
        var instructor = await nodes.A.CreateUserAsync("wanhongcoco", "instructor");
        var viewer = nodes.OnB(await nodes.A.CreateUserAsync("xiaowang"));
        var ch19 = await instructor.ScheduleAsync(Shanghai(1, 19, 30), title: "经济基础第19章考点梳理");
        // B caches the session and builds its panel.
        Assert.Equal("经济基础第19章考点梳理", (await OnBAsync(() => viewer.GetAsync(ch19.Id), _ => true, "B reading the session")).Title);
        await OnBAsync(() => PanelAsync(viewer), p => p.Length == 1, "B's panel listing 第19章");

        var ch20 = await instructor.ScheduleAsync(Shanghai(3, 19, 30), title: "经济基础第20章考点梳理");
        await OnBAsync(() => PanelAsync(viewer), p => p.Select(i => i.Session.Id).SequenceEqual([ch19.Id, ch20.Id]), "B's panel listing the new session");

        await instructor.Sessions.UpdateSessionAsync(new UpdateSessionRequest { SessionId = ch19.Id, Title = "第19章(改)" });
        await OnBAsync(() => viewer.GetAsync(ch19.Id), s => s.Title == "第19章(改)", "B's GetSession showing the new title");
        await OnBAsync(() => PanelAsync(viewer), p => p[0].Session.Title == "第19章(改)", "B's panel showing the new title");

        await instructor.Sessions.CancelSessionAsync(new CancelSessionRequest { SessionId = ch19.Id });
        await OnBAsync(() => viewer.GetAsync(ch19.Id), s => s.Status == SessionStatus.Cancelled, "B's GetSession showing the cancel");
        await OnBAsync(() => PanelAsync(viewer), p => p.Select(i => i.Session.Id).SequenceEqual([ch20.Id]), "B's panel without the cancelled session");
    }

    [Fact]
    public async Task Reservations_made_through_node_A_reach_node_Bs_counts_and_the_callers_flag_there()
    {
        await using var nodes = await TwoNodes.StartAsync();
        var instructor = await nodes.A.CreateUserAsync("wanhongcoco", "instructor");
        var xiaowang = await nodes.A.CreateUserAsync("xiaowang");
        var onB = nodes.OnB(xiaowang);
        var ch19 = await instructor.ScheduleAsync(Shanghai(1, 19, 30));
        var before = await OnBAsync(() => onB.GetAsync(ch19.Id), _ => true, "B reading the session");
        Assert.False(before.ReservedByMe);
        Assert.Equal($"{MonthDay(1)} 19:30 · 0", (await OnBAsync(() => PanelAsync(onB), p => p.Length == 1, "B's panel"))[0].Badge);

        await xiaowang.ReserveAsync(ch19.Id);
        await OnBAsync(() => onB.GetAsync(ch19.Id), s => s.ReservedByMe && s.ReservationCount == 1, "B's GetSession showing the reservation");
        await OnBAsync(() => PanelAsync(onB), p => p[0].Session.ReservedByMe && p[0].Badge == $"{MonthDay(1)} 19:30 · 1", "B's panel showing the reservation");

        await xiaowang.Sessions.CancelReservationAsync(new CancelReservationRequest { SessionId = ch19.Id });
        await OnBAsync(() => onB.GetAsync(ch19.Id), s => !s.ReservedByMe && s.ReservationCount == 0, "B's GetSession showing the cancelled reservation");
        await OnBAsync(() => PanelAsync(onB), p => !p[0].Session.ReservedByMe && p[0].Badge == $"{MonthDay(1)} 19:30 · 0", "B's panel showing the cancelled reservation");
    }

    [Fact]
    public async Task Viewers_counted_on_node_A_reorder_node_Bs_panel()
    {
        await using var nodes = await TwoNodes.StartAsync();
        var wan = await nodes.A.CreateUserAsync("wanhongcoco", "instructor");
        var li = await nodes.A.CreateUserAsync("li", "instructor");
        var viewer = nodes.OnB(await nodes.A.CreateUserAsync("xiaowang"));
        var fan = await nodes.A.CreateUserAsync("xiaoli");
        var first = await GoLiveAsync(wan, 10);
        var second = await GoLiveAsync(li, 20);
        await OnBAsync(() => PanelAsync(viewer), p => p.Select(i => i.Session.Id).SequenceEqual([first.Id, second.Id]), "B's panel by start");

        using var watching = nodes.A.Services.GetRequiredService<ILiveViewerCounts>().Join(second.Id, fan.Id);
        var panel = await OnBAsync(() => PanelAsync(viewer), p => p.Select(i => i.Session.Id).SequenceEqual([second.Id, first.Id]), "B's panel by viewers");
        Assert.Equal(["直播中 1", "直播中 0"], panel.Select(i => i.Badge));

        async Task<Session> GoLiveAsync(TestUser instructor, int minutesAhead)
        {
            var session = await instructor.ScheduleAsync(nodes.A.Now().AddMinutes(minutesAhead));
            return await instructor.Sessions.GoLiveAsync(new GoLiveRequest { SessionId = session.Id });
        }
    }

    [Fact]
    public async Task A_time_zone_changed_through_node_A_applies_to_the_users_panel_on_node_B()
    {
        await using var nodes = await TwoNodes.StartAsync();
        var instructor = await nodes.A.CreateUserAsync("wanhongcoco", "instructor");
        var xiaowang = await nodes.A.CreateUserAsync("xiaowang");
        var onB = nodes.OnB(xiaowang);
        await instructor.ScheduleAsync(Shanghai(1, 19, 30));
        await OnBAsync(() => PanelAsync(onB), p => p.Length == 1 && p[0].DisplayTime == $"{MonthDay(1)} 19:30", "B's panel in Shanghai time");

        await xiaowang.Identity.UpdateMyTimeZoneAsync(new UpdateMyTimeZoneRequest { TimeZone = "UTC" });
        await OnBAsync(() => PanelAsync(onB), p => p[0].DisplayTime == $"{MonthDay(1)} 11:30", "B's panel in UTC");
    }
}
