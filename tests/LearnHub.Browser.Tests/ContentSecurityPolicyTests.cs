using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using LearnHub.Api.V1;
using LearnHub.Browser.Tests.Infrastructure;

namespace LearnHub.Browser.Tests;

/// <summary>
/// The console under its content security policy in Chromium: every page loads, becomes interactive over the circuit's
/// WebSocket and works (dialogs, menus, a language form post, an image shown as a data: URL), and Chromium reports
/// no violation of the policy, neither in the console log nor as a securitypolicyviolation event.
/// </summary>
public sealed class ContentSecurityPolicyTests(LearnHubServer server) : BrowserTest(server), IClassFixture<LearnHubServer>
{
    /// <summary>A 1×1 PNG.</summary>
    private static readonly byte[] Png = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==");

    private readonly List<string> violations = [];

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        // Runs in every page before its own scripts (Playwright injects it past the policy), so no violation goes unseen.
        await Context.AddInitScriptAsync(
            "document.addEventListener('securitypolicyviolation', e => console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}`));");
        Page.Console += (_, message) => Record(message);
        Page.PageError += (_, error) => Record($"page error: {error}");
    }

    [Fact]
    public async Task Console_pages_load_and_work_with_no_policy_violation()
    {
        // The sign-in page is server-rendered; its response carries the policy.
        var login = await Page.GotoAsync("/account/login");
        var policy = await login!.HeaderValueAsync("content-security-policy");
        Assert.Contains("script-src 'self'", policy, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
        await SignInAsync(LearnHubServer.Instructor);

        foreach (var path in new[] { "/", "/schedule", "/courses", "/series", "/live", "/calendar", "/settings", "/following", "/inbox", "/broadcasts", "/broadcasts/new" })
        {
            await GotoInteractiveAsync(path);
            await Expect(Page.GetByTestId("signed-in-as")).ToBeVisibleAsync();
        }

        // A dialog (a popover, positioned through style attributes) over the schedule.
        await GotoInteractiveAsync("/schedule");
        await Page.GetByTestId("schedule-new").ClickAsync();
        await Expect(Page.GetByTestId("session-save")).ToBeEnabledAsync();
        await Page.GetByTestId("session-dialog-close").ClickAsync();
        await Expect(Page.GetByTestId("session-save")).ToHaveCountAsync(0);

        // The language menu, then its form post (form-action 'self'), and back.
        await Page.GetByTestId("language-menu").ClickAsync();
        await Page.InteractiveAfterAsync(() => Page.GetByTestId("language-en").ClickAsync());
        await Expect(Page.GetByTestId("sign-out")).ToHaveTextAsync("Sign out");
        await Page.GetByTestId("language-menu").ClickAsync();
        await Page.InteractiveAfterAsync(() => Page.GetByTestId("language-zh").ClickAsync());
        await Expect(Page.GetByTestId("sign-out")).ToHaveTextAsync("退出登录");

        // An image broadcast in the reviewers' queue is shown as a data: URL.
        var imageId = await SubmitImageBroadcastAsync();
        await Context.ClearCookiesAsync();
        await SignInAsync(LearnHubServer.Admin);
        foreach (var path in new[] { "/admin/users", "/admin/settings", "/review/reports", "/review/broadcasts" })
        {
            await GotoInteractiveAsync(path);
            await Expect(Page.GetByTestId("signed-in-as")).ToBeVisibleAsync();
        }
        var image = Page.GetByTestId($"broadcast-image-{imageId}");
        await Expect(image).ToHaveAttributeAsync("src", new System.Text.RegularExpressions.Regex("^data:image/png;base64,"));
        await Expect(image).ToHaveJSPropertyAsync("naturalWidth", 1);

        lock (violations)
        {
            Assert.True(violations.Count == 0, "Chromium reported:\n" + string.Join('\n', violations));
        }
    }

    private void Record(IConsoleMessage message)
    {
        if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase)
            || message.Text.Contains("CSP violation", StringComparison.Ordinal))
        {
            Record(message.Text);
        }
    }

    private void Record(string text)
    {
        lock (violations)
        {
            violations.Add(text);
        }
    }

    /// <summary>A certified creator's pending image broadcast, through the API.</summary>
    private async Task<string> SubmitImageBroadcastAsync()
    {
        var creator = await Server.CreateAccountAsync("csp-creator", "instructor");
        using var channel = GrpcChannel.ForAddress(Server.GrpcUrl);
        var creatorCalls = await InvokerAsync(channel, creator);
        var creatorId = (await new IdentityService.IdentityServiceClient(creatorCalls).GetMeAsync(new GetMeRequest())).Id;
        await new AdminService.AdminServiceClient(await InvokerAsync(channel, LearnHubServer.Admin))
            .SetCertifiedAsync(new SetCertifiedRequest { UserId = creatorId, Certified = true });
        var broadcasts = new BroadcastService.BroadcastServiceClient(creatorCalls);
        var quota = await broadcasts.GetQuotaAsync(new GetQuotaRequest());
        var submitted = await broadcasts.SubmitBroadcastAsync(new SubmitBroadcastRequest
        {
            RequestId = Guid.NewGuid().ToString("N"),
            Kind = BroadcastKind.Image,
            Image = ByteString.CopyFrom(Png),
            AgreedToAgreement = true,
            AgreementVersion = quota.AgreementVersion,
        });
        return submitted.Id;
    }

    private async Task<CallInvoker> InvokerAsync(GrpcChannel channel, TestAccount account)
    {
        var token = (await Server.RunCliAsync(null, "token", "--user", account.Handle)).Split('\n')[^1].Trim();
        return channel.Intercept(metadata =>
        {
            metadata.Add("authorization", $"Bearer {token}");
            return metadata;
        });
    }
}
