using System.Text.RegularExpressions;
using LearnHub.Browser.Tests.Infrastructure;

namespace LearnHub.Browser.Tests;

/// <summary>
/// Pages are refused by the server to a role that may not use them — both the HTTP request (before any page is
/// rendered) and the page opened in the browser — not merely hidden from the menu.
/// </summary>
public sealed class AuthorizationTests(LearnHubServer server) : BrowserTest(server), IClassFixture<LearnHubServer>
{
    [Theory]
    [InlineData("/schedule")]
    [InlineData("/courses")]
    [InlineData("/series")]
    [InlineData("/admin/users")]
    [InlineData("/admin/settings")]
    public async Task Viewer_opening_an_instructor_or_admin_page_gets_access_denied(string path)
    {
        await UseSignedInCookiesAsync(LearnHubServer.Viewer);

        await ExpectRefusedByServerAsync(path, "/account/denied");
        await Page.GotoAsync(path);
        await Expect(Page).ToHaveURLAsync(new Regex("/account/denied"));
        await Expect(Page.GetByTestId("access-denied")).ToBeVisibleAsync();
    }

    [Theory]
    [InlineData("/admin/users")]
    [InlineData("/admin/settings")]
    public async Task Instructor_opening_an_admin_page_gets_access_denied(string path)
    {
        await UseSignedInCookiesAsync(LearnHubServer.Instructor);

        await ExpectRefusedByServerAsync(path, "/account/denied");
        await Page.GotoAsync(path);
        await Expect(Page).ToHaveURLAsync(new Regex("/account/denied"));
        await Expect(Page.GetByTestId("access-denied")).ToBeVisibleAsync();
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/schedule")]
    [InlineData("/admin/users")]
    public async Task Anonymous_request_is_sent_to_sign_in(string path)
    {
        await ExpectRefusedByServerAsync(path, "/account/login");
        await Page.GotoAsync(path);

        await Expect(Page).ToHaveURLAsync(new Regex("/account/login\\?ReturnUrl=" + Regex.Escape(Uri.EscapeDataString(path)), RegexOptions.IgnoreCase));
        await Expect(Page.GetByTestId("login-handle")).ToBeVisibleAsync();
    }

    /// <summary>The bare HTTP request with this context's cookies: the server redirects before rendering anything.</summary>
    private async Task ExpectRefusedByServerAsync(string path, string redirectedTo)
    {
        var response = await Context.APIRequest.GetAsync(path, new APIRequestContextOptions { MaxRedirects = 0 });
        Assert.Equal(302, response.Status);
        Assert.True(response.Headers.TryGetValue("location", out var location), "The refusal names where to go.");
        Assert.Contains(redirectedTo, location, StringComparison.OrdinalIgnoreCase);
    }
}
