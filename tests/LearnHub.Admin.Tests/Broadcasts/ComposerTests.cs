using Google.Rpc;
using Grpc.Core;
using LearnHub.Admin.Components.Pages.Broadcasts;
using LearnHub.Admin.Tests.Infrastructure;
using LearnHub.Admin.Tests.Schedule;
using LearnHub.Api.V1;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.Extensions.DependencyInjection;
using static LearnHub.Admin.Tests.Broadcasts.BroadcastFakes;

namespace LearnHub.Admin.Tests.Broadcasts;

public sealed class ComposerTests
{
    /// <summary>A family of three: five code points joined by zero-width joiners, eight UTF-16 units, one character to a person.</summary>
    private const string Family = "👨‍👩‍👧";

    [Fact]
    public async Task Shows_the_weeks_quota_and_its_bounds_in_the_users_zone()
    {
        await using var context = Context();
        context.Api.On<GetQuotaRequest, BroadcastQuota>("GetQuota", _ => Quota(remaining: 1, consumed: 1));

        var cut = Open(context);

        Assert.Equal("本周还可群发 1 次", cut.Text("composer-quota"));
        Assert.Contains("2026-04-27 00:00 – 2026-05-04 00:00", cut.Text("composer-week"), StringComparison.Ordinal);
        Assert.Contains("Asia/Shanghai", cut.Text("composer-week"), StringComparison.Ordinal);
        Assert.Contains("已消耗 1 次", cut.Text("composer-quota-detail"), StringComparison.Ordinal);
        Assert.Contains("一周内可向关注您的人群发2次消息", cut.Text("composer-rules"), StringComparison.Ordinal);
        Assert.Contains("创建申请即代表您同意", ScheduleUi.FieldText(cut, "composer-agree"), StringComparison.Ordinal);
        Assert.False(cut.Has("composer-disabled-reason"));
    }

    [Fact]
    public async Task The_agreement_is_a_link_to_its_text_and_an_unticked_box_says_why_the_button_is_greyed_out()
    {
        await using var context = Context();
        context.Api.On<GetQuotaRequest, BroadcastQuota>("GetQuota", _ => Quota(remaining: 2));
        var cut = Open(context);

        var link = cut.Find("[data-testid=composer-agreement-link]");
        Assert.Equal("《发布协议》", link.TextContent.Trim());
        Assert.Equal("broadcasts/agreement", link.GetAttribute("href"));
        Assert.Equal("_blank", link.GetAttribute("target"));

        // Nothing written yet: that is what the button waits for.
        Assert.True(cut.Disabled("composer-submit"));
        Assert.Equal("请先输入要群发的内容", cut.Text("composer-submit-why"));

        ScheduleUi.Enter(cut, "composer-text", "今晚19:30开讲");
        cut.WaitForAssertion(() => Assert.Equal("请先勾选同意《发布协议》，才能群发", cut.Text("composer-submit-why")), Within);
        Assert.True(cut.Disabled("composer-submit"));
        Assert.Equal("composer-submit-why", cut.Find("[data-testid=composer-submit]").GetAttribute("aria-describedby"));

        Agree(cut);
        cut.WaitForAssertion(() => Assert.False(cut.Disabled("composer-submit")), Within);
        Assert.False(cut.Has("composer-submit-why"));
    }

    [Fact]
    public async Task The_agreement_page_shows_its_text_in_each_language()
    {
        await using var context = Context();
        var cut = context.RenderWithProviders<LearnHub.Admin.Components.Pages.Broadcasts.Agreement>();
        Assert.Equal("发布协议", cut.Text("agreement-heading"));
        Assert.Contains("须经平台工作人员审核", cut.Text("agreement-text"), StringComparison.Ordinal);

        var previous = System.Globalization.CultureInfo.CurrentUICulture;
        await using var englishContext = Context();
        System.Globalization.CultureInfo.CurrentUICulture = new System.Globalization.CultureInfo("en");
        try
        {
            var english = englishContext.RenderWithProviders<LearnHub.Admin.Components.Pages.Broadcasts.Agreement>();
            Assert.Equal("Publishing agreement", english.Text("agreement-heading"));
            Assert.DoesNotMatch(@"\p{IsCJKUnifiedIdeographs}|《", english.Markup);
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentUICulture = previous;
        }
    }

