using LearnHub.Admin.Components.Pages;
using LearnHub.Admin.Tests.Infrastructure;

namespace LearnHub.Admin.Tests;

public sealed class HomeTests
{
    [Fact]
    public void Home_lists_the_signed_in_users_roles()
    {
        using var context = new AdminTestContext(roles: ["instructor", "viewer"]);

        var home = context.Render<Home>();

        Assert.Contains("instructor", home.Find("[data-testid=home-roles]").TextContent, StringComparison.Ordinal);
    }
}
