using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using LearnHub.Api.V1;
using LearnHub.Server.Tests.Infrastructure;

namespace LearnHub.Server.Tests.Platform;

public sealed class AdminServiceTests
{
    private static AdminService.AdminServiceClient AdminOf(TestUser user) => new(user.App.Invoker(user.Token));

    [Theory]
    [InlineData("viewer")]
    [InlineData("instructor")]
    [InlineData("reviewer")]
    public async Task Only_admins_may_call_it(string role)
    {
        await using var app = await LearnHubApp.StartAsync();
        var someone = await app.CreateUserAsync("someone", role);
        var admin = AdminOf(someone);

        var list = await Assert.ThrowsAsync<RpcException>(async () => await admin.ListUsersAsync(new ListUsersRequest()));
        var roles = await Assert.ThrowsAsync<RpcException>(async () =>
            await admin.SetUserRolesAsync(new SetUserRolesRequest { UserId = someone.Id, Roles = { "admin" } }));
        var certify = await Assert.ThrowsAsync<RpcException>(async () =>
            await admin.SetCertifiedAsync(new SetCertifiedRequest { UserId = someone.Id, Certified = true }));
        var settings = await Assert.ThrowsAsync<RpcException>(async () =>
            await admin.UpdatePlatformSettingsAsync(new UpdatePlatformSettingsRequest { ReminderLeadMinutes = 30 }));

        Assert.All([list, roles, certify, settings], e => Assert.Equal(StatusCode.PermissionDenied, e.StatusCode));
    }

    [Fact]
    public async Task An_admin_lists_users_sets_roles_and_certification_but_keeps_their_own_admin_role()
    {
        await using var app = await LearnHubApp.StartAsync();
        var root = await app.CreateUserAsync("root", "admin");
        var coco = await app.CreateUserAsync("wanhongcoco", "instructor");
        var admin = AdminOf(root);

        var found = await admin.ListUsersAsync(new ListUsersRequest { Query = "HONG" });
        var roles = await admin.SetUserRolesAsync(new SetUserRolesRequest { UserId = coco.Id, Roles = { "instructor", "reviewer" } });
        var certified = await admin.SetCertifiedAsync(new SetCertifiedRequest { UserId = coco.Id, Certified = true });
        var selfDemotion = await Assert.ThrowsAsync<RpcException>(async () =>
            await admin.SetUserRolesAsync(new SetUserRolesRequest { UserId = root.Id, Roles = { "instructor" } }));

        Assert.Equal(["wanhongcoco"], found.Users.Select(u => u.Handle));
        Assert.Equal(["instructor", "reviewer", "viewer"], roles.Roles.Order(StringComparer.Ordinal));
        Assert.True(certified.Certified);
        Assert.Equal(StatusCode.FailedPrecondition, selfDemotion.StatusCode);
        Assert.Contains(selfDemotion.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations, v => v.Field == "roles");
    }

    [Theory]
    [InlineData(0, 168, "Asia/Shanghai", "reminder_lead_minutes")]
    [InlineData(1441, 168, "Asia/Shanghai", "reminder_lead_minutes")]
    [InlineData(15, 0, "Asia/Shanghai", "review_timeout_hours")]
    [InlineData(15, 721, "Asia/Shanghai", "review_timeout_hours")]
    [InlineData(15, 168, "Mars/Olympus_Mons", "platform_time_zone")]
    [InlineData(15, 168, "CST", "platform_time_zone")]
    public async Task Settings_out_of_range_are_refused_at_the_field_and_nothing_changes(int lead, int review, string zone, string field)
    {
        await using var app = await LearnHubApp.StartAsync();
        var admin = AdminOf(await app.CreateUserAsync("root", "admin"));
        var before = await admin.GetPlatformSettingsAsync(new GetPlatformSettingsRequest());

        var refused = await Assert.ThrowsAsync<RpcException>(async () => await admin.UpdatePlatformSettingsAsync(new UpdatePlatformSettingsRequest
        {
            ReminderLeadMinutes = lead,
            ReviewTimeoutHours = review,
            PlatformTimeZone = zone,
        }));

        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Equal([field], refused.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations.Select(v => v.Field));
        Assert.Equal(before, await admin.GetPlatformSettingsAsync(new GetPlatformSettingsRequest()));
    }

    [Fact]
    public async Task Settings_record_who_changed_them_and_when()
    {
        await using var app = await LearnHubApp.StartAsync();
        var root = await app.CreateUserAsync("root", "admin");
        var admin = AdminOf(root);

        var updated = await admin.UpdatePlatformSettingsAsync(new UpdatePlatformSettingsRequest
        {
            ReminderLeadMinutes = 1440,
            ReviewTimeoutHours = 720,
            PlatformTimeZone = "America/New_York",
        });

        Assert.Equal(1440, updated.ReminderLeadMinutes);
        Assert.Equal(720, updated.ReviewTimeoutHours);
        Assert.Equal("America/New_York", updated.PlatformTimeZone);
        Assert.Equal(root.Id, updated.UpdatedBy);
        Assert.Equal(app.Clock.GetUtcNow().ToUnixTimeMilliseconds(), updated.UpdateTime.ToDateTimeOffset().ToUnixTimeMilliseconds());
        Assert.Equal(updated, await admin.GetPlatformSettingsAsync(new GetPlatformSettingsRequest()));
    }

    [Fact]
    public async Task A_longer_reminder_lead_moves_the_reminder_of_sessions_scheduled_afterwards()
    {
        await using var app = await LearnHubApp.StartAsync();
        var admin = AdminOf(await app.CreateUserAsync("root", "admin"));
        var instructor = await app.CreateUserAsync("teacher", "instructor");
        var viewer = await app.CreateUserAsync("student");
        await admin.UpdatePlatformSettingsAsync(new UpdatePlatformSettingsRequest { ReminderLeadMinutes = 60 });

        var session = await instructor.Sessions.CreateSessionAsync(new CreateSessionRequest
        {
            Title = "经济基础第20章考点梳理",
            PlannedStart = Timestamp.FromDateTimeOffset(app.Clock.GetUtcNow().AddHours(2)),
            DurationMinutes = 60,
        });
        await viewer.Sessions.ReserveSessionAsync(new ReserveSessionRequest { SessionId = session.Id });
        // An hour and a minute later: with the default 15-minute lead the reminder would still be 44 minutes away.
        app.Clock.Advance(TimeSpan.FromMinutes(61));

        var notices = await Wait.UntilAsync(
            async () => await viewer.Notifications.ListNotificationsAsync(new ListNotificationsRequest()),
            n => n.Notifications.Any(x => x.Kind == NotificationKind.Reminder), what: "reminder an hour ahead");
        Assert.Contains(notices.Notifications, n => n.Kind == NotificationKind.Reminder && n.SessionId == session.Id);
        var still = await viewer.Sessions.GetSessionAsync(new GetSessionRequest { SessionId = session.Id });
        Assert.Equal(SessionStatus.Scheduled, still.Status);
    }
}
