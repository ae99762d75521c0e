using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using LearnHub.Admin.Components.Pages.Broadcasts;
using LearnHub.Admin.Tests.Schedule;
using LearnHub.Api.V1;
using static LearnHub.Admin.Tests.Broadcasts.BroadcastFakes;

namespace LearnHub.Admin.Tests.Broadcasts;

public sealed class ReviewQueueTests
{
    [Fact]
    public async Task The_queue_shows_oldest_first_how_long_each_waited_its_deadline_and_the_expected_review_time()
    {
        await using var context = Context("reviewer");
        context.Api.On<ListReviewQueueRequest, ListReviewQueueResponse>("ListReviewQueue", _ => Queue(
            Item(Text("b_old", "第19章答疑", submitted: Now.AddDays(-1).AddHours(-3)), waited: 27 * 3600),
            Item(Text("b_new", "今晚直播", submitted: Now.AddHours(-3)), waited: 3 * 3600 + 20 * 60),
            Item(Image("b_img"), waited: 5 * 60)));
        context.Api.On<GetBroadcastImageRequest, BroadcastImage>("GetBroadcastImage", _ => ImageBytes());

        var cut = context.RenderWithProviders<ReviewQueue>();
        cut.WaitForElement("[data-testid=review-table]", Within);

        Assert.Equal(["b_old", "b_new", "b_img"], cut.FindAll("tr[data-testid^=review-row-]").Select(r => r.GetAttribute("data-testid")!["review-row-".Length..]));
        Assert.Equal("已等待 1 天 3 小时", cut.Text("review-waited-b_old"));
        Assert.Equal("已等待 3 小时", cut.Text("review-waited-b_new"));
        Assert.Equal("已等待 5 分钟", cut.Text("review-waited-b_img"));
        // Submitted 2026-04-30 23:00 UTC, due 7 days later: 2026-05-08 07:00 in Asia/Shanghai.
        Assert.Equal("2026-05-08 07:00", cut.Text("review-deadline-b_new"));
        Assert.Equal("预计审核时长 2 小时", cut.Text("review-expected"));
        Assert.Equal("待审核 3 条", cut.Text("review-total"));
        Assert.Equal("今晚直播", cut.Text("broadcast-text-b_new"));
        // The creator by name; no user id on screen.
        var row = cut.Find("[data-testid=review-row-b_new]");
        Assert.DoesNotMatch(@"\bu_\w+", row.TextContent);
        cut.WaitForAssertion(() => Assert.StartsWith("data:image/png;base64,", cut.Find("[data-testid=broadcast-image-b_img]").GetAttribute("src"), StringComparison.Ordinal), Within);
    }

    [Fact]
    public async Task Approving_asks_first_and_removes_the_row()
    {
        await using var context = Context("reviewer");
        context.Api.On<ListReviewQueueRequest, ListReviewQueueResponse>("ListReviewQueue", _ => Queue(Item(Text("b1", "今晚直播"), 60), Item(Text("b2", "明晚直播"), 30)));
        context.Api.On<ApproveBroadcastRequest, Broadcast>("ApproveBroadcast", r => Text(r.BroadcastId, "今晚直播").Decided(BroadcastStatus.Approved, Now));
        var cut = context.RenderWithProviders<ReviewQueue>();
        cut.WaitForElement("[data-testid=review-approve-b1]", Within);

        ScheduleUi.Click(cut, "review-approve-b1");
        cut.WaitForAssertion(() => Assert.Contains("万红coco", cut.Text("confirm-message"), StringComparison.Ordinal), Within);
        Assert.Empty(context.Api.RequestsTo<ApproveBroadcastRequest>("ApproveBroadcast"));
        cut.Confirm();

        cut.WaitForAssertion(() =>
        {
            Assert.False(cut.Has("review-row-b1"));
            Assert.True(cut.Has("review-row-b2"));
        }, Within);
        Assert.Equal("b1", Assert.Single(context.Api.RequestsTo<ApproveBroadcastRequest>("ApproveBroadcast")).BroadcastId);
    }

