using System.Net;
using Dapper;
using Google.Rpc;
using Grpc.Core;
using LearnHub.Admin.Services;
using LearnHub.Api.V1;
using LearnHub.Server.Data;
using LearnHub.Server.Identity;
using LearnHub.Server.Tests.Infrastructure;
using LearnHub.Server.Tests.Presence;
using Microsoft.Extensions.DependencyInjection;
using static LearnHub.Server.Tests.Infrastructure.Scenario;

namespace LearnHub.Server.Tests.Security;

/// <summary>
/// Credentials already issued follow their user's current state: a role change applies to the very next call made
/// with an old token or console cookie, and deactivation, deletion or a password reset retires them (UNAUTHENTICATED,
/// never UNKNOWN), along with the streams and hub connections they opened. Changes made through the API apply before
/// the API answers; changes made around it (operator commands, SQL) at the next read of the store's access-change log.
/// </summary>
public sealed class AccessRevocationTests
{
    [Fact]
    public async Task A_demoted_admins_existing_token_can_neither_administer_nor_make_itself_admin_again()
    {
        await using var app = await Scenario.StartAsync();
        var root = await app.CreateUserAsync("root", "admin");
        var demoted = await app.CreateUserAsync("second-admin", "admin");
        await demoted.Admin.ListUsersAsync(new ListUsersRequest());

        await root.Admin.SetUserRolesAsync(new SetUserRolesRequest { UserId = demoted.Id, Roles = { "viewer" } });

        // The same token, straight after the answer: no wait.
        await Refusal.AssertAsync(StatusCode.PermissionDenied, "role", async () => await demoted.Admin.ListUsersAsync(new ListUsersRequest()));
        await Refusal.AssertAsync(StatusCode.PermissionDenied, "role",
            async () => await demoted.Admin.SetUserRolesAsync(new SetUserRolesRequest { UserId = demoted.Id, Roles = { "admin" } }));
        var me = await demoted.Identity.GetMeAsync(new GetMeRequest());
        Assert.Equal(["viewer"], me.Roles);
        Assert.True(me.Active);
    }

    [Fact]
    public async Task A_demoted_instructors_existing_token_no_longer_changes_their_sessions()
    {
        await using var app = await Scenario.StartAsync();
        var admin = await app.CreateUserAsync("root", "admin");
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var session = await instructor.ScheduleAsync(app.Now().AddDays(2));

        await admin.Admin.SetUserRolesAsync(new SetUserRolesRequest { UserId = instructor.Id, Roles = { "viewer" } });

        await Assert.ThrowsAsync<RpcException>(async () => await instructor.Sessions.UpdateSessionAsync(
            new UpdateSessionRequest { SessionId = session.Id, Title = "改过的标题", ExpectedVersion = session.Version }));
        var refusal = await Assert.ThrowsAsync<RpcException>(async () => await instructor.ScheduleAsync(app.Now().AddDays(3)));
        Assert.Equal(StatusCode.PermissionDenied, refusal.StatusCode);
        Assert.Equal(session.Title, (await admin.GetAsync(session.Id)).Title);
    }

    [Fact]
    public async Task A_role_granted_is_usable_with_the_token_the_user_already_holds()
    {
        await using var app = await Scenario.StartAsync();
        var admin = await app.CreateUserAsync("root", "admin");
        var newcomer = await app.CreateUserAsync("lilaoshi");
        var before = await Assert.ThrowsAsync<RpcException>(async () => await newcomer.ScheduleAsync(app.Now().AddDays(2)));
        Assert.Equal(StatusCode.PermissionDenied, before.StatusCode);

        await admin.Admin.SetUserRolesAsync(new SetUserRolesRequest { UserId = newcomer.Id, Roles = { "instructor" } });

        var session = await newcomer.ScheduleAsync(app.Now().AddDays(2));
        Assert.Equal(newcomer.Id, session.InstructorId);
    }

