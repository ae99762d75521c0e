using System.Net;
using Grpc.Core;
using LearnHub.Api.V1;
using LearnHub.Server.Identity;
using LearnHub.Server.Tests.Infrastructure;
using LearnHub.Server.Tests.Presence;
using LearnHub.Server.Tests.ScaleOut;
using static LearnHub.Server.Tests.Security.AccessRevocationTests;

namespace LearnHub.Server.Tests.Security;

/// <summary>
/// An access change made through one node reaches the other's checks within seconds, without the shared clock moving
/// (so not by the other node's poll of the access-change log): over the Redis event that tells it to read the log.
/// Runs on both stores (two nodes share the SQLite file or the PostgreSQL database).
/// </summary>
public sealed class AccessAcrossNodesTests
{
    private static readonly TimeSpan FiveSeconds = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task A_demotion_made_on_one_node_applies_to_the_old_token_on_the_other()
    {
        await using var nodes = await TwoNodes.StartAsync();
        var root = await nodes.A.CreateUserAsync("root", "admin");
        var demoted = await nodes.A.CreateUserAsync("second-admin", "admin");
        var onB = nodes.OnB(demoted);
        await onB.Admin.ListUsersAsync(new ListUsersRequest());

        await root.Admin.SetUserRolesAsync(new SetUserRolesRequest { UserId = demoted.Id, Roles = { "viewer" } });

        await Wait.UntilAsync(
            () => StatusOfAsync(() => onB.Admin.ListUsersAsync(new ListUsersRequest()).ResponseAsync),
            code => code == StatusCode.PermissionDenied, FiveSeconds, "node B to judge the old token by the new roles");
        Assert.Equal(StatusCode.PermissionDenied,
            await StatusOfAsync(() => onB.Admin.SetUserRolesAsync(new SetUserRolesRequest { UserId = demoted.Id, Roles = { "admin" } }).ResponseAsync));
    }

    [Fact]
    public async Task A_deactivation_made_on_one_node_refuses_the_token_and_ends_the_stream_on_the_other()
    {
        await using var nodes = await TwoNodes.StartAsync();
        var root = await nodes.A.CreateUserAsync("root", "admin");
        var instructor = await nodes.A.CreateUserAsync("wanhongcoco", "instructor");
        var viewer = await nodes.A.CreateUserAsync("xiaowang");
        var session = await instructor.LiveSessionAsync();
        var onB = nodes.OnB(viewer);
        var watcher = await Watcher.OpenAsync(onB, session.Id);

        await root.Admin.SetUserActiveAsync(new SetUserActiveRequest { UserId = viewer.Id, Active = false });

        var ended = await watcher.CompletionAsync().WaitAsync(FiveSeconds);
        Assert.True(ended == StatusCode.Unauthenticated, $"The stream ended with {ended} ({watcher.Refusal?.Status.Detail}); node B's log:\n{nodes.B.Logs.Describe()}");
        await WaitRefusedAsync(() => onB.Identity.GetMeAsync(new GetMeRequest()).ResponseAsync, "ACCOUNT_DEACTIVATED");
        await watcher.DisposeAsync();
    }

    [Fact]
    public async Task A_deactivation_made_on_one_node_signs_the_console_cookie_out_on_the_other()
    {
        await using var nodes = await TwoNodes.StartAsync();
        var root = await nodes.A.CreateUserAsync("root", "admin");
        var viewer = await nodes.A.CreateUserAsync("xiaowang");
        // Both nodes share the Data Protection keys (in Redis), so B reads the cookie A's sign-in page wrote.
        var cookie = await ConsoleCookies.ForAsync(nodes.A, viewer);
        Assert.Equal(HttpStatusCode.OK, await InboxPageStatusAsync(nodes.B, cookie));

        await root.Admin.SetUserActiveAsync(new SetUserActiveRequest { UserId = viewer.Id, Active = false });

        await Wait.UntilAsync(() => InboxPageStatusAsync(nodes.B, cookie), status => status == HttpStatusCode.Redirect, FiveSeconds, "node B to sign the cookie out");
    }

    private static async Task<HttpStatusCode> InboxPageStatusAsync(LearnHubApp node, string cookie)
    {
        using var response = await ConsoleCookies.GetAsync(node, "/inbox", cookie);
        return response.StatusCode;
    }
}
