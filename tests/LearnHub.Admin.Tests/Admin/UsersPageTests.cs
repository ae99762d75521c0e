using LearnHub.Admin.Components.Pages.Admin;
using LearnHub.Admin.Tests.Infrastructure;
using LearnHub.Api.V1;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace LearnHub.Admin.Tests.Admin;

public sealed class UsersPageTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    private static readonly User Coco = new() { Id = "u_coco", Handle = "wanhongcoco", DisplayName = "万红coco", Roles = { "viewer", "instructor" } };

    [Fact]
    public async Task Lists_users_and_shows_an_empty_state_when_the_search_finds_nobody()
    {
        await using var context = new AdminTestContext(roles: ["admin"]);
        context.Api.On<ListUsersRequest, ListUsersResponse>("ListUsers", r => new ListUsersResponse
        {
            Users = { new[] { Coco }.Where(u => u.Handle.Contains(r.Query, StringComparison.OrdinalIgnoreCase)) },
        });
        var page = context.Render<Users>();
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid=user-row-wanhongcoco]")), Timeout);

        page.InputOf("users-search").Input("nobody");

        page.WaitForAssertion(() => Assert.Contains("暂无记录", page.Find("[data-testid=users-empty]").TextContent, StringComparison.Ordinal), Timeout);
        Assert.Empty(page.FindAll("[data-testid=user-row-wanhongcoco]"));
        Assert.Equal("nobody", context.Api.RequestsTo<ListUsersRequest>("ListUsers").Last().Query);
    }

    [Fact]
    public async Task Certification_is_confirmed_before_it_is_sent()
    {
        await using var context = new AdminTestContext(roles: ["admin"]);
        context.Api.On<ListUsersRequest, ListUsersResponse>("ListUsers", _ => new ListUsersResponse { Users = { Coco } });
        context.Api.On<SetCertifiedRequest, User>("SetCertified", r => new User(Coco) { Certified = r.Certified });
        var dialogs = context.Render<MudDialogProvider>();
        var page = context.Render<Users>();
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid=user-row-wanhongcoco]")), Timeout);

        page.InputOf("user-certified-wanhongcoco").Change(true);
        dialogs.WaitForAssertion(() => Assert.Contains("万红coco", dialogs.Markup, StringComparison.Ordinal), Timeout);
        Assert.Empty(context.Api.RequestsTo<SetCertifiedRequest>("SetCertified"));
        dialogs.FindAll("button").First(b => b.TextContent.Contains("确认", StringComparison.Ordinal)).Click();

        page.WaitForAssertion(() => Assert.True(page.InputOf("user-certified-wanhongcoco").IsChecked()), Timeout);
        var request = Assert.Single(context.Api.RequestsTo<SetCertifiedRequest>("SetCertified"));
        Assert.True(request.Certified);
        Assert.Contains(context.Services.GetRequiredService<ISnackbar>().ShownSnackbars, s => s.Severity == Severity.Success);
    }

    [Fact]
    public async Task Deactivating_an_account_is_confirmed_then_sent_and_the_row_shows_it_deactivated()
    {
        await using var context = new AdminTestContext(roles: ["admin"]);
        var coco = new User(Coco) { Active = true };
        context.Api.On<ListUsersRequest, ListUsersResponse>("ListUsers", _ => new ListUsersResponse { Users = { coco } });
        context.Api.On<SetUserActiveRequest, User>("SetUserActive", r => new User(coco) { Active = r.Active });
        var dialogs = context.Render<MudDialogProvider>();
        var page = context.Render<Users>();
        page.WaitForAssertion(() => Assert.True(page.InputOf("user-active-wanhongcoco").IsChecked()), Timeout);

        page.InputOf("user-active-wanhongcoco").Change(false);
        dialogs.WaitForAssertion(() => Assert.Contains("停用", dialogs.Markup, StringComparison.Ordinal), Timeout);
        Assert.Empty(context.Api.RequestsTo<SetUserActiveRequest>("SetUserActive"));
        dialogs.FindAll("button").First(b => b.TextContent.Contains("确认", StringComparison.Ordinal)).Click();

        page.WaitForAssertion(() => Assert.False(page.InputOf("user-active-wanhongcoco").IsChecked()), Timeout);
        var request = Assert.Single(context.Api.RequestsTo<SetUserActiveRequest>("SetUserActive"));
        Assert.Equal("u_coco", request.UserId);
        Assert.False(request.Active);
        Assert.Contains("已停用", page.Find("[data-testid=user-row-wanhongcoco]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_signed_in_admin_cannot_deactivate_their_own_account_and_is_told_why()
    {
        await using var context = new AdminTestContext(roles: ["admin"]);
        var me = new User { Id = "u_tester", Handle = "tester", DisplayName = "tester", Roles = { "viewer", "admin" }, Active = true };
        context.Api.On<ListUsersRequest, ListUsersResponse>("ListUsers", _ => new ListUsersResponse { Users = { me, new User(Coco) { Active = true } } });
        var page = context.Render<Users>();
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid=user-row-tester]")), Timeout);

        Assert.True(page.InputOf("user-active-tester").HasAttribute("disabled"));
        Assert.Contains("不能停用自己", page.Find("[data-testid=user-active-self-tester]").TextContent, StringComparison.Ordinal);
        Assert.False(page.InputOf("user-active-wanhongcoco").HasAttribute("disabled"));
        Assert.Empty(page.FindAll("[data-testid=user-active-self-wanhongcoco]"));
    }
}
