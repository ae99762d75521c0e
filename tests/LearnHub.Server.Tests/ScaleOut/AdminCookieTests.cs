using System.Net;
using LearnHub.Server.Identity;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LearnHub.Server.Tests.ScaleOut;

/// <summary>
/// Behind a load balancer a console user's next request may land on another node: the sign-in cookie one node wrote
/// must be read by every other, which takes Data Protection keys they share (kept in Redis).
/// </summary>
public sealed class AdminCookieTests
{
    [Fact]
    public async Task A_console_sign_in_made_on_one_node_is_accepted_by_the_other()
    {
        await using var nodes = await TwoNodes.StartAsync();
        var admin = await nodes.A.CreateUserAsync("admin", "admin");
        var accounts = nodes.A.Services.GetRequiredService<AdminAccounts>();
        var users = nodes.A.Services.GetRequiredService<UserStore>();
        await accounts.SetPasswordAsync((await users.FindAsync(admin.Id, CancellationToken.None))!, "经济基础-password-1", CancellationToken.None);

        // The cookie exactly as node A's sign-in page writes it: its principal, sealed by A's cookie handler.
        var principal = (await accounts.SignInAsync("admin", "经济基础-password-1", CancellationToken.None)).Principal;
        Assert.NotNull(principal);
        var cookieOptions = nodes.A.Services.GetRequiredService<IOptionsMonitor<CookieAuthenticationOptions>>().Get(CookieAuthenticationDefaults.AuthenticationScheme);
        var cookie = cookieOptions.TicketDataFormat.Protect(new AuthenticationTicket(principal, CookieAuthenticationDefaults.AuthenticationScheme));

        foreach (var node in new[] { nodes.A, nodes.B })
        {
            using var web = node.CreateWebClient();
            using var request = new HttpRequestMessage(HttpMethod.Get, "/inbox");
            request.Headers.Add("Cookie", $"{AuthSchemes.AdminCookieName}={cookie}");
            using var signedIn = await web.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);

            // Control: without the cookie the same page sends the browser to the sign-in page.
            using var anonymous = await web.GetAsync("/inbox");
            Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
            Assert.Contains("/account/login", anonymous.Headers.Location!.ToString(), StringComparison.Ordinal);
        }

        // The key ring both nodes used is the one in Redis (on one machine they would otherwise share a key folder,
        // which separate machines do not).
        var redis = await nodes.InspectAsync();
        Assert.True(await redis.ListLengthAsync($"{nodes.Prefix}:dataprotection:keys") >= 1, "no Data Protection key in Redis");
    }
}
