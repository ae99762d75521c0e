using System.Text.RegularExpressions;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using LearnHub.Api.V1;
using LearnHub.Browser.Tests.Infrastructure;

namespace LearnHub.Browser.Tests;

/// <summary>
/// A console page left open follows its user's account as it changes, without a reload: demoted, the admin page turns
/// to access denied and the admin menu goes; deactivated (here by the operator command, beside the running server),
/// the console is sent to the sign-in page, which then says the account is deactivated.
/// </summary>
public sealed class AccessChangeTests(LearnHubServer server) : BrowserTest(server), IClassFixture<LearnHubServer>
{
    /// <summary>The bound for a change to reach an open console.</summary>
    private static readonly float FiveSeconds = 5_000;

    [Fact]
    public async Task An_open_admin_page_turns_to_access_denied_when_its_admin_is_demoted()
    {
        var demoted = await Server.CreateAccountAsync("demoted", "admin");
        await SignInAsync(demoted);
        await GotoInteractiveAsync("/admin/users");
        await Expect(Page.GetByTestId("users-table")).ToBeVisibleAsync();
        await Expect(Page.GetByTestId("nav-users")).ToBeVisibleAsync();

        using var channel = GrpcChannel.ForAddress(Server.GrpcUrl);
        var token = (await Server.RunCliAsync(null, "token", "--user", LearnHubServer.Admin.Handle)).Split('\n')[^1].Trim();
        var admin = new AdminService.AdminServiceClient(channel.Intercept(metadata =>
        {
            metadata.Add("authorization", $"Bearer {token}");
            return metadata;
        }));
        var user = (await admin.ListUsersAsync(new ListUsersRequest { Query = demoted.Handle })).Users.Single();
        await admin.SetUserRolesAsync(new SetUserRolesRequest { UserId = user.Id, Roles = { "viewer" } });

        await Expect(Page.GetByTestId("access-denied")).ToBeVisibleAsync(new() { Timeout = FiveSeconds });
        await Expect(Page.GetByTestId("nav-users")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task An_open_console_is_sent_to_sign_in_when_its_user_is_deactivated_and_sign_in_says_why()
    {
        var user = await Server.CreateAccountAsync("leaving", "viewer");
        await SignInAsync(user);
        await GotoInteractiveAsync("/inbox");

        await Server.RunCliAsync(null, "user", "deactivate", "--handle", user.Handle);

        await Expect(Page).ToHaveURLAsync(new Regex("/account/login"), new() { Timeout = FiveSeconds });
        await FillSignInAsync(Page, user.Handle, user.Password);
        await Page.GetByTestId("login-submit").ClickAsync();
        await Expect(Page.GetByTestId("login-error")).ToContainTextAsync("停用");
    }
}
