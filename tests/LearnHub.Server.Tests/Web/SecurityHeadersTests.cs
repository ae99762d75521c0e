using System.Net;
using Grpc.Core;
using LearnHub.Api.V1;
using LearnHub.Server.Hosting;
using LearnHub.Server.Tests.Infrastructure;

namespace LearnHub.Server.Tests.Web;

/// <summary>Every web response (pages, redirects, refusals, static files, feeds, the hub) carries the standard security headers.</summary>
public sealed class SecurityHeadersTests
{
    [Fact]
    public async Task Console_pages_and_web_endpoints_carry_the_security_headers()
    {
        await using var app = await LearnHubApp.StartAsync();
        var user = await app.CreateUserAsync("xiaowang");
        var key = (await user.Identity.GetMyCalendarFeedKeyAsync(new GetMyCalendarFeedKeyRequest())).Key;
        using var browser = await ConsoleBrowser.SignedInAsync(app, user);
        using var anonymous = new ConsoleBrowser(app);

        var responses = new List<(string What, HttpResponseMessage Response)>
        {
            ("sign-in page", await anonymous.GetAsync("/account/login")),
            ("redirect to sign-in", await anonymous.GetAsync("/inbox")),
            ("console page", await browser.GetAsync("/inbox")),
            ("script", await anonymous.GetAsync("/_framework/blazor.web.js")),
            ("calendar feed", await anonymous.GetAsync($"/calendar/me.ics?key={key}")),
            ("unknown feed key", await anonymous.GetAsync("/calendar/me.ics?key=nobody")),
            ("hub without a token", await anonymous.PostFormAsync("/hubs/live/negotiate?negotiateVersion=1", [])),
        };
        try
        {
            Assert.Equal(
                [HttpStatusCode.OK, HttpStatusCode.Redirect, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.NotFound, HttpStatusCode.Unauthorized],
                responses.Select(r => r.Response.StatusCode));
            foreach (var (what, response) in responses)
            {
                Assert.True(Header(response, "X-Content-Type-Options") == "nosniff", what);
                Assert.True(Header(response, "Referrer-Policy") == "no-referrer", what);
                Assert.True(Header(response, "X-Frame-Options") == "DENY", what);
                // One policy, ours: the framework's own frame-ancestors policy is not added beside it.
                Assert.True(Header(response, "Content-Security-Policy") == WebSecurityHeaders.ContentSecurityPolicy, $"{what}: {Header(response, "Content-Security-Policy")}");
            }
        }
        finally
        {
            foreach (var (_, response) in responses)
            {
                response.Dispose();
            }
        }
    }

    [Fact]
    public async Task Grpc_responses_carry_none()
    {
        await using var app = await LearnHubApp.StartAsync();
        var user = await app.CreateUserAsync("xiaowang");

        using var call = user.Identity.GetMeAsync(new GetMeRequest());
        await call.ResponseAsync;
        var headers = await call.ResponseHeadersAsync;

        Assert.Null(headers.Get("content-security-policy"));
        Assert.Null(headers.Get("x-frame-options"));
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values) ? string.Join(", ", values) : null;
}
