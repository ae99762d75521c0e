using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using LearnHub.Admin.Components.Pages.Broadcasts;
using LearnHub.Admin.Tests.Schedule;
using LearnHub.Api.V1;
using static LearnHub.Admin.Tests.Broadcasts.BroadcastFakes;

namespace LearnHub.Admin.Tests.Broadcasts;

public sealed class ReportQueueTests
{
    [Fact]
    public async Task Open_reports_show_reason_reporter_and_the_broadcast()
    {
        await using var context = Context("reviewer");
        context.Api.On<ListReportsRequest, ListReportsResponse>("ListReports", _ => new()
        {
            Reports = { OpenReport("r1", "b1", "广告骚扰", "u_fan") },
        });

        var cut = context.RenderWithProviders<ReportQueue>();
        cut.WaitForElement("[data-testid=report-row-r1]", Within);

        Assert.Equal("广告骚扰", cut.Text("report-reason-r1"));
        Assert.Equal("u_fan 的名字", cut.Text("report-reporter-r1"));
        // Names, not ids: the reporter's id is nowhere on screen, not even in a tooltip.
        Assert.Null(cut.Find("[data-testid=report-reporter-r1]").GetAttribute("title"));
        Assert.DoesNotContain("u_fan<", cut.Markup, StringComparison.Ordinal);
        Assert.Equal("加微信领资料", cut.Text("broadcast-text-b1"));
        Assert.Equal("待处理", cut.Text("report-status-r1"));
        Assert.False(Assert.Single(context.Api.RequestsTo<ListReportsRequest>("ListReports")).IncludeClosed);
    }

    [Fact]
    public async Task Taking_down_asks_for_a_reason_and_reloads_the_resolved_reports()
    {
        await using var context = Context("reviewer");
        var reports = new List<Report> { OpenReport("r1", "b1", "广告骚扰", "u_fan"), OpenReport("r2", "b1", "垃圾信息", "u_fan2") };
        context.Api.On<ListReportsRequest, ListReportsResponse>("ListReports", _ => new() { Reports = { reports } });
        context.Api.On<TakeDownBroadcastRequest, Broadcast>("TakeDownBroadcast", r =>
        {
            reports.Clear();
            return Text(r.BroadcastId, "加微信领资料").Decided(BroadcastStatus.TakenDown, Now, r.Reason);
        });
        var cut = context.RenderWithProviders<ReportQueue>();
        cut.WaitForElement("[data-testid=report-takedown-r1]", Within);

        ScheduleUi.Click(cut, "report-takedown-r1");
        cut.WaitForElement("[data-testid=takedown-confirm]", Within);
        Assert.True(cut.Disabled("takedown-confirm"));
        ScheduleUi.Enter(cut, "takedown-reason", "违反发布协议");
        ScheduleUi.Click(cut, "takedown-confirm");

        cut.WaitForAssertion(() => Assert.Equal("暂无举报", cut.Text("reports-empty")), Within);
        var request = Assert.Single(context.Api.RequestsTo<TakeDownBroadcastRequest>("TakeDownBroadcast"));
        Assert.Equal("b1", request.BroadcastId);
        Assert.Equal("违反发布协议", request.Reason);
    }

    [Fact]
    public async Task Dismissing_asks_first_and_removes_the_report()
    {
        await using var context = Context("admin");
        context.Api.On<ListReportsRequest, ListReportsResponse>("ListReports", _ => new() { Reports = { OpenReport("r1", "b1", "看不惯", "u_fan") } });
        context.Api.On<DismissReportRequest, Report>("DismissReport", r =>
        {
            var dismissed = OpenReport(r.ReportId, "b1", "看不惯", "u_fan");
            dismissed.Status = ReportStatus.Dismissed;
            return dismissed;
        });
        var cut = context.RenderWithProviders<ReportQueue>();
        cut.WaitForElement("[data-testid=report-dismiss-r1]", Within);

        ScheduleUi.Click(cut, "report-dismiss-r1");
        cut.Confirm();

        cut.WaitForAssertion(() => Assert.False(cut.Has("report-row-r1")), Within);
        Assert.Equal("r1", Assert.Single(context.Api.RequestsTo<DismissReportRequest>("DismissReport")).ReportId);
        Assert.Empty(context.Api.RequestsTo<TakeDownBroadcastRequest>("TakeDownBroadcast"));
    }

