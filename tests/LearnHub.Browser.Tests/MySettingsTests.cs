using LearnHub.Browser.Tests.Infrastructure;

namespace LearnHub.Browser.Tests;

/// <summary>我的设置: a user changes their own time zone; it is saved on the account and every page uses it at once.</summary>
public sealed class MySettingsTests(LearnHubServer server) : BrowserTest(server), IClassFixture<LearnHubServer>
{
    [Fact]
    public async Task A_user_changes_their_time_zone_and_it_stays_across_sign_in()
    {
        // Its own user: the zone is saved on the account, which other tests must not see changed.
        var account = await Server.CreateAccountAsync("tz-settings", "viewer");
        await SignInAsync(account);
        await Expect(Page.GetByTestId("my-settings")).ToHaveAttributeAsync("href", "settings");
        await GotoInteractiveAsync("/settings");
        await Expect(Page.GetByTestId("my-settings-current")).ToContainTextAsync("Asia/Shanghai");

        await Page.SetAsync("my-settings-time-zone", "America/New_York");
        await Page.Keyboard.PressAsync("Escape");
        await Page.InteractiveAfterAsync(() => Page.GetByTestId("my-settings-save").ClickAsync());

        await Expect(Page.GetByTestId("my-settings-saved")).ToBeVisibleAsync();
        await Expect(Page.GetByTestId("my-settings-current")).ToContainTextAsync("America/New_York");

        // A fresh sign-in reads it from the account.
        await SignOutAsync();
        await Context.ClearCookiesAsync();
        await SignInAsync(account);
        await GotoInteractiveAsync("/settings");
        await Expect(Page.GetByTestId("my-settings-current")).ToContainTextAsync("America/New_York");
    }
}
