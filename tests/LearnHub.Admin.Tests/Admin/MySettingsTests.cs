using LearnHub.Admin.Components.Pages.Account;
using LearnHub.Admin.Tests.Infrastructure;
using LearnHub.Api.V1;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace LearnHub.Admin.Tests.Admin;

/// <summary>我的设置: the user's own time zone, saved through the API, then the cookie re-read so every page uses it.</summary>
public sealed class MySettingsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Saving_a_zone_sends_it_and_reloads_through_the_cookie_refresh()
    {
        await using var context = new AdminTestContext(timeZone: "Asia/Shanghai");
        context.Api.On<UpdateMyTimeZoneRequest, User>("UpdateMyTimeZone", r => new User { Id = "u_tester", TimeZone = r.TimeZone });
        var page = context.Render<MySettings>();
        Assert.Contains("Asia/Shanghai", page.Find("[data-testid=my-settings-current]").TextContent, StringComparison.Ordinal);

        await PickAsync(page, "America/New_York");
        page.Find("[data-testid=my-settings-save]").Click();

        var navigation = context.Services.GetRequiredService<NavigationManager>();
        page.WaitForAssertion(() => Assert.EndsWith("account/refresh?returnUrl=%2Fsettings%3Fsaved%3Dtrue", navigation.Uri, StringComparison.Ordinal), Timeout);
        Assert.Equal("America/New_York", Assert.Single(context.Api.RequestsTo<UpdateMyTimeZoneRequest>("UpdateMyTimeZone")).TimeZone);
    }

    [Fact]
    public async Task A_zone_the_server_refuses_shows_its_reason_at_the_field_and_nothing_reloads()
    {
        await using var context = new AdminTestContext(timeZone: "Asia/Shanghai");
        context.Api.On<UpdateMyTimeZoneRequest, User>("UpdateMyTimeZone", _ => throw AdminTestHelpers.Refusal(
            3, "请求无效 (invalid request).", ("time_zone", "未知时区 'Mars/Olympus_Mons' (unknown IANA time zone).")));
        var navigation = context.Services.GetRequiredService<NavigationManager>();
        var before = navigation.Uri;
        var page = context.Render<MySettings>();

        await PickAsync(page, "Mars/Olympus_Mons");
        page.Find("[data-testid=my-settings-save]").Click();

        page.WaitForAssertion(() => Assert.Contains("未知时区", page.ControlOf("my-settings-time-zone").TextContent, StringComparison.Ordinal), Timeout);
        Assert.Equal(before, navigation.Uri);
        Assert.Contains("Asia/Shanghai", page.Find("[data-testid=my-settings-current]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Coming_back_after_saving_says_so()
    {
        await using var context = new AdminTestContext(timeZone: "America/New_York");
        context.Services.GetRequiredService<NavigationManager>().NavigateTo("settings?saved=true");

        var page = context.Render<MySettings>();

        Assert.NotEmpty(page.FindAll("[data-testid=my-settings-saved]"));
        Assert.Contains("America/New_York", page.Find("[data-testid=my-settings-current]").TextContent, StringComparison.Ordinal);
    }

    /// <summary>What choosing or typing a zone in the autocomplete ends with: its bound value changes.</summary>
    private static Task PickAsync(IRenderedComponent<MySettings> page, string zone)
    {
        var picker = page.FindComponent<MudAutocomplete<string>>();
        return page.InvokeAsync(() => picker.Instance.ValueChanged.InvokeAsync(zone));
    }
}
