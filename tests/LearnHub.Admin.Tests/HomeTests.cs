using LearnHub.Admin.Components.Pages;
using LearnHub.Admin.Tests.Infrastructure;
using LearnHub.Api.V1;

namespace LearnHub.Admin.Tests;

public sealed class HomeTests
{
    [Fact]
    public void Home_lists_the_signed_in_users_roles_by_name_in_their_language()
    {
        using var context = new AdminTestContext(roles: ["viewer", "instructor"]);

        var home = context.Render<Home>();

        var roles = home.Find("[data-testid=home-roles]").TextContent;
        Assert.Contains("你的角色：讲师、学员", roles, StringComparison.Ordinal);
        Assert.DoesNotContain("instructor", roles, StringComparison.Ordinal);
    }

    [Fact]
    public void Home_tells_an_instructor_who_is_not_certified_how_to_get_broadcasts()
    {
        using var context = new AdminTestContext(roles: ["instructor"]);
        context.Api.On<GetMeRequest, User>("GetMe", _ => new() { Id = "u_tester", Roles = { "viewer", "instructor" }, Certified = false });

        var home = context.Render<Home>();

        Assert.Contains("联系管理员", home.Find("[data-testid=home-broadcast-locked]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void Home_says_nothing_about_certification_to_a_certified_creator()
    {
        using var context = new AdminTestContext(roles: ["instructor"]);
        context.Api.On<GetMeRequest, User>("GetMe", _ => new() { Id = "u_tester", Roles = { "viewer", "instructor" }, Certified = true });

        var home = context.Render<Home>();

        Assert.Empty(home.FindAll("[data-testid=home-broadcast-locked]"));
    }
}
