using LearnHub.Browser.Tests.Infrastructure;

namespace LearnHub.Browser.Tests;

/// <summary>
/// The menu shows each role only what it may use; unknown addresses and refused pages stay inside the layout; the
/// favicon is served.
/// </summary>
public sealed class NavigationTests(LearnHubServer server) : BrowserTest(server), IClassFixture<LearnHubServer>
{
    private static readonly string[] InstructorLinks = ["nav-schedule", "nav-courses", "nav-series"];
    private static readonly string[] AdminLinks = ["nav-users", "nav-settings"];
    private static readonly string[] BroadcastLinks = ["nav-broadcast-new", "nav-broadcasts"];
    private static readonly string[] ReviewLinks = ["nav-review-broadcasts", "nav-review-reports"];

    [Fact]
    public async Task Viewer_sees_no_schedule_courses_or_admin_links()
    {
        await OpenSignedInAsync(LearnHubServer.Viewer);

        await Expect(Page.GetByTestId("nav-calendar")).ToBeVisibleAsync();
        await ExpectAbsentAsync([.. InstructorLinks, .. AdminLinks, .. BroadcastLinks, .. ReviewLinks]);
        await Expect(Page.GetByTestId("home-roles")).ToHaveTextAsync("你的角色：学员");
    }

    [Fact]
    public async Task Instructor_who_is_not_certified_has_no_broadcast_links_and_home_says_how_to_get_them()
    {
        await OpenSignedInAsync(LearnHubServer.Instructor);

        await ExpectVisibleAsync(["nav-schedule", "nav-inbox", "nav-following"]);
        await ExpectAbsentAsync(BroadcastLinks);
        await Expect(Page.GetByTestId("home-broadcast-locked")).ToContainTextAsync("认证");
        await Expect(Page.GetByTestId("home-roles")).ToHaveTextAsync("你的角色：讲师、学员");
    }

    [Fact]
    public async Task Certified_creator_has_the_broadcast_links()
    {
        await OpenSignedInAsync(await Server.CertifiedCreatorAsync());

        await ExpectVisibleAsync([.. BroadcastLinks, "nav-schedule"]);
        await Expect(Page.GetByTestId("home-broadcast-locked")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task Reviewer_sees_the_review_queues_and_live_but_no_instructor_or_admin_links()
    {
        await OpenSignedInAsync(await Server.ReviewerAsync());

        await ExpectVisibleAsync([.. ReviewLinks, "nav-live"]);
        await ExpectAbsentAsync([.. InstructorLinks, .. AdminLinks, .. BroadcastLinks]);
        await Expect(Page.GetByTestId("home-roles")).ToHaveTextAsync("你的角色：审核员、学员");
    }

    [Fact]
    public async Task An_unknown_address_answers_404_with_the_page_inside_the_layout_and_a_way_home()
    {
        await UseSignedInCookiesAsync(LearnHubServer.Viewer);

        var response = await Context.APIRequest.GetAsync("/no-such-page/here");
        Assert.Equal(404, response.Status);
        await GotoInteractiveAsync("/no-such-page/here");
        await Expect(Page.GetByTestId("not-found")).ToContainTextAsync("页面不存在");
        await Expect(Page.GetByTestId("nav-calendar")).ToBeVisibleAsync();
        await Page.GetByTestId("not-found-home").ClickAsync();
        await Expect(Page.GetByTestId("home-roles")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Access_denied_is_inside_the_layout_with_the_reason()
    {
        await UseSignedInCookiesAsync(LearnHubServer.Viewer);

        await GotoInteractiveAsync("/admin/users");
        await Expect(Page.GetByTestId("access-denied-reason")).ToContainTextAsync("联系管理员");
        await Expect(Page.GetByTestId("nav-calendar")).ToBeVisibleAsync();
        await Expect(Page.GetByTestId("sign-out")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task The_favicon_is_served()
    {
        var response = await Context.APIRequest.GetAsync("/favicon.ico");

        Assert.Equal(200, response.Status);
        Assert.Equal("image/x-icon", response.Headers["content-type"]);
        Assert.NotEmpty(await response.BodyAsync());
    }

    [Fact]
    public async Task Instructor_sees_schedule_courses_and_series_but_no_admin_links()
    {
        await OpenSignedInAsync(LearnHubServer.Instructor);

        await ExpectVisibleAsync([.. InstructorLinks, "nav-calendar"]);
        await ExpectAbsentAsync(AdminLinks);
    }

    [Fact]
    public async Task Admin_sees_every_link()
    {
        await OpenSignedInAsync(LearnHubServer.Admin);

        await ExpectVisibleAsync([.. InstructorLinks, "nav-calendar", .. AdminLinks, .. ReviewLinks]);
    }

    private async Task ExpectVisibleAsync(string[] testIds)
    {
        foreach (var testId in testIds)
        {
            await Expect(Page.GetByTestId(testId)).ToBeVisibleAsync();
        }
    }

    /// <summary>Not rendered at all (not merely hidden); checked after the menu has rendered its visible links.</summary>
    private async Task ExpectAbsentAsync(string[] testIds)
    {
        foreach (var testId in testIds)
        {
            await Expect(Page.GetByTestId(testId)).ToHaveCountAsync(0);
        }
    }
}