    [Theory]
    [InlineData("考")]
    [InlineData("🇨🇳")]
    [InlineData("👍🏽")]
    public async Task The_counter_counts_as_a_person_does_and_301_is_refused_before_the_server(string character)
    {
        await using var context = Context();
        context.Api.On<GetQuotaRequest, BroadcastQuota>("GetQuota", _ => Quota());
        context.Api.On<SubmitBroadcastRequest, Broadcast>("SubmitBroadcast", r => Text("b1", r.Text));
        var cut = Open(context);
        Agree(cut);
        Assert.Equal("0/300", cut.Text("composer-counter"));

        ScheduleUi.Enter(cut, "composer-text", string.Concat(Enumerable.Repeat(character, 300)));
        cut.WaitForAssertion(() => Assert.Equal("300/300", cut.Text("composer-counter")), Within);
        Assert.False(cut.Disabled("composer-submit"));
        Assert.DoesNotContain("最多 300 个字", ScheduleUi.FieldText(cut, "composer-text"), StringComparison.Ordinal);

        ScheduleUi.Enter(cut, "composer-text", string.Concat(Enumerable.Repeat(character, 301)));
        cut.WaitForAssertion(() => Assert.Equal("301/300", cut.Text("composer-counter")), Within);
        Assert.Contains("最多 300 个字，当前 301 个", ScheduleUi.FieldText(cut, "composer-text"), StringComparison.Ordinal);
        Assert.True(cut.Disabled("composer-submit"));
        ScheduleUi.Click(cut, "composer-submit");
        Assert.Empty(context.Api.RequestsTo<SubmitBroadcastRequest>("SubmitBroadcast"));
    }

    [Fact]
    public async Task Three_hundred_family_emoji_count_300_but_pass_the_byte_bound_and_are_refused_before_the_server()
    {
        await using var context = Context();
        context.Api.On<GetQuotaRequest, BroadcastQuota>("GetQuota", _ => Quota());
        context.Api.On<SubmitBroadcastRequest, Broadcast>("SubmitBroadcast", r => Text("b1", r.Text));
        var cut = Open(context);
        Agree(cut);

        // 300 characters to a person, 5,400 UTF-8 bytes: the server takes at most 2,400 (8 a character), and so does the console.
        ScheduleUi.Enter(cut, "composer-text", string.Concat(Enumerable.Repeat(Family, 300)));
        cut.WaitForAssertion(() => Assert.Equal("300/300", cut.Text("composer-counter")), Within);
        Assert.Contains("最多 2400 字节，当前 5400 字节", ScheduleUi.FieldText(cut, "composer-text"), StringComparison.Ordinal);
        Assert.True(cut.Disabled("composer-submit"));

        ScheduleUi.Enter(cut, "composer-text", string.Concat(Enumerable.Repeat(Family, 133)));
        cut.WaitForAssertion(() => Assert.False(cut.Disabled("composer-submit")), Within);
        ScheduleUi.Click(cut, "composer-submit");
        cut.WaitForAssertion(() => Assert.Single(context.Api.RequestsTo<SubmitBroadcastRequest>("SubmitBroadcast")), Within);
    }

