using Google.Protobuf.WellKnownTypes;
using LearnHub.Admin.Components.Pages.Admin;
using LearnHub.Admin.Tests.Infrastructure;
using LearnHub.Api.V1;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace LearnHub.Admin.Tests.Admin;

public sealed class SettingsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    private static PlatformSettings Defaults() => new() { ReminderLeadMinutes = 15, ReviewTimeoutHours = 168, PlatformTimeZone = "Asia/Shanghai" };

    [Fact]
    public async Task Server_field_errors_show_at_their_fields()
    {
        await using var context = new AdminTestContext(roles: ["admin"]);
        context.Api.On<GetPlatformSettingsRequest, PlatformSettings>("GetPlatformSettings", _ => Defaults());
        context.Api.On<UpdatePlatformSettingsRequest, PlatformSettings>("UpdatePlatformSettings", _ => throw AdminTestHelpers.Refusal(
            3, "请求无效 (invalid request).",
            ("reminder_lead_minutes", "开播提醒提前量须在 1–1440 分钟之间 (1 to 1440 minutes)."),
            ("platform_time_zone", "未知时区 (unknown IANA time zone).")));
        var page = context.Render<Settings>();
        page.WaitForAssertion(() => Assert.Equal("15", page.InputOf("settings-reminder-lead").GetAttribute("value")), Timeout);

        page.InputOf("settings-reminder-lead").Change("1441");
        var zonePicker = page.FindComponent<MudAutocomplete<string>>();
        await page.InvokeAsync(() => zonePicker.Instance.ValueChanged.InvokeAsync("Mars/Olympus_Mons"));
        page.Find("[data-testid=settings-save]").Click();

        page.WaitForAssertion(() =>
            Assert.Contains("1–1440", page.ControlOf("settings-reminder-lead").TextContent, StringComparison.Ordinal), Timeout);
        Assert.Contains("未知时区", page.ControlOf("settings-time-zone").TextContent, StringComparison.Ordinal);
        Assert.DoesNotContain("未知时区", page.ControlOf("settings-review-timeout").TextContent, StringComparison.Ordinal);
        var sent = Assert.Single(context.Api.RequestsTo<UpdatePlatformSettingsRequest>("UpdatePlatformSettings"));
        Assert.Equal(1441, sent.ReminderLeadMinutes);
        Assert.Equal(168, sent.ReviewTimeoutHours);
        Assert.Equal("Mars/Olympus_Mons", sent.PlatformTimeZone);
        Assert.Contains(context.Services.GetRequiredService<ISnackbar>().ShownSnackbars, s => s.Severity == Severity.Error);
    }

    [Fact]
    public async Task An_emptied_number_is_sent_as_zero_so_the_server_names_that_field()
    {
        await using var context = new AdminTestContext(roles: ["admin"]);
        context.Api.On<GetPlatformSettingsRequest, PlatformSettings>("GetPlatformSettings", _ => Defaults());
        context.Api.On<UpdatePlatformSettingsRequest, PlatformSettings>("UpdatePlatformSettings", _ => throw AdminTestHelpers.Refusal(
            3, "请求无效", ("review_timeout_hours", "审核超时须在 1–720 小时之间 (1 to 720 hours).")));
        var page = context.Render<Settings>();
        page.WaitForAssertion(() => Assert.Equal("168", page.InputOf("settings-review-timeout").GetAttribute("value")), Timeout);

        page.InputOf("settings-review-timeout").Change("");
        page.Find("[data-testid=settings-save]").Click();

        page.WaitForAssertion(() =>
            Assert.Contains("1–720", page.ControlOf("settings-review-timeout").TextContent, StringComparison.Ordinal), Timeout);
        Assert.Equal(0, Assert.Single(context.Api.RequestsTo<UpdatePlatformSettingsRequest>("UpdatePlatformSettings")).ReviewTimeoutHours);
    }

    [Fact]
    public async Task Saving_shows_the_new_values_and_who_changed_them_when_in_the_users_zone()
    {
        await using var context = new AdminTestContext(timeZone: "America/New_York", roles: ["admin"]);
        context.Api.On<GetPlatformSettingsRequest, PlatformSettings>("GetPlatformSettings", _ => Defaults());
        context.Api.On<UpdatePlatformSettingsRequest, PlatformSettings>("UpdatePlatformSettings", r => new PlatformSettings
        {
            ReminderLeadMinutes = r.ReminderLeadMinutes,
            ReviewTimeoutHours = r.ReviewTimeoutHours,
            PlatformTimeZone = r.PlatformTimeZone,
            // 2026-05-01 14:30 UTC is 10:30 in New York (EDT).
            UpdateTime = Timestamp.FromDateTimeOffset(new DateTimeOffset(2026, 5, 1, 14, 30, 0, TimeSpan.Zero)),
            UpdatedBy = "u_tester",
        });
        var page = context.Render<Settings>();
        page.WaitForAssertion(() => Assert.Contains("尚未修改", page.Find("[data-testid=settings-updated]").TextContent, StringComparison.Ordinal), Timeout);

        page.InputOf("settings-reminder-lead").Change("30");
        page.Find("[data-testid=settings-save]").Click();

        page.WaitForAssertion(() =>
            Assert.Contains("2026-05-01 10:30", page.Find("[data-testid=settings-updated]").TextContent, StringComparison.Ordinal), Timeout);
        Assert.Contains("tester", page.Find("[data-testid=settings-updated]").TextContent, StringComparison.Ordinal);
        Assert.Equal("30", page.InputOf("settings-reminder-lead").GetAttribute("value"));
        Assert.Equal(30, Assert.Single(context.Api.RequestsTo<UpdatePlatformSettingsRequest>("UpdatePlatformSettings")).ReminderLeadMinutes);
        Assert.Contains(context.Services.GetRequiredService<ISnackbar>().ShownSnackbars, s => s.Severity == Severity.Success);
    }
}
