using Google.Rpc;
using LearnHub.Admin.Components.Pages.Broadcasts;
using LearnHub.Admin.Services;
using LearnHub.Admin.Tests.Infrastructure;
using LearnHub.Admin.Tests.Schedule;
using LearnHub.Api.V1;
using Microsoft.Extensions.DependencyInjection;
using static LearnHub.Admin.Tests.Broadcasts.BroadcastFakes;

namespace LearnHub.Admin.Tests.Broadcasts;

public sealed class InboxTests
{
    [Fact]
    public async Task Opening_checks_in_first_then_lists_newest_first_with_the_unread_count()
    {
        await using var context = Context();
        var fake = new FakeInbox(context,
            Message("m_new", Text("b2", "今晚19:30 直播"), received: Now.AddMinutes(-1)),
            Message("m_muted", Text("b3", "免打扰的创作者", creatorId: "u_quiet", creatorName: "安静老师"), muted: true, received: Now.AddMinutes(-2)),
            Message("m_img", Image("b4"), read: true, received: Now.AddMinutes(-3)));
        fake.NewlyReceived = 2;

        var cut = context.RenderWithProviders<Inbox>();
        cut.WaitForElement("[data-testid=inbox-row-m_new]", Within);

        var methods = context.Api.Calls.Select(c => c.Method).ToList();
        Assert.True(methods.IndexOf("CheckIn") >= 0 && methods.IndexOf("CheckIn") < methods.IndexOf("ListInbox"), string.Join(", ", methods));
        Assert.Equal(["m_new", "m_muted", "m_img"], cut.FindAll("[data-testid^=inbox-row-]:not([data-testid^=inbox-row-unread-])").Select(r => r.GetAttribute("data-testid")!["inbox-row-".Length..]));
        Assert.Equal("未读 1", cut.Text("inbox-unread"));
        Assert.Equal(1, context.Services.GetRequiredService<InboxBadge>().Unread);
        Assert.True(cut.Has("inbox-row-unread-m_new"));
        // Muted: received, shown, never badged.
        Assert.False(cut.Has("inbox-row-unread-m_muted"));
        Assert.Equal("免打扰", cut.Text("inbox-muted-m_muted"));
        Assert.False(cut.Has("inbox-row-unread-m_img"));
        Assert.Equal("2026-05-01 09:59", cut.Text("inbox-received-m_new"));
        Assert.Equal("今晚19:30 直播", cut.Text("broadcast-text-b2"));
        cut.WaitForAssertion(() => Assert.StartsWith("data:image/png;base64,", cut.Find("[data-testid=broadcast-image-b4]").GetAttribute("src"), StringComparison.Ordinal), Within);
    }

    [Fact]
    public async Task Opening_a_message_marks_it_read_and_all_read_marks_every_one()
    {
        await using var context = Context();
        var fake = new FakeInbox(context, Message("m1", Text("b1", "第一条")), Message("m2", Text("b2", "第二条")));
        var cut = context.RenderWithProviders<Inbox>();
        cut.WaitForAssertion(() => Assert.Equal("未读 2", cut.Text("inbox-unread")), Within);

        cut.Find("[data-testid=inbox-open-m1]").Click();

        cut.WaitForAssertion(() =>
        {
            Assert.Equal("未读 1", cut.Text("inbox-unread"));
            Assert.Equal("true", cut.Find("[data-testid=inbox-row-m1]").GetAttribute("data-read"));
            Assert.False(cut.Has("inbox-row-unread-m1"));
        }, Within);
        var first = Assert.Single(context.Api.RequestsTo<MarkInboxReadRequest>("MarkInboxRead"));
        Assert.Equal(["m1"], first.MessageIds);
        Assert.False(first.All);

        ScheduleUi.Click(cut, "inbox-read-all");

        cut.WaitForAssertion(() =>
        {
            Assert.Equal("未读 0", cut.Text("inbox-unread"));
            Assert.False(cut.Has("inbox-row-unread-m2"));
            Assert.True(cut.Disabled("inbox-read-all"));
        }, Within);
        Assert.True(context.Api.RequestsTo<MarkInboxReadRequest>("MarkInboxRead").Last().All);
        Assert.Equal(0, context.Services.GetRequiredService<InboxBadge>().Unread);
    }

