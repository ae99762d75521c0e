using System.Globalization;
using System.Text.RegularExpressions;
using LearnHub.Browser.Tests.Infrastructure;

namespace LearnHub.Browser.Tests;

/// <summary>系列排课: every generated date previewed (conflicts marked) before anything is written, then committed at once.</summary>
public sealed class SeriesTests(LearnHubServer server) : BrowserTest(server), IClassFixture<LearnHubServer>
{
    [Fact]
    public async Task Instructor_previews_a_series_commits_it_and_a_second_preview_marks_every_date_as_taken()
    {
        // Wednesdays and Saturdays at the planner's default 19:30, starting weeks away from the demo sessions (May).
        await OpenPlannerAsync();
        await Page.GetByTestId("series-weekday-3").ClickAsync();
        await Page.GetByTestId("series-weekday-6").ClickAsync();
        await Page.SetAsync("series-start-date", DateText(ShanghaiToday().AddDays(40)));

        await Page.GetByTestId("series-preview").ClickAsync();
        // One session per chapter of 经济基础 (第19章, 第20章), none written yet.
        await Expect(Page.GetByTestId("series-preview-clean")).ToBeVisibleAsync();
        await Expect(Page.GetByTestId("series-chapter-1")).ToHaveTextAsync("第19章");
        await Expect(Page.GetByTestId("series-chapter-2")).ToHaveTextAsync("第20章");
        await Expect(Page.GetByTestId("series-row-3")).ToHaveCountAsync(0);
        await Expect(Page.GetByTestId("series-start-1")).ToContainTextAsync("19:30");
        await Expect(Page.GetByTestId("series-start-2")).ToContainTextAsync("19:30");
        var firstTitle = (await Page.GetByTestId("series-title-1").InnerTextAsync()).Trim();

        await Page.GetByTestId("series-commit").ClickAsync();
        await Expect(Page.GetByTestId("confirm-message")).ToContainTextAsync("2");
        await Page.GetByTestId("confirm-yes").ClickAsync();
        await Expect(Page.GetByTestId("series-done")).ToContainTextAsync("2");

        // The same series again: both dates are now taken by the sessions just written, so nothing can be committed.
        await Page.GetByTestId("series-preview").ClickAsync();
        await Expect(Page.GetByTestId("series-preview-conflicts")).ToBeVisibleAsync();
        await Expect(Page.GetByTestId("series-conflict-link-1")).ToHaveTextAsync(firstTitle);
        await Expect(Page.GetByTestId("series-conflict-2")).ToBeVisibleAsync();
        await Expect(Page.GetByTestId("series-commit")).ToBeDisabledAsync();
    }

    // Blazor reports an <input type="time"> change as "HH:mm:ss"; the planner must send the API's "HH:mm".
    [Fact]
    public async Task A_time_picked_in_the_time_field_is_the_time_previewed()
    {
        await OpenPlannerAsync();
        await Page.GetByTestId("series-weekday-2").ClickAsync();
        await Page.SetAsync("series-start-date", DateText(ShanghaiToday().AddDays(70)));
        await Page.SetAsync("series-time", "08:00");

        await Page.GetByTestId("series-preview").ClickAsync();

        await Expect(Page.GetByTestId("series-start-1")).ToContainTextAsync("08:00");
        await Expect(Page.GetByText("local_time")).ToHaveCountAsync(0);
    }

    private async Task OpenPlannerAsync()
    {
        await OpenSignedInAsync(LearnHubServer.Instructor, "/series");
        // The instructor's only course is preselected (MudSelect puts the test id on its input).
        await Expect(Page.GetByTestId("series-course")).ToHaveValueAsync(new Regex("经济基础"));
    }

    private static string DateText(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static DateOnly ShanghaiToday() =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai")).DateTime);
}
