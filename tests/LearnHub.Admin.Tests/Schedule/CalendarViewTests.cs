using LearnHub.Admin.Components.Pages.Schedule;
using LearnHub.Api.V1;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;

namespace LearnHub.Admin.Tests.Schedule;

/// <summary>The hour grid, the month view and the address that carries the view and the date.</summary>
public sealed class CalendarViewTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    // The fake clock is Friday 2026-05-01 02:00 UTC (10:00 in Shanghai).
    private static DateTimeOffset Shanghai(int month, int day, int hour, int minute) => new(2026, month, day, hour - 8, minute, 0, TimeSpan.Zero);

    [Fact]
    public async Task Overlapping_sessions_sit_side_by_side_and_one_over_midnight_is_on_both_days()
    {
        await using var context = ScheduleFakes.Context();
        WeekCalendarTests.Serve(context,
            ScheduleFakes.Session("a", "经济基础第19章", Shanghai(5, 5, 19, 0), minutes: 120),
            ScheduleFakes.Session("b", "人力资源管理第1章", Shanghai(5, 5, 20, 0), minutes: 60),
            ScheduleFakes.Session("late", "深夜答疑", Shanghai(5, 6, 23, 0), minutes: 120));
        context.Services.GetRequiredService<NavigationManager>().NavigateTo("schedule?view=week&date=2026-05-06");

        var cut = context.RenderWithProviders<MySchedule>();

        cut.WaitForElement("[data-testid=calendar-day-2026-05-05] [data-testid=session-block-a]", Timeout);
        var a = cut.Find("[data-testid=session-block-a]");
        var b = cut.Find("[data-testid=session-block-b]");
        Assert.Equal(("0", "2"), (a.GetAttribute("data-column"), a.GetAttribute("data-columns")));
        Assert.Equal(("1", "2"), (b.GetAttribute("data-column"), b.GetAttribute("data-columns")));
        Assert.Contains("left:50%", b.GetAttribute("style"), StringComparison.Ordinal);
        Assert.Contains("19:00–21:00", a.TextContent, StringComparison.Ordinal);
        Assert.Single(cut.FindAll("[data-testid=calendar-day-2026-05-06] [data-testid=session-block-late]"));
        Assert.Single(cut.FindAll("[data-testid=calendar-day-2026-05-07] [data-testid=session-block-late]"));
        Assert.Contains("2026-05-04 – 2026-05-10", cut.Find("[data-testid=week-range]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task New_is_offered_on_today_and_later_days_only_and_the_now_line_is_on_today()
    {
        await using var context = ScheduleFakes.Context();
        WeekCalendarTests.Serve(context);

        var cut = context.RenderWithProviders<MySchedule>();

        cut.WaitForElement("[data-testid=calendar-new-2026-05-01]", Timeout);
        Assert.Empty(cut.FindAll("[data-testid=calendar-new-2026-04-30]"));
        Assert.Empty(cut.FindAll("[data-testid=calendar-new-2026-04-27]"));
        Assert.Single(cut.FindAll("[data-testid=calendar-new-2026-05-03]"));
        Assert.Single(cut.FindAll("[data-testid=calendar-day-2026-05-01] [data-testid=calendar-now]"));
    }

    [Fact]
    public async Task The_month_view_lists_sessions_per_day_with_more_and_the_address_keeps_view_and_date()
    {
        await using var context = ScheduleFakes.Context();
        var busy = Enumerable.Range(0, 5).Select(i => ScheduleFakes.Session($"m{i}", $"第{i + 1}讲", Shanghai(12, 8, 8 + 2 * i, 0))).ToArray();
        WeekCalendarTests.Serve(context, [.. busy, ScheduleFakes.Session("x", "经济基础第19章考点梳理", Shanghai(12, 20, 19, 30))]);
        var navigation = context.Services.GetRequiredService<NavigationManager>();
        navigation.NavigateTo("schedule?view=month&date=2026-12-07");

        var cut = context.RenderWithProviders<MySchedule>();

        cut.WaitForElement("[data-testid=month-day-2026-12-20] [data-testid=month-item-x]", Timeout);
        Assert.Equal(3, cut.FindAll("[data-testid=month-day-2026-12-08] [data-testid^=month-item-]").Count);
        var more = cut.Find("[data-testid=month-more-2026-12-08]");
        Assert.Contains("还有 2 场", more.TextContent, StringComparison.Ordinal);
        Assert.EndsWith("schedule?view=day&date=2026-12-08", more.GetAttribute("href"), StringComparison.Ordinal);
        // The grid runs Monday 11-30 to Sunday 01-03, and the request covers it from the day before.
        Assert.Equal(35, cut.FindAll("[data-testid^=month-day-]").Count);
        var request = context.Api.RequestsTo<ListSessionsRequest>("ListSessions").Last();
        Assert.Equal(new DateTimeOffset(2026, 11, 28, 16, 0, 0, TimeSpan.Zero), request.StartFrom.ToDateTimeOffset());

        ScheduleUi.Click(cut, "week-next");
        cut.WaitForAssertion(() => Assert.EndsWith("schedule?view=month&date=2027-01-07", navigation.Uri, StringComparison.Ordinal), Timeout);
        ScheduleUi.Click(cut, "view-week");
        cut.WaitForAssertion(() =>
        {
            Assert.EndsWith("schedule?view=week&date=2027-01-07", navigation.Uri, StringComparison.Ordinal);
            Assert.Contains("2027-01-04 – 2027-01-10", cut.Find("[data-testid=week-range]").TextContent, StringComparison.Ordinal);
        }, Timeout);
    }

    [Fact]
    public async Task The_day_view_shows_one_day_and_steps_by_a_day()
    {
        await using var context = ScheduleFakes.Context();
        WeekCalendarTests.Serve(context, ScheduleFakes.Session("d", "经济基础第19章考点梳理", Shanghai(5, 2, 19, 30)));
        var navigation = context.Services.GetRequiredService<NavigationManager>();
        navigation.NavigateTo("schedule?view=day&date=2026-05-01");

        var cut = context.RenderWithProviders<MySchedule>();
        cut.WaitForElement("[data-testid=calendar-day-2026-05-01]", Timeout);
        Assert.Single(cut.FindAll("[data-testid^=calendar-day-]"));
        Assert.Empty(cut.FindAll("[data-testid=session-block-d]"));

        ScheduleUi.Click(cut, "week-next");

        cut.WaitForElement("[data-testid=calendar-day-2026-05-02] [data-testid=session-block-d]", Timeout);
        Assert.EndsWith("schedule?view=day&date=2026-05-02", navigation.Uri, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Picking_a_date_jumps_there_in_one_step()
    {
        await using var context = ScheduleFakes.Context();
        WeekCalendarTests.Serve(context, ScheduleFakes.Session("far", "经济基础第19章考点梳理", Shanghai(5, 4, 19, 30).AddYears(1)));
        var navigation = context.Services.GetRequiredService<NavigationManager>();
        var cut = context.RenderWithProviders<MySchedule>();
        cut.WaitForElement("[data-testid=week-calendar]", Timeout);

        var picker = cut.FindComponent<MudBlazor.MudDatePicker>();
        await cut.InvokeAsync(() => picker.Instance.DateChanged.InvokeAsync(new DateTime(2027, 5, 4)));

        cut.WaitForElement("[data-testid=calendar-day-2027-05-04] [data-testid=session-block-far]", Timeout);
        Assert.EndsWith("schedule?view=week&date=2027-05-04", navigation.Uri, StringComparison.Ordinal);
        Assert.Contains("2027-05-03 – 2027-05-09", cut.Find("[data-testid=week-range]").TextContent, StringComparison.Ordinal);
    }
}