    [Fact]
    public async Task Deleting_asks_first_and_removes_the_message()
    {
        await using var context = Context();
        var fake = new FakeInbox(context, Message("m1", Text("b1", "第一条")), Message("m2", Text("b2", "第二条")));
        var cut = context.RenderWithProviders<Inbox>();
        cut.WaitForElement("[data-testid=inbox-delete-m1]", Within);

        ScheduleUi.Click(cut, "inbox-delete-m1");
        cut.Confirm();

        cut.WaitForAssertion(() =>
        {
            Assert.False(cut.Has("inbox-row-m1"));
            Assert.True(cut.Has("inbox-row-m2"));
            Assert.Equal("未读 1", cut.Text("inbox-unread"));
        }, Within);
        Assert.Equal("m1", Assert.Single(context.Api.RequestsTo<DeleteInboxMessageRequest>("DeleteInboxMessage")).MessageId);
    }

    [Fact]
    public async Task Reporting_asks_for_a_reason_and_marks_the_message_reported()
    {
        await using var context = Context();
        var fake = new FakeInbox(context, Message("m1", Text("b1", "加微信领资料")));
        var cut = context.RenderWithProviders<Inbox>();
        cut.WaitForElement("[data-testid=inbox-report-m1]", Within);

        ScheduleUi.Click(cut, "inbox-report-m1");
        cut.WaitForElement("[data-testid=report-confirm]", Within);
        Assert.True(cut.Disabled("report-confirm"));
        ScheduleUi.Enter(cut, "report-reason", "广告骚扰");
        ScheduleUi.Click(cut, "report-confirm");

        cut.WaitForAssertion(() =>
        {
            Assert.False(cut.Has("report-confirm"));
            Assert.Equal("已举报", cut.Text("inbox-report-m1"));
            Assert.True(cut.Disabled("inbox-report-m1"));
        }, Within);
        var request = Assert.Single(context.Api.RequestsTo<ReportBroadcastRequest>("ReportBroadcast"));
        Assert.Equal("m1", request.MessageId);
        Assert.Equal("广告骚扰", request.Reason);
    }

    [Fact]
    public async Task A_second_report_refused_by_the_server_is_shown_in_the_dialog()
    {
        await using var context = Context();
        var fake = new FakeInbox(context, Message("m1", Text("b1", "加微信领资料")));
        context.Api.On<ReportBroadcastRequest, Report>("ReportBroadcast", _ => throw Refused(Code.AlreadyExists, "您已举报过这条消息 (already reported)."));
        var cut = context.RenderWithProviders<Inbox>();
        cut.WaitForElement("[data-testid=inbox-report-m1]", Within);

        ScheduleUi.Click(cut, "inbox-report-m1");
        cut.WaitForElement("[data-testid=report-confirm]", Within);
        ScheduleUi.Enter(cut, "report-reason", "广告骚扰");
        ScheduleUi.Click(cut, "report-confirm");

        cut.WaitForAssertion(() => Assert.Equal("您已举报过这条消息 (already reported).", cut.Text("report-error")), Within);
    }