    [Theory]
    [InlineData("\u200B\u200C\u200D\uFEFF", "内容不能只有空格或看不见的字符")]
    [InlineData("\u0000", "不能包含控制字符 U+0000")]
    [InlineData("你好\u0007", "不能包含控制字符 U+0007")]
    [InlineData("a\u0301\u0301\u0301\u0301\u0301\u0301\u0301\u0301\u0301", "第 1 个字符叠加了过多的组合符号")]
    public async Task Text_the_server_would_refuse_is_named_at_the_field_and_never_sent(string text, string message)
    {
        await using var context = Context();
        context.Api.On<GetQuotaRequest, BroadcastQuota>("GetQuota", _ => Quota());
        context.Api.On<SubmitBroadcastRequest, Broadcast>("SubmitBroadcast", r => Text("b1", r.Text));
        var cut = Open(context);
        Agree(cut);

        ScheduleUi.Enter(cut, "composer-text", text);

        cut.WaitForAssertion(() => Assert.Contains(message, ScheduleUi.FieldText(cut, "composer-text"), StringComparison.Ordinal), Within);
        Assert.True(cut.Disabled("composer-submit"));
        ScheduleUi.Click(cut, "composer-submit");
        Assert.Empty(context.Api.RequestsTo<SubmitBroadcastRequest>("SubmitBroadcast"));

        // Paragraphs are fine in a broadcast.
        ScheduleUi.Enter(cut, "composer-text", "第一段\n\n第二段");
        cut.WaitForAssertion(() => Assert.False(cut.Disabled("composer-submit")), Within);
    }

    [Fact]
    public async Task An_uncertified_user_sees_why_and_cannot_compose()
    {
        await using var context = Context();
        context.Api.On<GetQuotaRequest, BroadcastQuota>("GetQuota", _ => Quota(remaining: 2, certified: false));

        var cut = Open(context);

        // The reason and the way forward, instead of a quota they cannot use and a form they cannot send.
        Assert.Equal("暂无权限：只有认证创作者可以群发消息。", cut.Text("composer-unavailable-reason"));
        Assert.Contains("联系管理员为你的账号开通认证", cut.Text("composer-unavailable-how"), StringComparison.Ordinal);
        Assert.False(cut.Has("composer-quota"));
        Assert.DoesNotContain("本周还可群发", cut.Markup, StringComparison.Ordinal);
        Assert.False(cut.Has("composer-submit"));
        Assert.False(cut.Has("composer-text"));
    }

    [Fact]
    public async Task With_no_quota_left_the_composer_says_so_and_cannot_submit()
    {
        await using var context = Context();
        context.Api.On<GetQuotaRequest, BroadcastQuota>("GetQuota", _ => Quota(remaining: 0, frozen: 1, consumed: 1));

        var cut = Open(context);

        Assert.Equal("本周还可群发 0 次", cut.Text("composer-quota"));
        Assert.Equal("本周群发次数不足~", cut.Text("composer-disabled-reason"));
        Assert.True(cut.Disabled("composer-submit"));
    }