    [Fact]
    public async Task No_reports_shows_the_empty_state()
    {
        await using var context = Context("reviewer");
        context.Api.On<ListReportsRequest, ListReportsResponse>("ListReports", _ => new());

        var cut = context.RenderWithProviders<ReportQueue>();

        cut.WaitForAssertion(() => Assert.Equal("暂无举报", cut.Text("reports-empty")), Within);
    }

    [Fact]
    public async Task A_report_about_the_reviewers_own_broadcast_offers_no_decision()
    {
        await using var context = Context("reviewer", "instructor");
        var own = OpenReport("r_own", "b_mine", "广告", "u_fan");
        own.Broadcast = Text("b_mine", "我的群发", creatorId: Me, creatorName: "tester").Decided(BroadcastStatus.Approved, Now.AddHours(-5));
        context.Api.On<ListReportsRequest, ListReportsResponse>("ListReports", _ => new() { Reports = { own, OpenReport("r_other", "b1", "骚扰", "u_fan2") } });

        var cut = context.RenderWithProviders<ReportQueue>();
        cut.WaitForElement("[data-testid=report-row-r_own]", Within);

        Assert.Equal("针对自己群发的举报，需由其他审核员处理", cut.Text("report-own-r_own"));
        Assert.False(cut.Has("report-takedown-r_own"));
        Assert.False(cut.Has("report-dismiss-r_own"));
        Assert.True(cut.Has("report-dismiss-r_other"));
        Assert.False(cut.Has("report-own-r_other"));
    }

    [Fact]
    public async Task A_refused_dismissal_shows_the_servers_reason_and_reloads_the_queue()
    {
        await using var context = Context("reviewer");
        const string refusal = "不能审核自己的群发,也不能处理针对它的举报 (a reviewer never decides their own broadcast or the reports about it).";
        var listed = new List<Report> { OpenReport("r1", "b1", "看不惯", "u_fan") };
        context.Api.On<ListReportsRequest, ListReportsResponse>("ListReports", _ => new() { Reports = { listed } });
        context.Api.On<DismissReportRequest, Report>("DismissReport", _ =>
        {
            // As the server: the report is not this reviewer's to decide and no longer in their queue.
            listed.Clear();
            throw Refused(Code.PermissionDenied, refusal, "NOT_OWNER_OR_ROLE");
        });
        var cut = context.RenderWithProviders<ReportQueue>();
        cut.WaitForElement("[data-testid=report-dismiss-r1]", Within);

        ScheduleUi.Click(cut, "report-dismiss-r1");
        cut.Confirm();

        cut.WaitForAssertion(() => Assert.Equal(refusal, cut.Text("reports-error")), Within);
        cut.WaitForAssertion(() => Assert.False(cut.Has("report-row-r1")), Within);
        Assert.Equal(2, context.Api.RequestsTo<ListReportsRequest>("ListReports").Count());
    }

    private static Report OpenReport(string id, string broadcastId, string reason, string reporter) => new()
    {
        Id = id,
        BroadcastId = broadcastId,
        ReporterId = reporter,
        ReporterName = $"{reporter} 的名字",
        Reason = reason,
        Status = ReportStatus.Open,
        CreateTime = Timestamp.FromDateTimeOffset(Now.AddHours(-1)),
        Broadcast = Text(broadcastId, "加微信领资料").Decided(BroadcastStatus.Approved, Now.AddHours(-5)),
    };
}