    [Fact]
    public async Task Muting_a_creator_removes_the_unread_badge_and_blocking_asks_first()
    {
        await using var context = Context();
        var fake = new FakeInbox(context, Message("m1", Text("b1", "第一条")), Message("m2", Text("b2", "第二条", creatorId: "u_other", creatorName: "其他老师")));
        var cut = context.RenderWithProviders<Inbox>();
        cut.WaitForElement("[data-testid=inbox-actions-m1]", Within);
        Assert.False(cut.Has("inbox-mute-u_wanhong"));

        ScheduleUi.Click(cut, "inbox-actions-m1");
        cut.WaitForElement("[data-testid=inbox-mute-u_wanhong]", Within);
        Assert.Equal("消息免打扰", cut.Text("inbox-mute-u_wanhong"));
        ScheduleUi.Click(cut, "inbox-mute-u_wanhong");

        cut.WaitForAssertion(() =>
        {
            Assert.Equal("免打扰", cut.Text("inbox-muted-m1"));
            Assert.False(cut.Has("inbox-row-unread-m1"));
            Assert.True(cut.Has("inbox-row-unread-m2"));
            Assert.Equal("未读 1", cut.Text("inbox-unread"));
            Assert.Equal("取消免打扰", cut.Text("inbox-mute-u_wanhong"));
        }, Within);
        var mute = Assert.Single(context.Api.RequestsTo<SetCreatorPreferenceRequest>("SetCreatorPreference"));
        Assert.Equal("u_wanhong", mute.CreatorId);
        Assert.True(mute.HasMuted && mute.Muted);
        Assert.False(mute.HasBlocked);

        Assert.Contains("不再接收Ta的消息", cut.Find("[data-testid=inbox-block-u_wanhong]").ParentElement!.TextContent, StringComparison.Ordinal);
        ScheduleUi.Click(cut, "inbox-block-u_wanhong");
        cut.WaitForAssertion(() => Assert.Contains("不再接收Ta的消息", cut.Text("confirm-message"), StringComparison.Ordinal), Within);
        Assert.Single(context.Api.RequestsTo<SetCreatorPreferenceRequest>("SetCreatorPreference"));
        cut.Confirm();

        cut.WaitForAssertion(() => Assert.Equal("已拉黑", cut.Text("inbox-blocked-m1")), Within);
        var block = context.Api.RequestsTo<SetCreatorPreferenceRequest>("SetCreatorPreference").Last();
        Assert.True(block.HasBlocked && block.Blocked);
        Assert.False(block.HasMuted);
        Assert.False(cut.Has("inbox-blocked-m2"));
    }

    [Fact]
    public async Task More_messages_load_page_by_page()
    {
        await using var context = Context();
        var fake = new FakeInbox(context, Message("m1", Text("b1", "第一条")), Message("m2", Text("b2", "第二条")), Message("m3", Text("b3", "第三条")));
        fake.PageSize = 2;
        var cut = context.RenderWithProviders<Inbox>();
        cut.WaitForElement("[data-testid=inbox-load-more]", Within);
        Assert.False(cut.Has("inbox-row-m3"));

        ScheduleUi.Click(cut, "inbox-load-more");

        cut.WaitForAssertion(() =>
        {
            Assert.True(cut.Has("inbox-row-m3"));
            Assert.False(cut.Has("inbox-load-more"));
        }, Within);
        Assert.Equal("2", context.Api.RequestsTo<ListInboxRequest>("ListInbox").Last().PageToken);
    }

    [Fact]
    public async Task A_broadcast_pushed_while_the_page_is_open_is_listed_on_top_at_once_and_once()
    {
        await using var context = Context();
        var fake = new FakeInbox(context, Message("m1", Text("b1", "第一条"), received: Now.AddMinutes(-5)));
        var pushes = context.Api.Stream<InboxEvent>("WatchInbox");
        var cut = context.RenderWithProviders<Inbox>();
        cut.WaitForAssertion(() => Assert.Equal("未读 1", cut.Text("inbox-unread")), Within);

        // Delivered to the open stream before a list read would return it: it goes on top without a reload.
        var pushed = Message("m2", Text("b2", "经济基础冲刺资料"), received: Now);
        await pushes.WriteAsync(new InboxEvent { Message = pushed, Summary = new InboxSummary { Unread = 2, Total = 2 } }, Xunit.TestContext.Current.CancellationToken);

        cut.WaitForAssertion(() =>
        {
            Assert.Equal(["m2", "m1"], RowIds(cut));
            Assert.Equal("未读 2", cut.Text("inbox-unread"));
            Assert.True(cut.Has("inbox-row-unread-m2"));
            Assert.Equal("经济基础冲刺资料", cut.Text("broadcast-text-b2"));
        }, Within);

        // A list read that does not have it yet keeps it; one that has it shows it once.
        ScheduleUi.InputOf(cut, "inbox-unread-only").Change(true);
        cut.WaitForAssertion(() => Assert.Equal(["m2", "m1"], RowIds(cut)), Within);
        fake.Add(pushed);
        ScheduleUi.InputOf(cut, "inbox-unread-only").Change(false);
        cut.WaitForAssertion(() => Assert.Equal(2, context.Api.RequestsTo<ListInboxRequest>("ListInbox").Count(r => !r.UnreadOnly)), Within);
        cut.WaitForAssertion(() => Assert.Equal(["m2", "m1"], RowIds(cut)), Within);
    }

