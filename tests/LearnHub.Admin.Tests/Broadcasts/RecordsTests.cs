using LearnHub.Admin.Components.Pages.Broadcasts;
using LearnHub.Admin.Tests.Schedule;
using LearnHub.Api.V1;
using static LearnHub.Admin.Tests.Broadcasts.BroadcastFakes;

namespace LearnHub.Admin.Tests.Broadcasts;

public sealed class RecordsTests
{
    [Fact]
    public async Task Records_show_every_status_newest_first_with_reason_times_and_reach()
    {
        await using var context = Context();
        var approved = Text("b_ok", "第20章考点梳理", submitted: Now.AddDays(-4)).Decided(BroadcastStatus.Approved, Now.AddDays(-4).AddHours(2));
        approved.Reach = new BroadcastReach { EligibleAtApproval = 1000, Received = 350, Read = 120, WindowClosed = true };
        var response = new ListMyBroadcastsResponse
        {
            Broadcasts =
            {
                Text("b_pending", "今晚直播", submitted: Now.AddHours(-1)),
                Text("b_rejected", "加微信领资料", submitted: Now.AddHours(-2)).Decided(BroadcastStatus.Rejected, Now.AddHours(-1.5), "含有广告信息"),
                Text("b_withdrawn", "写错了", submitted: Now.AddHours(-3)).Decided(BroadcastStatus.Withdrawn, Now.AddHours(-2.5)),
                approved,
                Text("b_expired", "没人审", submitted: Now.AddDays(-8)).Decided(BroadcastStatus.Expired, Now.AddDays(-1)),
                Text("b_down", "被举报", submitted: Now.AddDays(-9)).Decided(BroadcastStatus.TakenDown, Now.AddDays(-8), "违反发布协议"),
            },
            Quota = Quota(remaining: 1, frozen: 1, consumed: 0),
        };
        context.Api.On<ListMyBroadcastsRequest, ListMyBroadcastsResponse>("ListMyBroadcasts", _ => response);

        var cut = context.RenderWithProviders<Records>();
        cut.WaitForElement("[data-testid=records-table]", Within);

        Assert.Equal("本周还可群发 1 次", cut.Text("records-quota"));
        Assert.Equal(
            ["b_pending", "b_rejected", "b_withdrawn", "b_ok", "b_expired", "b_down"],
            cut.FindAll("tr[data-testid^=record-row-]").Select(r => r.GetAttribute("data-testid")!["record-row-".Length..]));
        Assert.Equal("审核中", cut.Text("record-status-b_pending"));
        Assert.Equal("未通过", cut.Text("record-status-b_rejected"));
        Assert.Equal("原因：含有广告信息", cut.Text("record-reason-b_rejected"));
        Assert.Equal("已撤回", cut.Text("record-status-b_withdrawn"));
        Assert.Equal("已通过", cut.Text("record-status-b_ok"));
        Assert.Equal("已过期", cut.Text("record-status-b_expired"));
        Assert.Equal("已下架", cut.Text("record-status-b_down"));
        Assert.Equal("原因：违反发布协议", cut.Text("record-reason-b_down"));
        // 2026-05-01 01:00 UTC is 09:00 in Asia/Shanghai, the user's zone.
        Assert.Equal("提交于 2026-05-01 09:00", cut.Text("record-submitted-b_pending"));
        Assert.Equal("通过于 2026-04-27 12:00", cut.Text("record-decided-b_ok"));
        Assert.Contains("可触达粉丝 1000 · 已接收 350 · 已读 120", cut.Text("record-reach-b_ok"), StringComparison.Ordinal);
        Assert.Equal("72 小时投递窗口已结束", cut.Text("record-window-b_ok"));
        Assert.Equal("—", cut.Text("record-reach-b_pending"));
        Assert.True(cut.Has("record-withdraw-b_pending"));
        Assert.Single(cut.FindAll("[data-testid^=record-withdraw-]"));
        Assert.False(cut.Has("records-empty"));
    }

