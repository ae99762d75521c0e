using Grpc.Core;
using LearnHub.Api.V1;
using LearnHub.Server.Tests.Infrastructure;
using static LearnHub.Server.Tests.Broadcasts.FanBroadcastWorld;

namespace LearnHub.Server.Tests.Broadcasts;

/// <summary>举报: a follower reports a received message with a reason to the reviewers' queue; a reviewer takes it down everywhere or dismisses the report.</summary>
public sealed class ReportAndTakedownTests
{
    [Fact]
    public async Task A_report_needs_a_reason_and_a_held_message_and_a_second_returns_the_first()
    {
        await using var world = await FanBroadcastWorld.StartAsync();
        var creator = await world.CreatorAsync("wanhongcoco");
        var fan = await world.FanAsync("xiaowang", creator);
        var stranger = await world.App.CreateUserAsync("luren");
        var approved = await world.PublishTextAsync(creator, "加微信领资料");
        await CheckInAsync(fan);

        await Refusal.AssertAsync(StatusCode.InvalidArgument, "reason",
            () => fan.Inbox.ReportBroadcastAsync(new ReportBroadcastRequest { MessageId = approved.Id, Reason = "" }).ResponseAsync);
        await Refusal.AssertAsync(StatusCode.InvalidArgument, "reason",
            () => fan.Inbox.ReportBroadcastAsync(new ReportBroadcastRequest { MessageId = approved.Id, Reason = "   " }).ResponseAsync);
        await Refusal.AssertAsync(StatusCode.InvalidArgument, "reason",
            () => fan.Inbox.ReportBroadcastAsync(new ReportBroadcastRequest { MessageId = approved.Id, Reason = new string('广', 201) }).ResponseAsync);
        await Refusal.AssertAsync(StatusCode.NotFound, "message_id",
            () => stranger.Inbox.ReportBroadcastAsync(new ReportBroadcastRequest { MessageId = approved.Id, Reason = "广告" }).ResponseAsync);
        await Refusal.AssertAsync(StatusCode.NotFound, "message_id",
            () => creator.Inbox.ReportBroadcastAsync(new ReportBroadcastRequest { MessageId = approved.Id, Reason = "广告" }).ResponseAsync);
        Assert.Empty((await world.Reviewer.Broadcasts.ListReportsAsync(new ListReportsRequest { IncludeClosed = true })).Reports);
        Assert.False((await InboxAsync(fan)).Single().Reported);

        var report = await fan.Inbox.ReportBroadcastAsync(new ReportBroadcastRequest { MessageId = approved.Id, Reason = " 广告 " });
        world.App.Clock.Advance(TimeSpan.FromMinutes(1));
        var second = await fan.Inbox.ReportBroadcastAsync(new ReportBroadcastRequest { MessageId = approved.Id, Reason = "骚扰" });

        Assert.Equal((approved.Id, fan.Id, "广告", ReportStatus.Open), (report.BroadcastId, report.ReporterId, report.Reason, report.Status));
        Assert.Equal(report, second);
        Assert.True((await InboxAsync(fan)).Single().Reported);

        var listed = (await world.Reviewer.Broadcasts.ListReportsAsync(new ListReportsRequest())).Reports.Single();
        Assert.Equal((report.Id, "广告", ReportStatus.Open), (listed.Id, listed.Reason, listed.Status));
        // Reviewers see who reported by name (test users are named after their handle).
        Assert.Equal((fan.Handle, fan.Handle), (report.ReporterName, listed.ReporterName));
        Assert.Equal((approved.Id, "加微信领资料", BroadcastStatus.Approved), (listed.Broadcast.Id, listed.Broadcast.Text, listed.Broadcast.Status));
        Assert.Single((await world.Admin.Broadcasts.ListReportsAsync(new ListReportsRequest())).Reports);

        foreach (var notReviewer in new[] { fan, creator, stranger })
        {
            await Refusal.AssertAsync(StatusCode.PermissionDenied, "role",
                () => notReviewer.Broadcasts.ListReportsAsync(new ListReportsRequest()).ResponseAsync);
        }
    }

