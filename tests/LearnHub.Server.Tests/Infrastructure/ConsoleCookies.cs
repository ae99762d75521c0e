using LearnHub.Server.Identity;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LearnHub.Server.Tests.Infrastructure;

/// <summary>The admin console's sign-in cookie, made and read as the host's own cookie handler does.</summary>
public static class ConsoleCookies
{
    public static ISecureDataFormat<AuthenticationTicket> Format(LearnHubApp app) =>
        app.Services.GetRequiredService<IOptionsMonitor<CookieAuthenticationOptions>>().Get(CookieAuthenticationDefaults.AuthenticationScheme).TicketDataFormat;

    /// <summary>The cookie as the sign-in page writes it (principal, issue and expiry times) for the user as they stand now.</summary>
    public static async Task<string> ForAsync(LearnHubApp app, TestUser user)
    {
        var principal = await app.Services.GetRequiredService<AdminAccounts>().RefreshAsync(user.Id, CancellationToken.None);
        var properties = new AuthenticationProperties { IssuedUtc = app.Now(), ExpiresUtc = app.Now().AddHours(8) };
        return Format(app).Protect(new AuthenticationTicket(principal!, properties, CookieAuthenticationDefaults.AuthenticationScheme));
    }

    /// <summary>A GET of a console page or web endpoint, with <paramref name="cookie"/> when given; redirects are not followed.</summary>
    public static async Task<HttpResponseMessage> GetAsync(LearnHubApp app, string path, string? cookie)
    {
        using var web = app.CreateWebClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (cookie is not null)
        {
            request.Headers.Add("Cookie", $"{AuthSchemes.AdminCookieName}={cookie}");
        }
        return await web.SendAsync(request);
    }

    /// <summary>The console cookie a response set.</summary>
    public static string NewCookie(HttpResponseMessage response)
    {
        var prefix = AuthSchemes.AdminCookieName + "=";
        var header = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(prefix, StringComparison.Ordinal));
        return header[prefix.Length..header.IndexOf(';', StringComparison.Ordinal)];
    }
}