    [Fact]
    public async Task A_double_click_submits_once_with_one_request_id_then_the_success_dialog_leads_to_the_records()
    {
        await using var context = Context();
        var gate = context.HoldCalls("SubmitBroadcast");
        context.Api.On<GetQuotaRequest, BroadcastQuota>("GetQuota", _ => Quota());
        context.Api.On<SubmitBroadcastRequest, Broadcast>("SubmitBroadcast", r => Text("b1", r.Text));
        var cut = Open(context);

        ScheduleUi.Enter(cut, "composer-text", "今晚19:30 经济基础第20章考点梳理,不见不散 🎉");
        Agree(cut);
        ScheduleUi.Click(cut, "composer-submit");
        cut.WaitForAssertion(() =>
        {
            Assert.True(cut.Disabled("composer-submit"));
            Assert.True(cut.Has("composer-submitting"));
        }, Within);
        ScheduleUi.Click(cut, "composer-submit");
        gate.SetResult();

        cut.WaitForAssertion(() => Assert.Equal("提交成功，消息将在审核通过后发送", cut.Text("submit-success-text")), Within);
        var request = Assert.Single(context.Api.RequestsTo<SubmitBroadcastRequest>("SubmitBroadcast"));
        Assert.Equal(32, request.RequestId.Length);
        Assert.Equal(BroadcastKind.Text, request.Kind);
        Assert.Equal("今晚19:30 经济基础第20章考点梳理,不见不散 🎉", request.Text);
        Assert.True(request.AgreedToAgreement);
        Assert.Equal("2026-05", request.AgreementVersion);
        Assert.True(request.Image.IsEmpty);

        Assert.Equal("我知道了", cut.Text("submit-success-ok"));
        ScheduleUi.Click(cut, "submit-success-ok");
        Assert.EndsWith("/broadcasts", context.Services.GetRequiredService<NavigationManager>().Uri, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Submit_needs_the_agreement()
    {
        await using var context = Context();
        context.Api.On<GetQuotaRequest, BroadcastQuota>("GetQuota", _ => Quota());
        var cut = Open(context);

        ScheduleUi.Enter(cut, "composer-text", "你好");

        cut.WaitForAssertion(() => Assert.Equal("2/300", cut.Text("composer-counter")), Within);
        Assert.True(cut.Disabled("composer-submit"));
        Agree(cut);
        cut.WaitForAssertion(() => Assert.False(cut.Disabled("composer-submit")), Within);
    }

    [Fact]
    public async Task The_servers_field_errors_show_at_their_fields_and_a_corrected_retry_gets_a_new_request_id()
    {
        await using var context = Context();
        context.Api.On<GetQuotaRequest, BroadcastQuota>("GetQuota", _ => Quota());
        var attempts = 0;
        context.Api.On<SubmitBroadcastRequest, Broadcast>("SubmitBroadcast", r => ++attempts == 1
            ? throw Invalid(("text", "文字须为 1–300 个字 (text must be 1 to 300 characters)."), ("agreement_version", "请同意最新的《发布协议》 (agreement version 2026-06 is current)."))
            : Text("b1", r.Text));
        var cut = Open(context);
        ScheduleUi.Enter(cut, "composer-text", "   x");
        Agree(cut);

        ScheduleUi.Click(cut, "composer-submit");

        cut.WaitForAssertion(() =>
        {
            Assert.Contains("文字须为 1–300 个字", ScheduleUi.FieldText(cut, "composer-text"), StringComparison.Ordinal);
            Assert.Contains("请同意最新的《发布协议》", cut.Text("composer-agree-error"), StringComparison.Ordinal);
        }, Within);
        Assert.False(cut.Has("composer-submit-error"));
        Assert.False(cut.Has("submit-success-text"));
        // Everything was said at the fields: no toast repeats it.
        Assert.Empty(Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<MudBlazor.ISnackbar>(context.Services).ShownSnackbars);

        ScheduleUi.Enter(cut, "composer-text", "更正后的内容");
        ScheduleUi.Click(cut, "composer-submit");

        cut.WaitForAssertion(() => Assert.True(cut.Has("submit-success-text")), Within);
        var requests = context.Api.RequestsTo<SubmitBroadcastRequest>("SubmitBroadcast").ToList();
        Assert.Equal(2, requests.Count);
        Assert.NotEqual(requests[0].RequestId, requests[1].RequestId);
    }

    [Fact]
    public async Task After_an_unknown_outcome_the_retry_reuses_the_request_id()
    {
        await using var context = Context();
        context.Api.On<GetQuotaRequest, BroadcastQuota>("GetQuota", _ => Quota());
        var attempts = 0;
        context.Api.On<SubmitBroadcastRequest, Broadcast>("SubmitBroadcast", r => ++attempts == 1
            ? throw new RpcException(new Grpc.Core.Status(StatusCode.Unavailable, "connection reset"))
            : Text("b1", r.Text));
        var cut = Open(context);
        ScheduleUi.Enter(cut, "composer-text", "直播提醒");
        Agree(cut);

        ScheduleUi.Click(cut, "composer-submit");
        cut.WaitForAssertion(() => Assert.Contains("服务暂时不可用", cut.Text("composer-submit-error"), StringComparison.Ordinal), Within);
        ScheduleUi.Click(cut, "composer-submit");

        cut.WaitForAssertion(() => Assert.True(cut.Has("submit-success-text")), Within);
        var requests = context.Api.RequestsTo<SubmitBroadcastRequest>("SubmitBroadcast").ToList();
        Assert.Equal(2, requests.Count);
        Assert.Equal(requests[0].RequestId, requests[1].RequestId);
    }

    [Fact]
    public async Task A_quota_refusal_is_shown_and_the_quota_reloaded()
    {
        await using var context = Context();
        var quota = Quota(remaining: 1, consumed: 1);
        context.Api.On<GetQuotaRequest, BroadcastQuota>("GetQuota", _ => quota);
        context.Api.On<SubmitBroadcastRequest, Broadcast>("SubmitBroadcast", _ =>
        {
            // Another tab used the last one meanwhile.
            quota = Quota(remaining: 0, frozen: 1, consumed: 1);
            throw Refused(Code.FailedPrecondition, "本周群发次数不足~ (no broadcasts left this week).", "QUOTA_EXHAUSTED");
        });
        var cut = Open(context);
        ScheduleUi.Enter(cut, "composer-text", "第三条");
        Agree(cut);

        ScheduleUi.Click(cut, "composer-submit");

        cut.WaitForAssertion(() =>
        {
            Assert.Contains("本周群发次数不足~", cut.Text("composer-submit-error"), StringComparison.Ordinal);
            Assert.Equal("本周还可群发 0 次", cut.Text("composer-quota"));
            Assert.Equal("本周群发次数不足~", cut.Text("composer-disabled-reason"));
        }, Within);
    }

    [Fact]
    public async Task An_image_message_shows_a_preview_and_sends_the_bytes()
    {
        await using var context = Context();
        context.Api.On<GetQuotaRequest, BroadcastQuota>("GetQuota", _ => Quota());
        context.Api.On<SubmitBroadcastRequest, Broadcast>("SubmitBroadcast", _ => Image("b1"));
        var cut = Open(context);

        ScheduleUi.Click(cut, "composer-kind-image");
        cut.WaitForElement("input[data-testid=composer-image]", Within);
        cut.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromBinary(Png, "poster.png", null, "image/png"));
        Agree(cut);

        cut.WaitForAssertion(() => Assert.StartsWith("data:image/png;base64,iVBORw0KGgo", cut.Find("[data-testid=composer-image-preview]").GetAttribute("src"), StringComparison.Ordinal), Within);
        ScheduleUi.Click(cut, "composer-submit");
        cut.WaitForAssertion(() => Assert.True(cut.Has("submit-success-text")), Within);
        var request = Assert.Single(context.Api.RequestsTo<SubmitBroadcastRequest>("SubmitBroadcast"));
        Assert.Equal(BroadcastKind.Image, request.Kind);
        Assert.Equal(Png, request.Image.ToByteArray());
        Assert.Empty(request.Text);
    }

    [Fact]
    public async Task An_image_over_2_MiB_or_not_an_image_is_refused_before_the_server()
    {
        await using var context = Context();
        context.Api.On<GetQuotaRequest, BroadcastQuota>("GetQuota", _ => Quota());
        var cut = Open(context);
        ScheduleUi.Click(cut, "composer-kind-image");
        Agree(cut);

        var big = new byte[2 * 1024 * 1024 + 1];
        Png.CopyTo(big, 0);
        cut.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromBinary(big, "big.png", null, "image/png"));
        cut.WaitForAssertion(() => Assert.Contains("图片不能超过 2 MB", cut.Text("composer-image-error"), StringComparison.Ordinal), Within);
        Assert.True(cut.Disabled("composer-submit"));

        cut.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromText("<svg/>", "fake.png", null, "image/png"));
        cut.WaitForAssertion(() => Assert.Contains("只支持 PNG、JPEG、WebP", cut.Text("composer-image-error"), StringComparison.Ordinal), Within);
        Assert.False(cut.Has("composer-image-preview"));
        Assert.True(cut.Disabled("composer-submit"));
        Assert.Empty(context.Api.RequestsTo<SubmitBroadcastRequest>("SubmitBroadcast"));
    }

    private static IRenderedComponent<ScheduleHost> Open(AdminTestContext context)
    {
        var cut = context.RenderWithProviders<Composer>();
        cut.WaitForElement("[data-testid=composer-quota], [data-testid=composer-unavailable]", Within);
        return cut;
    }

    private static void Agree(IRenderedComponent<ScheduleHost> cut) => ScheduleUi.InputOf(cut, "composer-agree").Change(true);
}