    [Fact]
    public async Task Reports_list_open_ones_first_oldest_first_in_pages()
    {
        await using var world = await FanBroadcastWorld.StartAsync();
        var creator = await world.CreatorAsync("wanhongcoco");
        var fans = new List<TestUser>();
        for (var i = 0; i < 3; i++)
        {
            fans.Add(await world.FanAsync($"fan-{i}", creator));
        }
        var approved = await world.PublishTextAsync(creator, "加微信领资料");
        var reports = new List<Report>();
        foreach (var fan in fans)
        {
            await CheckInAsync(fan);
            reports.Add(await fan.Inbox.ReportBroadcastAsync(new ReportBroadcastRequest { MessageId = approved.Id, Reason = $"广告 {fan.Handle}" }));
            world.App.Clock.Advance(TimeSpan.FromMinutes(1));
        }
        await world.Reviewer.Broadcasts.DismissReportAsync(new DismissReportRequest { ReportId = reports[0].Id });

        var open = await world.Reviewer.Broadcasts.ListReportsAsync(new ListReportsRequest { PageSize = 1 });
        var openNext = await world.Reviewer.Broadcasts.ListReportsAsync(new ListReportsRequest { PageSize = 1, PageToken = open.NextPageToken });
        var all = await world.Reviewer.Broadcasts.ListReportsAsync(new ListReportsRequest { IncludeClosed = true });

        Assert.Equal([reports[1].Id], open.Reports.Select(r => r.Id));
        Assert.Equal([reports[2].Id], openNext.Reports.Select(r => r.Id));
        Assert.Empty(openNext.NextPageToken);
        Assert.Equal([reports[1].Id, reports[2].Id, reports[0].Id], all.Reports.Select(r => r.Id));
        Assert.Equal([ReportStatus.Open, ReportStatus.Open, ReportStatus.Dismissed], all.Reports.Select(r => r.Status));
    }

    [Fact]
    public async Task A_takedown_removes_the_message_from_every_inbox_and_resolves_its_reports()
    {
        await using var world = await FanBroadcastWorld.StartAsync();
        var creator = await world.CreatorAsync("wanhongcoco");
        var reporter = await world.FanAsync("xiaowang", creator);
        var other = await world.FanAsync("xiaoli", creator);
        var late = await world.FanAsync("xiaozhao", creator);
        var silent = await world.FanAsync("xiaozhou", creator);
        var png = TestImages.Png(32, 32);
        var bad = await world.PublishImageAsync(creator, png);
        var fine = await world.PublishTextAsync(creator, "正常的消息");
        await CheckInAsync(reporter);
        await CheckInAsync(other);
        await CheckInAsync(silent);
        var report = await reporter.Inbox.ReportBroadcastAsync(new ReportBroadcastRequest { MessageId = bad.Id, Reason = "不良信息" });
        var otherReport = await other.Inbox.ReportBroadcastAsync(new ReportBroadcastRequest { MessageId = bad.Id, Reason = "广告" });
        await InboxTests.AssertImageAsync(reporter, bad.Id, png);

        await Refusal.AssertAsync(StatusCode.InvalidArgument, "reason",
            () => world.Reviewer.Broadcasts.TakeDownBroadcastAsync(new TakeDownBroadcastRequest { BroadcastId = bad.Id }).ResponseAsync);
        await Refusal.AssertAsync(StatusCode.PermissionDenied, "role",
            () => reporter.Broadcasts.TakeDownBroadcastAsync(new TakeDownBroadcastRequest { BroadcastId = bad.Id, Reason = "违规" }).ResponseAsync);
        Assert.Equal(2, (await InboxAsync(reporter)).Count);

        world.App.Clock.Advance(TimeSpan.FromMinutes(5));
        var down = await world.Reviewer.Broadcasts.TakeDownBroadcastAsync(new TakeDownBroadcastRequest { BroadcastId = bad.Id, Reason = "违规广告" });

        Assert.Equal((BroadcastStatus.TakenDown, "违规广告"), (down.Status, down.Reason));
        Assert.Equal(world.App.Clock.GetUtcNow(), down.DecideTime.ToDateTimeOffset());
        Assert.True(down.Reach.WindowClosed);
        foreach (var fan in new[] { reporter, other, silent })
        {
            Assert.Equal([fine.Id], (await InboxAsync(fan)).Select(m => m.Id));
            var summary = await SummaryAsync(fan);
            Assert.Equal((1, 1), (summary.Unread, summary.Total));
            await InboxTests.AssertNoImageAsync(fan, bad.Id);
        }
        // Nobody receives it any more, though its window is open.
        var lateCheckIn = await CheckInAsync(late);
        Assert.Equal((1, 1), (lateCheckIn.NewlyReceived, lateCheckIn.Total));
        Assert.Equal([fine.Id], (await InboxAsync(late)).Select(m => m.Id));
        // Its creator still sees it in 群发记录, taken down with the reason; the reviewers still see the image.
        var record = await RecordAsync(creator, bad.Id);
        Assert.Equal((BroadcastStatus.TakenDown, "违规广告"), (record.Status, record.Reason));
        await InboxTests.AssertImageAsync(world.Reviewer, bad.Id, png);

        // A message that is gone can no longer be reported.
        await Refusal.AssertAsync(StatusCode.NotFound, "message_id",
            () => silent.Inbox.ReportBroadcastAsync(new ReportBroadcastRequest { MessageId = bad.Id, Reason = "广告" }).ResponseAsync);
        Assert.Empty((await world.Reviewer.Broadcasts.ListReportsAsync(new ListReportsRequest())).Reports);
        var closed = (await world.Reviewer.Broadcasts.ListReportsAsync(new ListReportsRequest { IncludeClosed = true })).Reports;
        Assert.Equal(new[] { report.Id, otherReport.Id }.Order(), closed.Select(r => r.Id).Order());
        Assert.All(closed, r => Assert.Equal(ReportStatus.Resolved, r.Status));

        // A second takedown, or dismissing a resolved report, is refused.
        await Refusal.AssertAsync(StatusCode.FailedPrecondition, "broadcast_id",
            () => world.Reviewer.Broadcasts.TakeDownBroadcastAsync(new TakeDownBroadcastRequest { BroadcastId = bad.Id, Reason = "再次" }).ResponseAsync);
        await Refusal.AssertAsync(StatusCode.FailedPrecondition, "report_id",
            () => world.Reviewer.Broadcasts.DismissReportAsync(new DismissReportRequest { ReportId = report.Id }).ResponseAsync);
    }