    private static List<string> RowIds(IRenderedComponent<ScheduleHost> cut) =>
        [.. cut.FindAll("[data-testid^=inbox-row-]:not([data-testid^=inbox-row-unread-])").Select(r => r.GetAttribute("data-testid")!["inbox-row-".Length..])];

    [Fact]
    public async Task Block_and_mute_flags_are_read_from_every_page_of_the_followed_creators_at_the_apis_page_size()
    {
        await using var context = Context();
        _ = new FakeInbox(context, Message("m1", Text("b1", "第一条", creatorId: "u_far", creatorName: "远方老师")));
        // 150 followed creators: the blocked one comes on the second page.
        var creators = Enumerable.Range(0, 150)
            .Select(i => new FollowedCreator { CreatorId = i == 149 ? "u_far" : $"u_{i}", DisplayName = $"老师{i}", Blocked = i == 149 })
            .ToList();
        context.Api.On<ListFollowingRequest, ListFollowingResponse>("ListFollowing", r =>
        {
            var skip = r.PageToken.Length == 0 ? 0 : int.Parse(r.PageToken, System.Globalization.CultureInfo.InvariantCulture);
            var page = creators.Skip(skip).Take(r.PageSize).ToList();
            return new ListFollowingResponse
            {
                Creators = { page },
                NextPageToken = skip + page.Count < creators.Count ? (skip + page.Count).ToString(System.Globalization.CultureInfo.InvariantCulture) : "",
            };
        });

        var cut = context.RenderWithProviders<Inbox>();

        cut.WaitForAssertion(() => Assert.True(cut.Has("inbox-blocked-m1")), Within);
        var requests = context.Api.RequestsTo<ListFollowingRequest>("ListFollowing").ToList();
        Assert.Equal(2, requests.Count);
        Assert.All(requests, r => Assert.InRange(r.PageSize, 1, 100));
    }

    [Fact]
    public async Task When_mute_and_block_settings_fail_to_load_the_inbox_says_so_and_retries()
    {
        await using var context = Context();
        _ = new FakeInbox(context, Message("m1", Text("b1", "第一条", creatorId: "u_far", creatorName: "远方老师")));
        var fail = true;
        context.Api.On<ListFollowingRequest, ListFollowingResponse>("ListFollowing", r => fail
            ? throw Invalid(("page_size", "每页最多 100 条。"))
            : new ListFollowingResponse { Creators = { new FollowedCreator { CreatorId = "u_far", DisplayName = "远方老师", Blocked = true } } });

        var cut = context.RenderWithProviders<Inbox>();

        cut.WaitForAssertion(() => Assert.Contains("无法加载免打扰和拉黑设置", cut.Text("inbox-preferences-error"), StringComparison.Ordinal), Within);
        Assert.Equal("false", cut.Find("[data-testid=inbox-preferences]").GetAttribute("data-loaded"));

        fail = false;
        ScheduleUi.Click(cut, "inbox-preferences-retry");
        cut.WaitForAssertion(() => Assert.False(cut.Has("inbox-preferences-error")), Within);
        Assert.Equal("true", cut.Find("[data-testid=inbox-preferences]").GetAttribute("data-loaded"));
        cut.WaitForAssertion(() => Assert.True(cut.Has("inbox-blocked-m1")), Within);
    }

