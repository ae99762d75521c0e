using System.Net;
using LearnHub.Admin.Services;
using LearnHub.Api.V1;
using LearnHub.Server.Identity;
using LearnHub.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LearnHub.Server.Tests.Security;

/// <summary>
/// After a user changes a setting through the API (their time zone in 我的设置), /account/refresh re-reads the console
/// cookie's claims from their record. It takes only a return address, which must stay on this site.
/// </summary>
public sealed class AccountRefreshTests
{
    [Fact]
    public async Task The_cookie_is_read_again_from_the_users_record_and_sends_the_user_back()
    {
        await using var app = await LearnHubApp.StartAsync();
        var user = await app.CreateUserAsync("xiaowang");
        var cookie = await ConsoleCookies.ForAsync(app, user);
        await user.Identity.UpdateMyTimeZoneAsync(new UpdateMyTimeZoneRequest { TimeZone = "America/New_York" });

        using var refreshed = await ConsoleCookies.GetAsync(app, "/account/refresh?returnUrl=%2Fsettings%3Fsaved%3Dtrue", cookie);

        Assert.Equal(HttpStatusCode.Redirect, refreshed.StatusCode);
        Assert.Equal("/settings?saved=true", refreshed.Headers.Location!.ToString());
        var ticket = ConsoleCookies.Format(app).Unprotect(ConsoleCookies.NewCookie(refreshed));
        Assert.Equal("America/New_York", ticket!.Principal.FindFirst(AdminClaims.TimeZone)?.Value);
        Assert.Equal(user.Id, ticket.Principal.FindFirst(AdminClaims.Subject)?.Value);
    }

    [Fact]
    public async Task Another_sites_address_sends_the_user_home_and_no_cookie_is_sent_to_sign_in()
    {
        await using var app = await LearnHubApp.StartAsync();
        var user = await app.CreateUserAsync("xiaowang");
        var cookie = await ConsoleCookies.ForAsync(app, user);

        foreach (var elsewhere in new[] { "https://evil.example/", "//evil.example/", "/\\evil.example/" })
        {
            using var response = await ConsoleCookies.GetAsync(app, $"/account/refresh?returnUrl={Uri.EscapeDataString(elsewhere)}", cookie);
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.Equal("/", response.Headers.Location!.ToString());
        }

        using var anonymous = await ConsoleCookies.GetAsync(app, "/account/refresh?returnUrl=%2F", cookie: null);
        Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
        Assert.Contains("/account/login", anonymous.Headers.Location!.ToString(), StringComparison.Ordinal);
        Assert.False(anonymous.Headers.TryGetValues("Set-Cookie", out var set) && set.Any(c => c.StartsWith(AuthSchemes.AdminCookieName + "=", StringComparison.Ordinal)));
    }
}
