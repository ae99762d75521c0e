using LearnHub.Browser.Tests.Infrastructure;

namespace LearnHub.Browser.Tests;

/// <summary>Chinese first, an English switch, and the choice saved per user (not only in this browser).</summary>
public sealed class LanguageTests(LearnHubServer server) : BrowserTest(server), IClassFixture<LearnHubServer>
{
    [Fact]
    public async Task Switching_between_Chinese_and_English_changes_the_text_and_persists_across_sign_in()
    {
        // Its own user: the language is saved on the account, which other tests must not see changed.
        var account = await Server.CreateAccountAsync("lang", "viewer");
        await SignInAsync(account);
        await ExpectChineseAsync();

        await ChooseLanguageAsync("language-en");
        await ExpectEnglishAsync();

        // A fresh browser (no culture cookie): the server remembers the choice at sign-in.
        await SignOutAsync();
        await Expect(Page.GetByTestId("login-submit")).ToHaveTextAsync("Sign in");
        await Context.ClearCookiesAsync();
        await SignInAsync(account);
        await ExpectEnglishAsync();

        await ChooseLanguageAsync("language-zh");
        await ExpectChineseAsync();

        await SignOutAsync();
        await Context.ClearCookiesAsync();
        await SignInAsync(account);
        await ExpectChineseAsync();
    }

    private async Task ChooseLanguageAsync(string itemTestId)
    {
        await Page.GetByTestId("language-menu").ClickAsync();
        await Page.InteractiveAfterAsync(() => Page.GetByTestId(itemTestId).ClickAsync());
    }

    private async Task ExpectChineseAsync()
    {
        await Expect(Page.Locator("html")).ToHaveAttributeAsync("lang", "zh-CN");
        await Expect(Page.GetByTestId("sign-out")).ToHaveTextAsync("退出登录");
        await Expect(Page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("欢迎使用 LearnHub");
        await Expect(Page.GetByTestId("home-roles")).ToContainTextAsync("你的角色");
        // The bar Blazor shows if the page's connection ends on an error: hidden, and in the page's language.
        await Expect(Page.GetByTestId("circuit-error")).ToBeHiddenAsync();
        await Expect(Page.GetByTestId("circuit-error")).ToHaveTextAsync("页面出错，已与服务器断开。 重新加载");
    }

    private async Task ExpectEnglishAsync()
    {
        await Expect(Page.Locator("html")).ToHaveAttributeAsync("lang", "en");
        await Expect(Page.GetByTestId("sign-out")).ToHaveTextAsync("Sign out");
        await Expect(Page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Welcome to LearnHub");
        await Expect(Page.GetByTestId("home-roles")).ToContainTextAsync("Your roles");
        await Expect(Page.GetByTestId("circuit-error")).ToBeHiddenAsync();
        await Expect(Page.GetByTestId("circuit-error")).ToHaveTextAsync("Something went wrong and this page lost its connection to the server. Reload");
    }
}