    [Fact]
    public async Task Only_an_approved_broadcast_can_be_taken_down()
    {
        await using var world = await FanBroadcastWorld.StartAsync();
        var creator = await world.CreatorAsync("wanhongcoco");
        var pending = await world.SubmitTextAsync(creator, "审核中");

        await Refusal.AssertAsync(StatusCode.FailedPrecondition, "broadcast_id",
            () => world.Reviewer.Broadcasts.TakeDownBroadcastAsync(new TakeDownBroadcastRequest { BroadcastId = pending.Id, Reason = "违规" }).ResponseAsync);
        await Refusal.AssertAsync(StatusCode.NotFound, "broadcast_id",
            () => world.Reviewer.Broadcasts.TakeDownBroadcastAsync(new TakeDownBroadcastRequest { BroadcastId = "b_nobody", Reason = "违规" }).ResponseAsync);

        Assert.Equal(BroadcastStatus.Pending, (await RecordAsync(creator, pending.Id)).Status);
    }

    [Fact]
    public async Task Dismissing_closes_a_report_and_leaves_the_message_where_it_was()
    {
        await using var world = await FanBroadcastWorld.StartAsync();
        var creator = await world.CreatorAsync("wanhongcoco");
        var fan = await world.FanAsync("xiaowang", creator);
        var approved = await world.PublishTextAsync(creator, "今晚直播");
        await CheckInAsync(fan);
        var report = await fan.Inbox.ReportBroadcastAsync(new ReportBroadcastRequest { MessageId = approved.Id, Reason = "误报" });

        await Refusal.AssertAsync(StatusCode.PermissionDenied, "role",
            () => fan.Broadcasts.DismissReportAsync(new DismissReportRequest { ReportId = report.Id }).ResponseAsync);
        await Refusal.AssertAsync(StatusCode.NotFound, "report_id",
            () => world.Reviewer.Broadcasts.DismissReportAsync(new DismissReportRequest { ReportId = "r_nobody" }).ResponseAsync);
        Assert.Single((await world.Reviewer.Broadcasts.ListReportsAsync(new ListReportsRequest())).Reports);

        var dismissed = await world.Reviewer.Broadcasts.DismissReportAsync(new DismissReportRequest { ReportId = report.Id });

        Assert.Equal((report.Id, ReportStatus.Dismissed), (dismissed.Id, dismissed.Status));
        Assert.Equal(approved.Id, dismissed.Broadcast.Id);
        Assert.Empty((await world.Reviewer.Broadcasts.ListReportsAsync(new ListReportsRequest())).Reports);
        Assert.Equal(ReportStatus.Dismissed, (await world.Reviewer.Broadcasts.ListReportsAsync(new ListReportsRequest { IncludeClosed = true })).Reports.Single().Status);
        Assert.Equal(BroadcastStatus.Approved, (await RecordAsync(creator, approved.Id)).Status);
        Assert.Equal([approved.Id], (await InboxAsync(fan)).Select(m => m.Id));
        await Refusal.AssertAsync(StatusCode.FailedPrecondition, "report_id",
            () => world.Reviewer.Broadcasts.DismissReportAsync(new DismissReportRequest { ReportId = report.Id }).ResponseAsync);
        // The one report per message stays the one: reporting again answers with the dismissed report.
        var again = await fan.Inbox.ReportBroadcastAsync(new ReportBroadcastRequest { MessageId = approved.Id, Reason = "再次举报" });
        Assert.Equal((report.Id, ReportStatus.Dismissed), (again.Id, again.Status));
    }