    [Fact]
    public async Task A_deactivated_users_tokens_are_refused_with_the_reason_and_reactivating_does_not_revive_them()
    {
        await using var app = await Scenario.StartAsync();
        var admin = await app.CreateUserAsync("root", "admin");
        var viewer = await app.CreateUserAsync("xiaowang");
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var session = await instructor.ScheduleAsync(app.Now().AddDays(2));

        var deactivated = await admin.Admin.SetUserActiveAsync(new SetUserActiveRequest { UserId = viewer.Id, Active = false });
        Assert.False(deactivated.Active);

        var refusal = await Assert.ThrowsAsync<RpcException>(async () => await viewer.ReserveAsync(session.Id));
        AssertUnauthenticated(refusal, "ACCOUNT_DEACTIVATED");
        Assert.Equal(0, (await instructor.GetAsync(session.Id)).ReservationCount);
        AssertUnauthenticated(await Assert.ThrowsAsync<RpcException>(async () => await viewer.Identity.GetMeAsync(new GetMeRequest())), "ACCOUNT_DEACTIVATED");

        await admin.Admin.SetUserActiveAsync(new SetUserActiveRequest { UserId = viewer.Id, Active = true });

        AssertUnauthenticated(await Assert.ThrowsAsync<RpcException>(async () => await viewer.ReserveAsync(session.Id)), "TOKEN_REVOKED");
        var fresh = await IssueTokenAsync(app, viewer);
        await new SessionService.SessionServiceClient(app.Invoker(fresh)).ReserveSessionAsync(new ReserveSessionRequest { SessionId = session.Id });
        Assert.Equal(1, (await instructor.GetAsync(session.Id)).ReservationCount);
    }

    [Fact]
    public async Task A_deactivated_users_calendar_feed_links_stop_at_once_and_reactivating_does_not_revive_them()
    {
        await using var app = await Scenario.StartAsync();
        var admin = await app.CreateUserAsync("root", "admin");
        var viewer = await app.CreateUserAsync("xiaowang");
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        await instructor.ScheduleAsync(app.Now().AddDays(2));
        var key = (await viewer.Identity.GetMyCalendarFeedKeyAsync(new GetMyCalendarFeedKeyRequest())).Key;
        using var web = app.CreateWebClient();
        var links = new[] { $"/calendar/me.ics?key={key}", $"/calendar/instructors/{instructor.Id}.ics?key={key}" };
        foreach (var link in links)
        {
            Assert.Equal(HttpStatusCode.OK, (await web.GetAsync(link)).StatusCode);
        }

        await admin.Admin.SetUserActiveAsync(new SetUserActiveRequest { UserId = viewer.Id, Active = false });

        // The same answer as for a key that never existed: the link tells nobody the account was closed.
        foreach (var link in links)
        {
            Assert.Equal(HttpStatusCode.NotFound, (await web.GetAsync(link)).StatusCode);
        }

        await admin.Admin.SetUserActiveAsync(new SetUserActiveRequest { UserId = viewer.Id, Active = true });

        foreach (var link in links)
        {
            Assert.Equal(HttpStatusCode.NotFound, (await web.GetAsync(link)).StatusCode);
        }
        var fresh = new IdentityService.IdentityServiceClient(app.Invoker(await IssueTokenAsync(app, viewer)));
        var newKey = (await fresh.GetMyCalendarFeedKeyAsync(new GetMyCalendarFeedKeyRequest())).Key;
        Assert.NotEqual(key, newKey);
        Assert.Equal(HttpStatusCode.OK, (await web.GetAsync($"/calendar/me.ics?key={newKey}")).StatusCode);
    }

    [Fact]
    public async Task An_admin_cannot_deactivate_themselves_and_a_missing_user_is_not_found()
    {
        await using var app = await Scenario.StartAsync();
        var admin = await app.CreateUserAsync("root", "admin");

        await Refusal.AssertAsync(StatusCode.FailedPrecondition, "active",
            async () => await admin.Admin.SetUserActiveAsync(new SetUserActiveRequest { UserId = admin.Id, Active = false }));
        await Refusal.AssertAsync(StatusCode.NotFound, "user_id",
            async () => await admin.Admin.SetUserActiveAsync(new SetUserActiveRequest { UserId = "u_nobody", Active = false }));
        Assert.True((await admin.Identity.GetMeAsync(new GetMeRequest())).Active);
    }