    [Fact]
    public async Task Rejecting_needs_a_reason_of_1_to_200_characters_and_shows_the_servers_refusal_at_it()
    {
        await using var context = Context("reviewer");
        context.Api.On<ListReviewQueueRequest, ListReviewQueueResponse>("ListReviewQueue", _ => Queue(Item(Text("b1", "加微信领资料"), 60)));
        var attempts = 0;
        context.Api.On<RejectBroadcastRequest, Broadcast>("RejectBroadcast", r => ++attempts == 1
            ? throw Invalid(("reason", "原因不能只含空白 (reason must not be blank)."))
            : Text(r.BroadcastId, "加微信领资料").Decided(BroadcastStatus.Rejected, Now, r.Reason));
        var cut = context.RenderWithProviders<ReviewQueue>();
        cut.WaitForElement("[data-testid=review-reject-b1]", Within);

        ScheduleUi.Click(cut, "review-reject-b1");
        cut.WaitForElement("[data-testid=reject-confirm]", Within);
        Assert.True(cut.Disabled("reject-confirm"));
        ScheduleUi.Enter(cut, "reject-reason", new string('广', 201));
        cut.WaitForAssertion(() => Assert.Contains("原因最多 200 个字", ScheduleUi.FieldText(cut, "reject-reason"), StringComparison.Ordinal), Within);
        Assert.True(cut.Disabled("reject-confirm"));
        // A reason is one line, without control characters, and shows something: the server's rule, checked as the user types.
        ScheduleUi.Enter(cut, "reject-reason", "含有\n广告");
        cut.WaitForAssertion(() => Assert.Contains("不能换行", ScheduleUi.FieldText(cut, "reject-reason"), StringComparison.Ordinal), Within);
        Assert.True(cut.Disabled("reject-confirm"));
        ScheduleUi.Enter(cut, "reject-reason", "\u200B\u200D");
        cut.WaitForAssertion(() => Assert.Contains("内容不能只有空格或看不见的字符", ScheduleUi.FieldText(cut, "reject-reason"), StringComparison.Ordinal), Within);
        Assert.True(cut.Disabled("reject-confirm"));
        ScheduleUi.Enter(cut, "reject-reason", new string('广', 200));
        cut.WaitForAssertion(() => Assert.False(cut.Disabled("reject-confirm")), Within);

        ScheduleUi.Click(cut, "reject-confirm");
        cut.WaitForAssertion(() => Assert.Contains("原因不能只含空白", ScheduleUi.FieldText(cut, "reject-reason"), StringComparison.Ordinal), Within);
        Assert.True(cut.Has("review-row-b1"));

        ScheduleUi.Enter(cut, "reject-reason", "含有广告信息");
        ScheduleUi.Click(cut, "reject-confirm");

        cut.WaitForAssertion(() =>
        {
            Assert.False(cut.Has("reject-confirm"));
            Assert.False(cut.Has("review-row-b1"));
            Assert.Equal("暂无待审核的群发", cut.Text("review-empty"));
        }, Within);
        var requests = context.Api.RequestsTo<RejectBroadcastRequest>("RejectBroadcast").ToList();
        Assert.Equal(2, requests.Count);
        Assert.Equal("b1", requests[1].BroadcastId);
        Assert.Equal("含有广告信息", requests[1].Reason);
    }

    [Fact]
    public async Task A_reviewers_own_broadcast_cannot_be_decided_and_a_refusal_from_the_server_is_shown_readably()
    {
        await using var context = Context("reviewer", "instructor");
        context.Api.On<ListReviewQueueRequest, ListReviewQueueResponse>("ListReviewQueue", _ => Queue(
            Item(Text("b_mine", "我的群发", creatorId: Me, creatorName: "tester"), 60),
            Item(Text("b_other", "别人的群发"), 60)));
        context.Api.On<ApproveBroadcastRequest, Broadcast>("ApproveBroadcast", _ =>
            throw Refused(Code.PermissionDenied, "不能审核自己的群发 (a reviewer never decides their own broadcast).", "OWN_BROADCAST"));
        var cut = context.RenderWithProviders<ReviewQueue>();
        cut.WaitForElement("[data-testid=review-row-b_mine]", Within);

        Assert.Equal("自己的群发，需由其他审核员审核", cut.Text("review-own-b_mine"));
        Assert.True(cut.Disabled("review-approve-b_mine"));
        Assert.True(cut.Disabled("review-reject-b_mine"));
        Assert.False(cut.Disabled("review-approve-b_other"));

        ScheduleUi.Click(cut, "review-approve-b_other");
        cut.Confirm();

        cut.WaitForAssertion(() => Assert.Equal("不能审核自己的群发 (a reviewer never decides their own broadcast).", cut.Text("review-error")), Within);
        Assert.True(cut.Has("review-row-b_other"));
    }

    [Fact]
    public async Task An_empty_queue_says_so()
    {
        await using var context = Context("admin");
        context.Api.On<ListReviewQueueRequest, ListReviewQueueResponse>("ListReviewQueue", _ => Queue());

        var cut = context.RenderWithProviders<ReviewQueue>();

        cut.WaitForAssertion(() => Assert.Equal("暂无待审核的群发", cut.Text("review-empty")), Within);
    }

    private static ReviewItem Item(Broadcast broadcast, long waited) => new()
    {
        Broadcast = broadcast,
        WaitedSeconds = waited,
        ReviewDeadline = broadcast.ReviewDeadline,
    };

    private static ListReviewQueueResponse Queue(params ReviewItem[] items) => new()
    {
        Items = { items },
        TotalPending = items.Length,
        ExpectedReviewSeconds = 2 * 3600 + 10 * 60,
    };
}
