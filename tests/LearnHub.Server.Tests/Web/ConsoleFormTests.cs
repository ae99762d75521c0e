using System.Net;
using LearnHub.Api.V1;
using LearnHub.Server.Identity;
using LearnHub.Server.Tests.Infrastructure;

namespace LearnHub.Server.Tests.Web;

/// <summary>
/// The console's own HTTP endpoints: changing the language and signing out take a form post carrying the page's
/// antiforgery token (another site cannot make them), and every return address leads back to a path on this site.
/// </summary>
public sealed class ConsoleFormTests
{
    private const string CultureCookie = ".AspNetCore.Culture";

    [Fact]
    public async Task Changing_the_language_takes_a_post_with_the_pages_antiforgery_token()
    {
        await using var app = await LearnHubApp.StartAsync();
        var user = await app.CreateUserAsync("xiaowang");
        using var browser = await ConsoleBrowser.SignedInAsync(app, user);

        // A link or an image on another site (a GET) changes nothing.
        using (var get = await browser.GetAsync("/account/culture?culture=en&returnUrl=%2F"))
        {
            Assert.True((int)get.StatusCode >= 400, $"GET answered {get.StatusCode}");
        }
        // A form posted from another site carries no token, or one that is not this user's.
        using (var forged = await browser.PostFormAsync("/account/culture", new() { ["culture"] = "en", ["returnUrl"] = "/" }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        }
        using (var anonymous = new ConsoleBrowser(app))
        {
            var strangersToken = await anonymous.TokenFromAsync("/account/login");
            using var foreign = await browser.PostFormAsync("/account/culture", new()
            {
                ["culture"] = "en", ["returnUrl"] = "/", ["__RequestVerificationToken"] = strangersToken,
            });
            Assert.Equal(HttpStatusCode.BadRequest, foreign.StatusCode);
        }
        Assert.Equal("zh-CN", (await user.Identity.GetMeAsync(new GetMeRequest())).Language);
        Assert.False(browser.Cookies.ContainsKey(CultureCookie) && browser.Cookies[CultureCookie].Contains("en", StringComparison.Ordinal));

        // The language form of the console's own page.
        var token = await browser.TokenFromAsync("/inbox");
        using var chosen = await browser.PostFormAsync("/account/culture", new()
        {
            ["culture"] = "en", ["returnUrl"] = "/inbox?unread=true", ["__RequestVerificationToken"] = token,
        });

        Assert.Equal(HttpStatusCode.Redirect, chosen.StatusCode);
        Assert.Equal("/inbox?unread=true", chosen.Headers.Location!.ToString());
        Assert.Equal("en", (await user.Identity.GetMeAsync(new GetMeRequest())).Language);
        Assert.Contains("en", WebUtility.UrlDecode(browser.Cookies[CultureCookie]), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Signing_out_takes_a_post_with_the_pages_antiforgery_token()
    {
        await using var app = await LearnHubApp.StartAsync();
        var user = await app.CreateUserAsync("xiaowang");
        using var browser = await ConsoleBrowser.SignedInAsync(app, user);

        using (var forged = await browser.PostFormAsync("/account/logout", []))
        {
            Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        }
        Assert.True(browser.Cookies.ContainsKey(AuthSchemes.AdminCookieName));
        using (var stillIn = await browser.GetAsync("/inbox"))
        {
            Assert.Equal(HttpStatusCode.OK, stillIn.StatusCode);
        }

        var token = await browser.TokenFromAsync("/inbox");
        using var signedOut = await browser.PostFormAsync("/account/logout", new() { ["__RequestVerificationToken"] = token });

        Assert.Equal(HttpStatusCode.Redirect, signedOut.StatusCode);
        Assert.Equal("/account/login", signedOut.Headers.Location!.ToString());
        Assert.False(browser.Cookies.ContainsKey(AuthSchemes.AdminCookieName));
        using var after = await browser.GetAsync("/inbox");
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.Contains("/account/login", after.Headers.Location!.ToString(), StringComparison.Ordinal);
    }

    /// <summary>Raw query values (already percent-encoded where needed), as a crafted link would carry them.</summary>
    public static readonly TheoryData<string> Elsewhere =
    [
        "/%09/evil.example",
        "/%0d%0a/evil.example",
        "/%00",
        "//evil.example/",
        "/%5cevil.example/",
        "%5c%5cevil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        "evil.example",
        "",
    ];

    [Theory]
    [MemberData(nameof(Elsewhere))]
    public async Task A_language_change_never_leaves_the_site_nor_fails(string returnUrl)
    {
        await using var app = await LearnHubApp.StartAsync();
        using var browser = new ConsoleBrowser(app);
        var token = await browser.TokenFromAsync("/account/login");

        using var response = await browser.PostFormAsync("/account/culture", new()
        {
            ["culture"] = "en", ["returnUrl"] = Uri.UnescapeDataString(returnUrl), ["__RequestVerificationToken"] = token,
        });

        if (returnUrl.Contains("%00", StringComparison.Ordinal))
        {
            // ASP.NET Core's form reader refuses a NUL in a posted form before any endpoint sees it: a clear 400.
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            return;
        }
        Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        Assert.Equal("/", response.Headers.Location!.ToString());
    }

    [Theory]
    [MemberData(nameof(Elsewhere))]
    public async Task A_refresh_never_leaves_the_site_nor_fails(string returnUrl)
    {
        await using var app = await LearnHubApp.StartAsync();
        var user = await app.CreateUserAsync("xiaowang");
        using var browser = await ConsoleBrowser.SignedInAsync(app, user);

        using var response = await browser.GetAsync($"/account/refresh?returnUrl={returnUrl}");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/", response.Headers.Location!.ToString());
    }

    [Theory]
    [MemberData(nameof(Elsewhere))]
    public async Task Signing_in_never_leaves_the_site_nor_fails(string returnUrl)
    {
        await using var app = await LearnHubApp.StartAsync();
        var user = await app.CreateUserAsync("xiaowang");
        using var first = await ConsoleBrowser.SignedInAsync(app, user, "console-password-1");
        using var browser = new ConsoleBrowser(app);

        using var response = await browser.SignInAsync(user.Handle, "console-password-1", $"?returnUrl={returnUrl}");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/", response.Headers.Location!.ToString());
        Assert.True(browser.Cookies.ContainsKey(AuthSchemes.AdminCookieName));
    }

    [Fact]
    public async Task A_local_return_address_is_kept_with_its_query()
    {
        await using var app = await LearnHubApp.StartAsync();
        var user = await app.CreateUserAsync("xiaowang");
        using var first = await ConsoleBrowser.SignedInAsync(app, user, "console-password-1");
        using var browser = new ConsoleBrowser(app);

        using var signIn = await browser.SignInAsync(user.Handle, "console-password-1", "?returnUrl=%2Finbox%3Funread%3Dtrue");
        using var refresh = await browser.GetAsync("/account/refresh?returnUrl=%2Fsettings%3Fsaved%3Dtrue");

        Assert.Equal("/inbox?unread=true", signIn.Headers.Location!.ToString());
        Assert.Equal("/settings?saved=true", refresh.Headers.Location!.ToString());
    }
}
