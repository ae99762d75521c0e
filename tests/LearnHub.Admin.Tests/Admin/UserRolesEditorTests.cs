using LearnHub.Admin.Components.Pages.Admin;
using LearnHub.Admin.Tests.Infrastructure;
using LearnHub.Api.V1;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace LearnHub.Admin.Tests.Admin;

public sealed class UserRolesEditorTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Ticking_a_role_sends_the_new_roles_and_shows_what_the_server_returned()
    {
        await using var context = new AdminTestContext(roles: ["admin"]);
        context.Api.On<SetUserRolesRequest, User>("SetUserRoles", r => new User
        {
            Id = r.UserId, Handle = "wanhongcoco", DisplayName = "万红coco", Roles = { r.Roles.Append("viewer").Distinct() },
        });
        User? changed = null;
        var editor = context.Render<UserRolesEditor>(p => p
            .Add(e => e.User, new User { Id = "u_coco", Handle = "wanhongcoco", DisplayName = "万红coco", Roles = { "viewer", "instructor" } })
            .Add(e => e.UserChanged, (User u) => changed = u));

        Assert.True(editor.InputOf("user-role-wanhongcoco-viewer").HasAttribute("disabled"));
        editor.InputOf("user-role-wanhongcoco-reviewer").Change(true);

        editor.WaitForAssertion(() => Assert.NotNull(changed), Timeout);
        var request = Assert.Single(context.Api.RequestsTo<SetUserRolesRequest>("SetUserRoles"));
        Assert.Equal("u_coco", request.UserId);
        Assert.Equal(["instructor", "reviewer"], request.Roles.Order(StringComparer.Ordinal));
        editor.WaitForAssertion(() => Assert.True(editor.InputOf("user-role-wanhongcoco-reviewer").IsChecked()), Timeout);
        Assert.True(editor.InputOf("user-role-wanhongcoco-instructor").IsChecked());
        Assert.Contains(context.Services.GetRequiredService<ISnackbar>().ShownSnackbars, s => s.Severity == Severity.Success);
    }

    [Fact]
    public async Task Your_own_admin_role_cannot_be_unticked_and_says_why()
    {
        await using var context = new AdminTestContext(roles: ["admin"]);
        var editor = context.Render<UserRolesEditor>(p => p
            .Add(e => e.User, new User { Id = "u_tester", Handle = "tester", DisplayName = "tester", Roles = { "viewer", "admin" } }));

        Assert.True(editor.InputOf("user-role-tester-admin").IsDisabled());
        Assert.True(editor.InputOf("user-role-tester-admin").IsChecked());
        Assert.Contains("不能移除自己的管理员角色", editor.Find("[data-testid=user-roles-self-tester]").TextContent, StringComparison.Ordinal);
        // Their other roles stay editable.
        Assert.False(editor.InputOf("user-role-tester-instructor").IsDisabled());
        Assert.Empty(context.Api.RequestsTo<SetUserRolesRequest>("SetUserRoles"));
    }

    [Fact]
    public async Task Another_admins_admin_role_stays_editable()
    {
        await using var context = new AdminTestContext(roles: ["admin"]);
        var editor = context.Render<UserRolesEditor>(p => p
            .Add(e => e.User, new User { Id = "u_root", Handle = "root", DisplayName = "root", Roles = { "viewer", "admin" } }));

        Assert.False(editor.InputOf("user-role-root-admin").IsDisabled());
        Assert.Empty(editor.FindAll("[data-testid=user-roles-self-root]"));
    }

    [Fact]
    public async Task Cancelling_the_confirmation_sends_nothing_and_keeps_the_admin_role()
    {
        await using var context = new AdminTestContext(roles: ["admin"]);
        var dialogs = context.Render<MudDialogProvider>();
        var editor = context.Render<UserRolesEditor>(p => p
            .Add(e => e.User, new User { Id = "u_root", Handle = "root", DisplayName = "root", Roles = { "viewer", "admin" } }));

        editor.InputOf("user-role-root-admin").Change(false);
        dialogs.WaitForAssertion(() => Assert.Contains("root", dialogs.Markup, StringComparison.Ordinal), Timeout);
        dialogs.FindAll("button").First(b => b.TextContent.Contains("取消", StringComparison.Ordinal)).Click();

        editor.WaitForAssertion(() => Assert.True(editor.InputOf("user-role-root-admin").IsChecked()), Timeout);
        Assert.Empty(context.Api.RequestsTo<SetUserRolesRequest>("SetUserRoles"));
    }
}
