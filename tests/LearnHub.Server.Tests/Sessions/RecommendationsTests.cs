using Grpc.Core;
using LearnHub.Api.V1;
using LearnHub.Server.Presence;
using LearnHub.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static LearnHub.Server.Tests.Infrastructure.Scenario;

namespace LearnHub.Server.Tests.Sessions;

public sealed class RecommendationsTests
{
    /// <summary>
    /// The panel as the page shows it: three live sessions (1, 3 and 2 viewers), four upcoming ones, one ended and
    /// one cancelled. Returns the ids in the order the panel must list them.
    /// </summary>
    private static async Task<(TestUser Viewer, string[] Expected, Dictionary<string, string> ShanghaiBadges, List<IDisposable> Presence)> PanelAsync(LearnHubApp app)
    {
        var wan = await app.CreateUserAsync("wanhongcoco", "instructor");
        var li = await app.CreateUserAsync("li", "instructor");
        var zhao = await app.CreateUserAsync("zhao", "instructor");
        var qian = await app.CreateUserAsync("qian", "instructor");
        var viewer = await app.CreateUserAsync("xiaowang");
        var fans = new List<TestUser>();
        for (var i = 1; i <= 3; i++)
        {
            fans.Add(await app.CreateUserAsync($"demo-viewer-0{i}"));
        }

        async Task<Session> GoLiveAsync(TestUser instructor, int minutesAhead, string title)
        {
            var session = await instructor.ScheduleAsync(app.Now().AddMinutes(minutesAhead), title: title);
            return await instructor.Sessions.GoLiveAsync(new GoLiveRequest { SessionId = session.Id });
        }

        var liveOne = await GoLiveAsync(wan, 10, "经济基础阶段测试2试题讲解");
        var liveThree = await GoLiveAsync(li, 20, "人力资源直播答疑");
        var liveTwo = await GoLiveAsync(zhao, 25, "工商管理串讲");
        var ended = await GoLiveAsync(qian, 5, "已结束的直播");
        await qian.Sessions.EndSessionAsync(new EndSessionRequest { SessionId = ended.Id });
        var cancelled = await qian.ScheduleAsync(Shanghai(1, 9, 0), title: "已取消的直播");
        await qian.Sessions.CancelSessionAsync(new CancelSessionRequest { SessionId = cancelled.Id });

        var ch19 = await wan.ScheduleAsync(Shanghai(1, 19, 30), title: "经济基础第19章考点梳理");
        var ch20 = await wan.ScheduleAsync(Shanghai(3, 19, 30), title: "经济基础第20章考点梳理");
        var hr = await li.ScheduleAsync(Shanghai(2, 19, 30), title: "人力资源第3章");
        var morning = await zhao.ScheduleAsync(Shanghai(4, 7, 0), title: "早读");
        foreach (var fan in fans)
        {
            await fan.ReserveAsync(ch19.Id);
        }
        await fans[0].ReserveAsync(ch20.Id);
        await fans[1].ReserveAsync(ch20.Id);
        await viewer.ReserveAsync(hr.Id);

        var counts = app.Services.GetRequiredService<ILiveViewerCounts>();
        var presence = new List<IDisposable>
        {
            counts.Join(liveOne.Id, fans[0].Id),
            counts.Join(liveOne.Id, fans[0].Id), // a second stream of the same user counts once
            counts.Join(liveThree.Id, fans[0].Id),
            counts.Join(liveThree.Id, fans[1].Id),
            counts.Join(liveThree.Id, fans[2].Id),
            counts.Join(liveTwo.Id, fans[1].Id),
            counts.Join(liveTwo.Id, viewer.Id),
        };

        var badges = new Dictionary<string, string>
        {
            [liveThree.Id] = "直播中 3",
            [liveTwo.Id] = "直播中 2",
            [liveOne.Id] = "直播中 1",
            [ch19.Id] = $"{MonthDay(1)} 19:30 · 3",
            [hr.Id] = $"{MonthDay(2)} 19:30 · 1",
            [ch20.Id] = $"{MonthDay(3)} 19:30 · 2",
            [morning.Id] = $"{MonthDay(4)} 07:00 · 0",
        };
        return (viewer, [liveThree.Id, liveTwo.Id, liveOne.Id, ch19.Id, hr.Id, ch20.Id, morning.Id], badges, presence);
    }