    [Fact]
    public async Task An_empty_inbox_says_so()
    {
        await using var context = Context();
        _ = new FakeInbox(context);

        var cut = context.RenderWithProviders<Inbox>();

        cut.WaitForAssertion(() => Assert.Equal("暂无消息", cut.Text("inbox-empty")), Within);
    }

    /// <summary>An inbox kept like the server keeps it: summaries count unread messages of creators not muted.</summary>
    private sealed class FakeInbox
    {
        private readonly List<InboxMessage> messages;
        private readonly Dictionary<string, CreatorPreference> preferences = new(StringComparer.Ordinal);

        public FakeInbox(AdminTestContext context, params InboxMessage[] messages)
        {
            this.messages = [.. messages];
            context.Api
                .On<CheckInRequest, InboxSummary>("CheckIn", _ => Summary(NewlyReceived))
                .On<GetInboxSummaryRequest, InboxSummary>("GetInboxSummary", _ => Summary())
                .On<ListFollowingRequest, ListFollowingResponse>("ListFollowing", _ => new())
                .On<GetBroadcastImageRequest, BroadcastImage>("GetBroadcastImage", _ => ImageBytes())
                .On<ListInboxRequest, ListInboxResponse>("ListInbox", r =>
                {
                    var skip = r.PageToken.Length == 0 ? 0 : int.Parse(r.PageToken, System.Globalization.CultureInfo.InvariantCulture);
                    var page = this.messages.Where(m => !r.UnreadOnly || !m.Read).Skip(skip).Take(PageSize).ToList();
                    var next = skip + page.Count < this.messages.Count ? (skip + page.Count).ToString(System.Globalization.CultureInfo.InvariantCulture) : string.Empty;
                    return new ListInboxResponse { Messages = { page.Select(m => m.Clone()) }, NextPageToken = next };
                })
                .On<MarkInboxReadRequest, InboxSummary>("MarkInboxRead", r =>
                {
                    foreach (var message in this.messages.Where(m => r.All || r.MessageIds.Contains(m.Id)))
                    {
                        message.Read = true;
                    }
                    return Summary();
                })
                .On<DeleteInboxMessageRequest, InboxSummary>("DeleteInboxMessage", r =>
                {
                    this.messages.RemoveAll(m => m.Id == r.MessageId);
                    return Summary();
                })
                .On<ReportBroadcastRequest, Report>("ReportBroadcast", r => new Report { Id = "r1", BroadcastId = this.messages.Single(m => m.Id == r.MessageId).Broadcast.Id, Reason = r.Reason, Status = ReportStatus.Open })
                .On<SetCreatorPreferenceRequest, CreatorPreference>("SetCreatorPreference", r =>
                {
                    var preference = preferences.TryGetValue(r.CreatorId, out var known) ? known : new CreatorPreference { CreatorId = r.CreatorId };
                    if (r.HasMuted)
                    {
                        preference.Muted = r.Muted;
                    }
                    if (r.HasBlocked)
                    {
                        preference.Blocked = r.Blocked;
                    }
                    preferences[r.CreatorId] = preference;
                    foreach (var message in this.messages.Where(m => m.Broadcast.CreatorId == r.CreatorId))
                    {
                        message.Muted = preference.Muted;
                    }
                    return preference.Clone();
                });
        }

        public int NewlyReceived { get; set; }

        /// <summary>Delivers a message, newest first.</summary>
        public void Add(InboxMessage message) => messages.Insert(0, message);

        public int PageSize { get; set; } = 20;

        private InboxSummary Summary(int newlyReceived = 0) => new()
        {
            NewlyReceived = newlyReceived,
            Unread = messages.Count(m => !m.Read && !m.Muted),
            Total = messages.Count,
        };
    }
}