    [Fact]
    public async Task A_reviewer_never_acts_on_reports_about_their_own_broadcast_nor_learns_who_reported_it()
    {
        await using var world = await FanBroadcastWorld.StartAsync();
        // A certified creator who is also a reviewer; their broadcast was approved by the other reviewer.
        var reviewerCreator = await world.CreatorAsync("shenhe-coco", "reviewer");
        var otherCreator = await world.CreatorAsync("wanhongcoco");
        var fan = await world.FanAsync("xiaowang", reviewerCreator, otherCreator);
        var own = await world.PublishTextAsync(reviewerCreator, "审核员自己的群发");
        var others = await world.PublishTextAsync(otherCreator, "别人的群发");
        await CheckInAsync(fan);
        var aboutOwn = await fan.Inbox.ReportBroadcastAsync(new ReportBroadcastRequest { MessageId = own.Id, Reason = "广告" });
        var aboutOthers = await fan.Inbox.ReportBroadcastAsync(new ReportBroadcastRequest { MessageId = others.Id, Reason = "骚扰" });

        // Their queue leaves out the reports about their own broadcast, open or closed; the other reviewer's has both.
        Assert.Equal([aboutOthers.Id], (await reviewerCreator.Broadcasts.ListReportsAsync(new ListReportsRequest())).Reports.Select(r => r.Id));
        Assert.Equal([aboutOthers.Id], (await reviewerCreator.Broadcasts.ListReportsAsync(new ListReportsRequest { IncludeClosed = true })).Reports.Select(r => r.Id));
        Assert.Equal(
            new[] { aboutOwn.Id, aboutOthers.Id }.Order(),
            (await world.Reviewer.Broadcasts.ListReportsAsync(new ListReportsRequest())).Reports.Select(r => r.Id).Order());

        // Dismissing the report or taking their broadcast down is refused, and the refusal names nobody.
        var dismiss = await Refusal.AssertAsync(StatusCode.PermissionDenied, "report_id",
            () => reviewerCreator.Broadcasts.DismissReportAsync(new DismissReportRequest { ReportId = aboutOwn.Id }).ResponseAsync);
        var takeDown = await Refusal.AssertAsync(StatusCode.PermissionDenied, "broadcast_id",
            () => reviewerCreator.Broadcasts.TakeDownBroadcastAsync(new TakeDownBroadcastRequest { BroadcastId = own.Id, Reason = "自己下架" }).ResponseAsync);
        foreach (var refusal in new[] { dismiss, takeDown })
        {
            Assert.Contains("不能审核自己的群发", refusal.Status.Detail, StringComparison.Ordinal);
            Assert.DoesNotContain(fan.Handle, refusal.Status.Detail, StringComparison.Ordinal);
            Assert.DoesNotContain(fan.Id, refusal.Status.Detail, StringComparison.Ordinal);
            Assert.DoesNotContain("广告", refusal.Status.Detail, StringComparison.Ordinal);
        }

        // Nothing changed: the report is open, the broadcast approved and still in the fan's inbox.
        var stillOpen = (await world.Reviewer.Broadcasts.ListReportsAsync(new ListReportsRequest())).Reports.Single(r => r.Id == aboutOwn.Id);
        Assert.Equal(ReportStatus.Open, stillOpen.Status);
        Assert.Equal(BroadcastStatus.Approved, (await RecordAsync(reviewerCreator, own.Id)).Status);
        Assert.Contains(own.Id, (await InboxAsync(fan)).Select(m => m.Id));

        // They still decide reports about other creators' broadcasts.
        var dismissed = await reviewerCreator.Broadcasts.DismissReportAsync(new DismissReportRequest { ReportId = aboutOthers.Id });
        Assert.Equal(ReportStatus.Dismissed, dismissed.Status);

        // Another reviewer decides the report about theirs.
        var down = await world.Reviewer.Broadcasts.TakeDownBroadcastAsync(new TakeDownBroadcastRequest { BroadcastId = own.Id, Reason = "违规广告" });
        Assert.Equal(BroadcastStatus.TakenDown, down.Status);
        Assert.Equal([aboutOthers.Id], (await reviewerCreator.Broadcasts.ListReportsAsync(new ListReportsRequest { IncludeClosed = true })).Reports.Select(r => r.Id));
    }