    [Fact]
    public async Task Lists_live_sessions_by_viewers_then_upcoming_soonest_first_with_the_panels_badges()
    {
        await using var app = await Scenario.StartAsync();
        var (viewer, expected, badges, presence) = await PanelAsync(app);
        try
        {
            var panel = await viewer.Sessions.ListRecommendationsAsync(new ListRecommendationsRequest());

            Assert.Equal(expected, panel.Items.Select(i => i.Session.Id));
            Assert.Equal(expected.Select(id => badges[id]), panel.Items.Select(i => i.Badge));
            Assert.Equal([3, 2, 1, 0, 0, 0, 0], panel.Items.Select(i => i.ViewerCount));
            Assert.All(panel.Items.Take(3), i => Assert.Equal(SessionStatus.Live, i.Session.Status));
            Assert.All(panel.Items.Take(3), i => Assert.Equal("", i.DisplayTime));
            Assert.Equal($"{MonthDay(1)} 19:30", panel.Items[3].DisplayTime);
            Assert.True(panel.Items[4].Session.ReservedByMe);
            Assert.Empty(panel.NextPageToken);
        }
        finally
        {
            presence.ForEach(p => p.Dispose());
        }
    }

    [Fact]
    public async Task Shows_upcoming_starts_in_the_requested_zone_else_the_callers_profile_zone()
    {
        await using var app = await Scenario.StartAsync();
        var (viewer, expected, _, presence) = await PanelAsync(app);
        presence.ForEach(p => p.Dispose());

        // 19:30 in Shanghai is 11:30 UTC the same day; 07:00 in Shanghai is 23:00 UTC the day before.
        var utcBadges = new[] { $"{MonthDay(1)} 11:30 · 3", $"{MonthDay(2)} 11:30 · 1", $"{MonthDay(3)} 11:30 · 2", $"{MonthDay(3)} 23:00 · 0" };
        var requested = await viewer.Sessions.ListRecommendationsAsync(new ListRecommendationsRequest { TimeZone = "UTC" });
        Assert.Equal(utcBadges, requested.Items.Skip(3).Select(i => i.Badge));
        // With nobody watching, live sessions are listed by start and badged 直播中 0.
        Assert.Equal(["直播中 0", "直播中 0", "直播中 0"], requested.Items.Take(3).Select(i => i.Badge));

        await viewer.Identity.UpdateMyTimeZoneAsync(new UpdateMyTimeZoneRequest { TimeZone = "UTC" });
        var byProfile = await viewer.Sessions.ListRecommendationsAsync(new ListRecommendationsRequest());
        Assert.Equal(utcBadges, byProfile.Items.Skip(3).Select(i => i.Badge));

        await Refusal.AssertAsync(StatusCode.InvalidArgument, "time_zone",
            async () => await viewer.Sessions.ListRecommendationsAsync(new ListRecommendationsRequest { TimeZone = "Asia/Beijing" }));
    }

    [Fact]
    public async Task More_pages_on_through_live_and_upcoming_sessions_each_once()
    {
        await using var app = await Scenario.StartAsync();
        var (viewer, expected, badges, presence) = await PanelAsync(app);
        try
        {
            var seen = new List<Recommendation>();
            var request = new ListRecommendationsRequest { PageSize = 2 };
            var pages = 0;
            do
            {
                var page = await viewer.Sessions.ListRecommendationsAsync(request);
                pages++;
                Assert.True(page.Items.Count <= 2);
                seen.AddRange(page.Items);
                request.PageToken = page.NextPageToken;
            }
            while (request.PageToken.Length > 0 && pages < 10);

            Assert.Equal(4, pages);
            Assert.Equal(expected, seen.Select(i => i.Session.Id));
            Assert.Equal(expected.Select(id => badges[id]), seen.Select(i => i.Badge));

            var exact = await viewer.Sessions.ListRecommendationsAsync(new ListRecommendationsRequest { PageSize = 7 });
            Assert.Equal(expected, exact.Items.Select(i => i.Session.Id));
            Assert.Empty(exact.NextPageToken);
            await Refusal.AssertAsync(StatusCode.InvalidArgument, "page_size",
                async () => await viewer.Sessions.ListRecommendationsAsync(new ListRecommendationsRequest { PageSize = 51 }));
        }
        finally
        {
            presence.ForEach(p => p.Dispose());
        }
    }

    [Fact]
    public async Task Sessions_leave_the_panel_when_they_end_or_are_cancelled()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var viewer = await app.CreateUserAsync("xiaowang");
        var start = Shanghai(1, 19, 30);
        var session = await instructor.ScheduleAsync(start, minutes: 90);
        var later = await instructor.ScheduleAsync(Shanghai(2, 19, 30));

        async Task<string[]> PanelIds() => (await viewer.Sessions.ListRecommendationsAsync(new ListRecommendationsRequest())).Items.Select(i => i.Session.Id).ToArray();

        Assert.Equal([session.Id, later.Id], await PanelIds());
        await app.AdvanceToAsync(start);
        Assert.Equal([session.Id, later.Id], await PanelIds());
        await app.AdvanceToAsync(start.AddMinutes(90));
        Assert.Equal([later.Id], await PanelIds());
        await instructor.Sessions.CancelSessionAsync(new CancelSessionRequest { SessionId = later.Id });
        Assert.Empty(await PanelIds());
    }
}
