using System.Text.RegularExpressions;
using LearnHub.Browser.Tests.Infrastructure;

namespace LearnHub.Browser.Tests;

/// <summary>Signing in and out with local accounts, and what each role is shown and allowed.</summary>
public sealed class SignInTests(LearnHubServer server) : BrowserTest(server), IClassFixture<LearnHubServer>
{
    [Fact]
    public async Task Wrong_password_shows_the_error_and_stays_signed_out()
    {
        await Page.GotoAsync("/account/login");
        await FillSignInAsync(Page, LearnHubServer.Instructor.Handle, "not-the-password");
        await Page.GetByTestId("login-submit").ClickAsync();

        await Expect(Page.GetByTestId("login-error")).ToHaveTextAsync("账号或密码错误");
        await Expect(Page).ToHaveURLAsync(new Regex("/account/login"));
        await Expect(Page.GetByTestId("home-roles")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task Right_password_signs_in_and_home_shows_the_roles()
    {
        await SignInAsync(LearnHubServer.Admin);

        await Expect(Page).ToHaveURLAsync(new Regex($"^{Regex.Escape(Server.WebUrl)}/?$"));
        await Expect(Page.GetByTestId("home-roles")).ToContainTextAsync("管理员");
        await Expect(Page.GetByTestId("signed-in-as")).ToHaveTextAsync(LearnHubServer.Admin.DisplayName);
    }

    [Fact]
    public async Task Sign_out_returns_to_sign_in_and_the_home_page_needs_signing_in_again()
    {
        await SignInAsync(LearnHubServer.Instructor);
        await Expect(Page.GetByTestId("home-roles")).ToContainTextAsync("讲师");

        await SignOutAsync();
        await Page.GotoAsync("/");

        await Expect(Page).ToHaveURLAsync(new Regex("/account/login"));
        await Expect(Page.GetByTestId("login-handle")).ToBeVisibleAsync();
    }
}