    [Fact]
    public async Task A_user_deleted_from_the_store_by_hand_is_unauthenticated_at_the_next_poll_never_unknown()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var session = await instructor.ScheduleAsync(app.Now().AddDays(2));
        var gone = await app.CreateUserAsync("leaving");
        await gone.Identity.GetMeAsync(new GetMeRequest());

        await ExecuteAsync(app, "DELETE FROM users WHERE id = @id", new { id = gone.Id });
        app.Clock.Advance(TimeSpan.FromSeconds(1));

        await WaitRefusedAsync(() => gone.Identity.GetMeAsync(new GetMeRequest()).ResponseAsync, "ACCOUNT_DELETED");
        // Writes that would reference the missing row are refused before they reach the store.
        AssertUnauthenticated(await Assert.ThrowsAsync<RpcException>(async () => await gone.ReserveAsync(session.Id)), "ACCOUNT_DELETED");
        AssertUnauthenticated(await Assert.ThrowsAsync<RpcException>(
            async () => await gone.Follows.FollowAsync(new FollowRequest { CreatorId = instructor.Id })), "ACCOUNT_DELETED");
        Assert.Equal(0, (await instructor.GetAsync(session.Id)).ReservationCount);
    }

    [Fact]
    public async Task A_role_changed_by_hand_in_the_store_applies_at_the_next_poll()
    {
        await using var app = await Scenario.StartAsync();
        var admin = await app.CreateUserAsync("root", "admin");
        await admin.Admin.ListUsersAsync(new ListUsersRequest());

        await ExecuteAsync(app, "UPDATE users SET roles = 'viewer' WHERE id = @id", new { id = admin.Id });
        app.Clock.Advance(TimeSpan.FromSeconds(1));

        await Wait.UntilAsync(
            async () => await StatusOfAsync(() => admin.Admin.ListUsersAsync(new ListUsersRequest()).ResponseAsync),
            code => code == StatusCode.PermissionDenied, TimeSpan.FromSeconds(5), "the demotion made in SQL to apply");
    }

    [Fact]
    public async Task A_password_reset_retires_every_token_but_a_first_password_retires_none()
    {
        await using var app = await Scenario.StartAsync();
        var viewer = await app.CreateUserAsync("xiaowang");
        var accounts = app.Services.GetRequiredService<AdminAccounts>();
        var users = app.Services.GetRequiredService<UserStore>();

        // The operator's `user set-password`, which runs beside the server and tells it nothing.
        await accounts.SetPasswordAsync((await users.FindAsync(viewer.Id, CancellationToken.None))!, "first-password-1", CancellationToken.None);
        app.Clock.Advance(TimeSpan.FromSeconds(1));
        await app.Services.GetRequiredService<UserAccessChangeFeed>().CatchUpAsync(CancellationToken.None);
        await viewer.Identity.GetMeAsync(new GetMeRequest());

        await accounts.SetPasswordAsync((await users.FindAsync(viewer.Id, CancellationToken.None))!, "second-password-2", CancellationToken.None);
        app.Clock.Advance(TimeSpan.FromSeconds(1));

        await WaitRefusedAsync(() => viewer.Identity.GetMeAsync(new GetMeRequest()).ResponseAsync, "TOKEN_REVOKED");
        var fresh = await IssueTokenAsync(app, viewer);
        Assert.Equal(viewer.Id, (await new IdentityService.IdentityServiceClient(app.Invoker(fresh)).GetMeAsync(new GetMeRequest())).Id);
    }

    [Fact]
    public async Task A_deactivated_viewers_open_watch_and_inbox_streams_end_unauthenticated()
    {
        await using var app = await Scenario.StartAsync();
        var admin = await app.CreateUserAsync("root", "admin");
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var viewer = await app.CreateUserAsync("xiaowang");
        var other = await app.CreateUserAsync("xiaoli");
        var session = await instructor.LiveSessionAsync();
        var watcher = await Watcher.OpenAsync(viewer, session.Id);
        await using var bystander = await Watcher.OpenAsync(other, session.Id);
        using var inbox = viewer.Inbox.WatchInbox(new WatchInboxRequest());
        Assert.True(await inbox.ResponseStream.MoveNext(CancellationToken.None).DefaultTimeout());

        await admin.Admin.SetUserActiveAsync(new SetUserActiveRequest { UserId = viewer.Id, Active = false });

        Assert.Equal(StatusCode.Unauthenticated, await watcher.CompletionAsync());
        var ended = await Assert.ThrowsAsync<RpcException>(async () => await inbox.ResponseStream.MoveNext(CancellationToken.None).DefaultTimeout());
        Assert.Equal(StatusCode.Unauthenticated, ended.StatusCode);
        // They no longer count; the other viewer's stream goes on.
        await app.SettleAsync(session.Id, 1);
        Assert.Null(bystander.EndedWith);
        await watcher.DisposeAsync();
    }

    [Fact]
    public async Task A_demoted_admins_dashboard_connection_is_closed_and_their_token_cannot_reconnect()
    {
        await using var app = await Scenario.StartAsync();
        var root = await app.CreateUserAsync("root", "admin");
        var demoted = await app.CreateUserAsync("second-admin", "admin");
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var session = await instructor.LiveSessionAsync();
        await using var dashboard = await Dashboard.ConnectAsync(demoted);
        Assert.Contains(await dashboard.WatchLiveSessionsAsync(), v => v.SessionId == session.Id);

        await root.Admin.SetUserRolesAsync(new SetUserRolesRequest { UserId = demoted.Id, Roles = { "viewer" } });

        await dashboard.Closed.DefaultTimeout();
        await using var again = Dashboard.Connection(app, demoted.Token);
        await Assert.ThrowsAnyAsync<Exception>(() => again.StartAsync().DefaultTimeout());
    }

    [Fact]
    public async Task A_demoted_admins_console_cookie_opens_only_what_their_current_roles_allow()
    {
        await using var app = await Scenario.StartAsync();
        var root = await app.CreateUserAsync("root", "admin");
        var demoted = await app.CreateUserAsync("second-admin", "admin");
        var cookie = await ConsoleCookies.ForAsync(app, demoted);
        using (var before = await ConsoleCookies.GetAsync(app, "/admin/users", cookie))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        await root.Admin.SetUserRolesAsync(new SetUserRolesRequest { UserId = demoted.Id, Roles = { "viewer" } });

        using var after = await ConsoleCookies.GetAsync(app, "/admin/users", cookie);
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.Contains("/account/denied", after.Headers.Location!.ToString(), StringComparison.Ordinal);
        // Pages the viewer role allows still open, and the cookie is written again with the current roles.
        using var inbox = await ConsoleCookies.GetAsync(app, "/inbox", cookie);
        Assert.Equal(HttpStatusCode.OK, inbox.StatusCode);
        var renewed = ConsoleCookies.Format(app).Unprotect(ConsoleCookies.NewCookie(inbox));
        Assert.Equal(["viewer"], renewed!.Principal.FindAll(AdminClaims.Role).Select(c => c.Value));
    }

    [Theory]
    [InlineData("deactivation")]
    [InlineData("password reset")]
    public async Task A_console_cookie_is_signed_out_after(string change)
    {
        await using var app = await Scenario.StartAsync();
        var root = await app.CreateUserAsync("root", "admin");
        var user = await app.CreateUserAsync("xiaowang");
        var accounts = app.Services.GetRequiredService<AdminAccounts>();
        var users = app.Services.GetRequiredService<UserStore>();
        await accounts.SetPasswordAsync((await users.FindAsync(user.Id, CancellationToken.None))!, "first-password-1", CancellationToken.None);
        var cookie = await ConsoleCookies.ForAsync(app, user);
        using (var before = await ConsoleCookies.GetAsync(app, "/inbox", cookie))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        if (change == "deactivation")
        {
            await root.Admin.SetUserActiveAsync(new SetUserActiveRequest { UserId = user.Id, Active = false });
        }
        else
        {
            await accounts.SetPasswordAsync((await users.FindAsync(user.Id, CancellationToken.None))!, "second-password-2", CancellationToken.None);
            await app.Services.GetRequiredService<UserAccessChangeFeed>().CatchUpAsync(CancellationToken.None);
        }

        using var after = await ConsoleCookies.GetAsync(app, "/inbox", cookie);
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.Contains("/account/login", after.Headers.Location!.ToString(), StringComparison.Ordinal);
        Assert.Contains(after.Headers.GetValues("Set-Cookie"), c => c.StartsWith(AuthSchemes.AdminCookieName + "=;", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_deactivated_account_cannot_sign_in_to_the_console_even_with_the_right_password()
    {
        await using var app = await Scenario.StartAsync();
        var root = await app.CreateUserAsync("root", "admin");
        var user = await app.CreateUserAsync("xiaowang");
        var accounts = app.Services.GetRequiredService<AdminAccounts>();
        var users = app.Services.GetRequiredService<UserStore>();
        await accounts.SetPasswordAsync((await users.FindAsync(user.Id, CancellationToken.None))!, "first-password-1", CancellationToken.None);

        await root.Admin.SetUserActiveAsync(new SetUserActiveRequest { UserId = user.Id, Active = false });

        var refused = await accounts.SignInAsync("xiaowang", "first-password-1", CancellationToken.None);
        Assert.Null(refused.Principal);
        Assert.True(refused.Deactivated);
        // A wrong password does not tell that the account exists and is deactivated.
        Assert.False((await accounts.SignInAsync("xiaowang", "wrong-password-1", CancellationToken.None)).Deactivated);

        await root.Admin.SetUserActiveAsync(new SetUserActiveRequest { UserId = user.Id, Active = true });
        Assert.NotNull((await accounts.SignInAsync("xiaowang", "first-password-1", CancellationToken.None)).Principal);
    }

    internal static void AssertUnauthenticated(RpcException refusal, string reason)
    {
        Assert.Equal(StatusCode.Unauthenticated, refusal.StatusCode);
        Assert.Equal(reason, refusal.GetRpcStatus()?.GetDetail<ErrorInfo>()?.Reason);
    }

    internal static async Task WaitRefusedAsync<T>(Func<Task<T>> call, string reason)
    {
        var refusal = await Wait.UntilAsync(
            async () =>
            {
                try
                {
                    await call();
                    return null;
                }
                catch (RpcException e)
                {
                    return e;
                }
            },
            e => e?.StatusCode == StatusCode.Unauthenticated, TimeSpan.FromSeconds(5), $"UNAUTHENTICATED ({reason})");
        AssertUnauthenticated(refusal!, reason);
    }

    internal static async Task<StatusCode> StatusOfAsync<T>(Func<Task<T>> call)
    {
        try
        {
            await call();
            return StatusCode.OK;
        }
        catch (RpcException e)
        {
            return e.StatusCode;
        }
    }

    /// <summary>A token minted now, as the operator's <c>token</c> command would.</summary>
    internal static async Task<string> IssueTokenAsync(LearnHubApp app, TestUser user)
    {
        var record = await app.Services.GetRequiredService<UserStore>().FindAsync(user.Id, CancellationToken.None);
        return app.Services.GetRequiredService<TokenIssuer>().Issue(record!, LearnHubApp.TestTokenLifetime);
    }

    private static async Task ExecuteAsync(LearnHubApp app, string sql, object parameters)
    {
        await using var connection = await app.Services.GetRequiredService<Database>().OpenAsync(CancellationToken.None);
        await connection.ExecuteAsync(sql, parameters);
    }
}