    [Fact]
    public async Task An_open_delivery_window_says_until_when()
    {
        await using var context = Context();
        var approved = Text("b_ok", "第20章考点梳理").Decided(BroadcastStatus.Approved, Now.AddHours(-1));
        approved.Reach = new BroadcastReach { EligibleAtApproval = 10, Received = 2, Read = 1, WindowClosed = false };
        context.Api.On<ListMyBroadcastsRequest, ListMyBroadcastsResponse>("ListMyBroadcasts", _ => new() { Broadcasts = { approved }, Quota = Quota() });

        var cut = context.RenderWithProviders<Records>();

        cut.WaitForAssertion(() => Assert.Equal("投递中，截止 2026-05-04 09:00", cut.Text("record-window-b_ok")), Within);
    }

    [Fact]
    public async Task No_broadcasts_shows_the_empty_state()
    {
        await using var context = Context();
        context.Api.On<ListMyBroadcastsRequest, ListMyBroadcastsResponse>("ListMyBroadcasts", _ => new() { Quota = Quota() });

        var cut = context.RenderWithProviders<Records>();

        cut.WaitForAssertion(() => Assert.Equal("暂无记录", cut.Text("records-empty")), Within);
        Assert.Equal("本周还可群发 2 次", cut.Text("records-quota"));
    }

    [Fact]
    public async Task Withdrawing_asks_first_then_shows_the_returned_quota()
    {
        await using var context = Context();
        var pending = Text("b1", "今晚直播");
        var quota = Quota(remaining: 1, frozen: 1);
        context.Api.On<ListMyBroadcastsRequest, ListMyBroadcastsResponse>("ListMyBroadcasts", _ => new() { Broadcasts = { pending }, Quota = quota });
        context.Api.On<WithdrawBroadcastRequest, Broadcast>("WithdrawBroadcast", r =>
        {
            pending = Text(r.BroadcastId, "今晚直播").Decided(BroadcastStatus.Withdrawn, Now);
            quota = Quota(remaining: 2, frozen: 0);
            return pending;
        });
        var cut = context.RenderWithProviders<Records>();
        cut.WaitForElement("[data-testid=record-withdraw-b1]", Within);

        ScheduleUi.Click(cut, "record-withdraw-b1");
        cut.WaitForElement("[data-testid=confirm-no]", Within);
        ScheduleUi.Click(cut, "confirm-no");
        cut.WaitForAssertion(() => Assert.False(cut.Has("confirm-no")), Within);
        Assert.Empty(context.Api.RequestsTo<WithdrawBroadcastRequest>("WithdrawBroadcast"));

        ScheduleUi.Click(cut, "record-withdraw-b1");
        cut.Confirm();

        cut.WaitForAssertion(() =>
        {
            Assert.Equal("已撤回", cut.Text("record-status-b1"));
            Assert.False(cut.Has("record-withdraw-b1"));
            Assert.Equal("本周还可群发 2 次", cut.Text("records-quota"));
        }, Within);
        Assert.Equal("b1", Assert.Single(context.Api.RequestsTo<WithdrawBroadcastRequest>("WithdrawBroadcast")).BroadcastId);
    }

    [Fact]
    public async Task An_image_broadcast_shows_its_thumbnail_from_GetBroadcastImage()
    {
        await using var context = Context();
        context.Api.On<ListMyBroadcastsRequest, ListMyBroadcastsResponse>("ListMyBroadcasts", _ => new() { Broadcasts = { Image("b_img") }, Quota = Quota() });
        context.Api.On<GetBroadcastImageRequest, BroadcastImage>("GetBroadcastImage", _ => ImageBytes());

        var cut = context.RenderWithProviders<Records>();

        cut.WaitForAssertion(() => Assert.StartsWith("data:image/png;base64,", cut.Find("[data-testid=broadcast-image-b_img]").GetAttribute("src"), StringComparison.Ordinal), Within);
        Assert.Equal("b_img", Assert.Single(context.Api.RequestsTo<GetBroadcastImageRequest>("GetBroadcastImage")).BroadcastId);
    }
}
