using LearnHub.Browser.Tests.Infrastructure;

namespace LearnHub.Browser.Tests;

/// <summary>The menu shows each role only what it may use.</summary>
public sealed class NavigationTests(LearnHubServer server) : BrowserTest(server), IClassFixture<LearnHubServer>
{
    private static readonly string[] InstructorLinks = ["nav-schedule", "nav-courses", "nav-series"];
    private static readonly string[] AdminLinks = ["nav-users", "nav-settings"];

    [Fact]
    public async Task Viewer_sees_no_schedule_courses_or_admin_links()
    {
        await OpenSignedInAsync(LearnHubServer.Viewer);

        await Expect(Page.GetByTestId("nav-calendar")).ToBeVisibleAsync();
        await ExpectAbsentAsync([.. InstructorLinks, .. AdminLinks]);
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

        await ExpectVisibleAsync([.. InstructorLinks, "nav-calendar", .. AdminLinks]);
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
