using System.Globalization;
using System.Text.RegularExpressions;
using LearnHub.Browser.Tests.Infrastructure;

namespace LearnHub.Browser.Tests;

/// <summary>
/// The instructor's schedule (我的日程) against the real server: create, a conflict refused naming the other session,
/// reschedule and cancel. Each test uses its own day, so the tests of the class do not collide on the shared server.
/// </summary>
public sealed class ScheduleTests(LearnHubServer server) : BrowserTest(server), IClassFixture<LearnHubServer>
{
    [Fact]
    public async Task Instructor_creates_a_session_and_sees_it_in_the_week()
    {
        var title = UniqueTitle("新建直播");
        await OpenScheduleAsync();

        await CreateSessionAsync(title, Day(8), "10:00");

        // The week of the new session is shown, with the session at the picked time in the user's zone.
        var chip = SessionChip(title);
        await Expect(chip).ToBeVisibleAsync();
        await Expect(chip.GetByTestId("chip-time")).ToHaveTextAsync("10:00–11:00");
        await Expect(chip.GetByTestId("chip-status")).ToHaveTextAsync("未开播");
        await Expect(Page.GetByText($"已创建直播《{title}》")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task A_session_overlapping_another_is_refused_and_the_other_session_is_named_with_a_link()
    {
        var first = UniqueTitle("先排的直播");
        var second = UniqueTitle("冲突的直播");
        await OpenScheduleAsync();
        await CreateSessionAsync(first, Day(9), "10:00");
        var firstId = await SessionIdAsync(SessionChip(first));

        await CreateSessionAsync(second, Day(9), "10:30");

        await Expect(Page.GetByTestId("session-conflict")).ToBeVisibleAsync();
        var link = Page.GetByTestId("session-conflict-link");
        await Expect(link).ToHaveTextAsync($"《{first}》");
        await Expect(link).ToHaveAttributeAsync("href", new Regex($"sessions/{Regex.Escape(firstId)}$"));
        // Refused: the dialog stays open with what was typed, and nothing was written.
        await Expect(Page.Field("session-title")).ToHaveValueAsync(second);
        await Page.GetByTestId("session-dialog-close").ClickAsync();
        await Expect(SessionChip(first)).ToBeVisibleAsync();
        await Expect(SessionChip(second)).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task Instructor_reschedules_a_session_from_the_list()
    {
        var title = UniqueTitle("改期直播");
        await OpenScheduleAsync();
        await CreateSessionAsync(title, Day(10), "10:00");
        var id = await SessionIdAsync(SessionChip(title));
        await ShowListAsync();
        await Expect(ListRow(title).GetByTestId("row-start")).ToHaveTextAsync($"{Day(10)} 10:00");

        await Page.GetByTestId($"session-edit-{id}").ClickAsync();
        await WaitForSessionDialogAsync();
        await Expect(Page.Field("session-title")).ToHaveValueAsync(title);
        await Page.SetAsync("session-time", "14:00");
        await Page.GetByTestId("session-save").ClickAsync();

        await Expect(Page.GetByText($"已保存直播《{title}》")).ToBeVisibleAsync();
        await Expect(ListRow(title).GetByTestId("row-start")).ToHaveTextAsync($"{Day(10)} 14:00");
    }

    [Fact]
    public async Task Instructor_cancels_a_session_after_confirming()
    {
        var title = UniqueTitle("取消直播");
        await OpenScheduleAsync();
        await CreateSessionAsync(title, Day(11), "10:00");
        var id = await SessionIdAsync(SessionChip(title));
        await ShowListAsync();

        await Page.GetByTestId($"session-cancel-{id}").ClickAsync();
        await Expect(Page.GetByTestId("confirm-message")).ToContainTextAsync(title);
        await Page.SetAsync("cancel-reason", "讲师临时有事");
        await Page.GetByTestId("confirm-yes").ClickAsync();

        await Expect(Page.GetByText($"已取消直播《{title}》")).ToBeVisibleAsync();
        await Expect(ListRow(title).GetByTestId("session-status")).ToHaveTextAsync("已取消");
        // A cancelled session can be neither cancelled again nor edited.
        await Expect(Page.GetByTestId($"session-cancel-{id}")).ToHaveCountAsync(0);
        await Expect(Page.GetByTestId($"session-edit-{id}")).ToHaveCountAsync(0);
    }

    private async Task OpenScheduleAsync()
    {
        await OpenSignedInAsync(LearnHubServer.Instructor, "/schedule");
        await Expect(Page.GetByTestId("schedule-new")).ToBeEnabledAsync();
    }

    /// <summary>Fills the new-session dialog (the user's zone is Asia/Shanghai, 60 minutes by default) and saves.</summary>
    private async Task CreateSessionAsync(string title, string date, string time)
    {
        await Page.GetByTestId("schedule-new").ClickAsync();
        await WaitForSessionDialogAsync();
        await Page.SetAsync("session-title", title);
        await Page.SetAsync("session-date", date);
        await Page.SetAsync("session-time", time);
        await Page.GetByTestId("session-save").ClickAsync();
    }

    /// <summary>Save is enabled once the dialog has filled its fields (defaults or the session) and loaded the courses; typing earlier would be overwritten.</summary>
    private async Task WaitForSessionDialogAsync() =>
        await Expect(Page.GetByTestId("session-save")).ToBeEnabledAsync();

    private async Task ShowListAsync()
    {
        await Page.GetByTestId("view-list").ClickAsync();
        await Expect(Page.GetByTestId("session-table")).ToBeVisibleAsync();
    }

    private ILocator SessionChip(string title) =>
        Page.Locator("[data-testid^='session-chip-']").Filter(new LocatorFilterOptions { HasText = title });

    private ILocator ListRow(string title) =>
        Page.Locator("tr").Filter(new LocatorFilterOptions { Has = Page.GetByRole(AriaRole.Link, new PageGetByRoleOptions { Name = title, Exact = true }) });

    private static async Task<string> SessionIdAsync(ILocator chip)
    {
        await Expect(chip).ToBeVisibleAsync();
        return (await chip.GetAttributeAsync("data-testid"))!["session-chip-".Length..];
    }

    private static string UniqueTitle(string prefix) => $"{prefix}{Guid.NewGuid().ToString("N")[..6]}";

    /// <summary>A day ahead in the instructor's zone, as the date field takes it (yyyy-MM-dd).</summary>
    private static string Day(int daysAhead) =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai")).DateTime)
            .AddDays(daysAhead).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