    [Fact]
    public async Task An_admin_who_created_a_broadcast_decides_neither_it_nor_its_reports()
    {
        await using var world = await FanBroadcastWorld.StartAsync();
        await world.Admin.Admin.SetCertifiedAsync(new SetCertifiedRequest { UserId = world.Admin.Id, Certified = true });
        var fan = await world.FanAsync("xiaowang", world.Admin);
        var pending = await world.SubmitTextAsync(world.Admin, "平台公告");

        await Refusal.AssertAsync(StatusCode.PermissionDenied, "broadcast_id",
            () => world.Admin.Broadcasts.ApproveBroadcastAsync(new ApproveBroadcastRequest { BroadcastId = pending.Id }).ResponseAsync);
        await Refusal.AssertAsync(StatusCode.PermissionDenied, "broadcast_id",
            () => world.Admin.Broadcasts.RejectBroadcastAsync(new RejectBroadcastRequest { BroadcastId = pending.Id, Reason = "自审" }).ResponseAsync);
        Assert.Equal(BroadcastStatus.Pending, (await RecordAsync(world.Admin, pending.Id)).Status);

        var approved = await world.ApproveAsync(pending);
        await CheckInAsync(fan);
        var report = await fan.Inbox.ReportBroadcastAsync(new ReportBroadcastRequest { MessageId = approved.Id, Reason = "广告" });

        Assert.Empty((await world.Admin.Broadcasts.ListReportsAsync(new ListReportsRequest { IncludeClosed = true })).Reports);
        await Refusal.AssertAsync(StatusCode.PermissionDenied, "report_id",
            () => world.Admin.Broadcasts.DismissReportAsync(new DismissReportRequest { ReportId = report.Id }).ResponseAsync);
        await Refusal.AssertAsync(StatusCode.PermissionDenied, "broadcast_id",
            () => world.Admin.Broadcasts.TakeDownBroadcastAsync(new TakeDownBroadcastRequest { BroadcastId = approved.Id, Reason = "自己下架" }).ResponseAsync);
        Assert.Equal(BroadcastStatus.Approved, (await RecordAsync(world.Admin, approved.Id)).Status);
        Assert.Equal(ReportStatus.Open, (await world.Reviewer.Broadcasts.ListReportsAsync(new ListReportsRequest())).Reports.Single().Status);
    }
}
