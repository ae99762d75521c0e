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
        // Closing with typed input asks first.
        await Page.GetByTestId("session-dialog-close").ClickAsync();
        await Page.GetByTestId("confirm-yes").ClickAsync();
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

    [Fact]
    public async Task A_cancelled_session_and_one_over_it_are_shown_side_by_side()
    {
        var cancelled = UniqueTitle("已取消的直播");
        var replacement = UniqueTitle("改到同一时段");
        await OpenScheduleAsync();
        await CreateSessionAsync(cancelled, Day(12), "10:00");
        var cancelledId = await SessionIdAsync(SessionChip(cancelled));
        await ShowListAsync();
        await Page.GetByTestId($"session-cancel-{cancelledId}").ClickAsync();
        await Page.GetByTestId("confirm-yes").ClickAsync();
        await Expect(ListRow(cancelled).GetByTestId("session-status")).ToHaveTextAsync("已取消");
        await Page.GetByTestId("view-week").ClickAsync();
        await CreateSessionAsync(replacement, Day(12), "10:30");
        var replacementId = await SessionIdAsync(SessionChip(replacement));

        var day = Page.GetByTestId($"calendar-day-{Day(12)}");
        var left = await BoxAsync(day.GetByTestId($"session-block-{cancelledId}"));
        var right = await BoxAsync(day.GetByTestId($"session-block-{replacementId}"));
        var column = await BoxAsync(day);
        // Side by side, each half the day's width, the later one lower by half an hour of the grid.
        Assert.True(right.X >= left.X + left.Width - 1, $"{left.X}+{left.Width} vs {right.X}");
        Assert.InRange(left.Width, column.Width * 0.4, column.Width * 0.55);
        Assert.InRange(right.Y - left.Y, 15, 30);
    }

    [Fact]
    public async Task A_session_over_midnight_is_on_both_days_and_the_day_view_steps_through_the_address()
    {
        var title = UniqueTitle("跨夜直播");
        await OpenScheduleAsync();
        await Page.GetByTestId("schedule-new").ClickAsync();
        await WaitForSessionDialogAsync();
        await Page.SetAsync("session-title", title);
        await Page.SetAsync("session-date", Day(13));
        await Page.SetAsync("session-time", "23:00");
        await Page.SetAsync("session-duration", "120");
        await Page.GetByTestId("session-save").ClickAsync();
        // Shown on both days: two chips.
        var id = await SessionIdAsync(SessionChip(title).First);

        await GotoInteractiveAsync($"/schedule?view=day&date={Day(13)}");
        await Expect(Page.GetByTestId($"calendar-day-{Day(13)}").GetByTestId($"session-block-{id}")).ToBeVisibleAsync();
        await Page.GetByTestId("week-next").ClickAsync();

        await Expect(Page).ToHaveURLAsync(new Regex($"view=day&date={Day(14)}$"));
        var second = Page.GetByTestId($"calendar-day-{Day(14)}").GetByTestId($"session-block-{id}");
        await Expect(second).ToBeVisibleAsync();
        await Expect(second.GetByTestId("chip-time")).ToContainTextAsync("23:00–01:00");
    }

    [Fact]
    public async Task The_month_view_shows_the_demo_chapter_19_session_on_its_day()
    {
        // The demo's 第19章 session is on the next 05-04 at 19:30 in Shanghai.
        var shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");
        var now = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, shanghai).DateTime;
        var day = new DateOnly(now.Year, 5, 4);
        if (day.ToDateTime(new TimeOnly(19, 30)) <= now)
        {
            day = day.AddYears(1);
        }
        var iso = day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

        await OpenSignedInAsync(LearnHubServer.Instructor, $"/schedule?view=month&date={iso}");

        var item = Page.GetByTestId($"month-day-{iso}").GetByTestId("month-item-s_demo_ch19");
        await Expect(item).ToContainTextAsync("19:30 经济基础第19章考点梳理");
        await Expect(Page.GetByTestId("view-month")).ToHaveAttributeAsync("aria-pressed", "true");
        Assert.False(await Page.EvaluateAsync<bool>("document.documentElement.scrollWidth > document.documentElement.clientWidth"));
    }

    [Fact]
    public async Task Back_from_a_session_page_returns_to_the_same_week()
    {
        var title = UniqueTitle("返回本周");
        await OpenScheduleAsync();
        await CreateSessionAsync(title, Day(15), "09:00");
        await Expect(Page).ToHaveURLAsync(new Regex($"/schedule\\?view=week&date={Day(15)}$"));
        await Expect(SessionChip(title)).ToBeVisibleAsync();
        var range = await Page.GetByTestId("week-range").TextContentAsync();

        await SessionChip(title).ClickAsync();
        await Expect(Page).ToHaveURLAsync(new Regex("/sessions/"));
        await Page.GoBackAsync();

        await Expect(Page).ToHaveURLAsync(new Regex($"/schedule\\?view=week&date={Day(15)}$"));
        await Expect(Page.GetByTestId("week-range")).ToHaveTextAsync(range!);
        await Expect(SessionChip(title)).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Esc_asks_before_discarding_input_and_in_the_zone_suggestions_only_closes_them()
    {
        await OpenScheduleAsync();
        await Page.GetByTestId("schedule-new").ClickAsync();
        await WaitForSessionDialogAsync();
        await Page.SetAsync("session-title", "还没保存的标题");

        // The zone field finds cities in either language, named in the user's, with the zone and its offset.
        var zone = Page.Field("session-timezone");
        await zone.FillAsync("New York");
        await Expect(Page.GetByTestId("tz-option-America/New_York")).ToContainTextAsync("纽约");
        await Expect(Page.GetByTestId("tz-option-America/New_York")).ToContainTextAsync(new Regex(@"America/New_York · UTC-0[45]:00"));
        await zone.FillAsync("北京");
        await Expect(Page.GetByTestId("tz-option-Asia/Shanghai")).ToContainTextAsync("北京");
        await Expect(Page.GetByTestId("tz-option-Asia/Shanghai")).ToContainTextAsync("Asia/Shanghai · UTC+08:00");
        await zone.PressAsync("Escape");
        await Expect(Page.GetByTestId("tz-option-Asia/Shanghai")).ToHaveCountAsync(0);
        await Expect(Page.GetByTestId("confirm-dialog")).ToHaveCountAsync(0);
        await Expect(Page.GetByTestId("session-save")).ToBeVisibleAsync();

        await Page.Field("session-title").PressAsync("Escape");
        await Expect(Page.GetByTestId("confirm-dialog")).ToBeVisibleAsync();
        await Page.GetByTestId("confirm-no").ClickAsync();
        await Expect(Page.Field("session-title")).ToHaveValueAsync("还没保存的标题");

        await Page.Field("session-title").PressAsync("Escape");
        await Page.GetByTestId("confirm-yes").ClickAsync();
        await Expect(Page.GetByTestId("session-save")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task At_phone_width_the_schedule_opens_on_today_and_the_week_scrolls_inside_its_box()
    {
        await Page.SetViewportSizeAsync(390, 844);
        await OpenScheduleAsync();

        // A phone opens on the day view of today.
        await Expect(Page).ToHaveURLAsync(new Regex($"view=day&date={Day(0)}$"));
        await Expect(Page.Locator("[data-testid^='calendar-day-']")).ToHaveCountAsync(1);
        Assert.False(await Page.EvaluateAsync<bool>("document.documentElement.scrollWidth > document.documentElement.clientWidth"));

        // The week is still there: its columns keep a readable width and scroll inside the grid, not the page.
        await Page.GetByTestId("view-week").ClickAsync();
        await Expect(Page.Locator("[data-testid^='calendar-day-']")).ToHaveCountAsync(7);
        var column = await BoxAsync(Page.Locator("[data-testid^='calendar-day-']").First);
        Assert.True(column.Width >= 100, $"day column {column.Width}px");
        Assert.False(await Page.EvaluateAsync<bool>("document.documentElement.scrollWidth > document.documentElement.clientWidth"));
        await Page.GetByTestId("view-month").ClickAsync();
        await Expect(Page.GetByTestId("month-calendar")).ToBeVisibleAsync();
        Assert.False(await Page.EvaluateAsync<bool>("document.documentElement.scrollWidth > document.documentElement.clientWidth"));
    }

    private static async Task<LocatorBoundingBoxResult> BoxAsync(ILocator locator)
    {
        await Expect(locator).ToBeVisibleAsync();
        return await locator.BoundingBoxAsync() ?? throw new InvalidOperationException("no box");
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
