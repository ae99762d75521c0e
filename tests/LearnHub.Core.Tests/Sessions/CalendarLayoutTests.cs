using LearnHub.Core.Sessions;

namespace LearnHub.Core.Tests.Sessions;

public sealed class CalendarLayoutTests
{
    private static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");
    private static readonly TimeZoneInfo NewYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
    private static readonly DateOnly Monday = new(2026, 12, 7);

    private static CalendarEntry<string> At(string id, int day, int hour, int minute, int minutes, TimeZoneInfo zone)
    {
        var start = CourseSeriesPlanner.ToInstant(new DateTime(2026, 12, day, hour, minute, 0), zone);
        return new CalendarEntry<string>(id, start, start.AddMinutes(minutes));
    }

    [Fact]
    public void A_session_is_placed_by_its_wall_clock_start_and_length_in_the_viewers_zone()
    {
        // 19:30–21:00 in Shanghai is 06:30–08:00 in New York.
        var entry = At("a", 8, 19, 30, 90, Shanghai);

        var inShanghai = Assert.Single(CalendarLayout.Place([entry], Monday, 7, Shanghai));
        var inNewYork = Assert.Single(CalendarLayout.Place([entry], Monday, 7, NewYork));

        Assert.Equal((new DateOnly(2026, 12, 8), 19 * 60 + 30, 21 * 60), (inShanghai.Day, inShanghai.FromMinute, inShanghai.ToMinute));
        Assert.Equal((new DateOnly(2026, 12, 8), 6 * 60 + 30, 8 * 60), (inNewYork.Day, inNewYork.FromMinute, inNewYork.ToMinute));
        Assert.Equal((0, 1), (inShanghai.Column, inShanghai.Columns));
    }

    [Fact]
    public void Overlapping_sessions_share_the_day_in_columns_and_a_later_one_reuses_a_free_column()
    {
        var blocks = CalendarLayout.Place(
            [At("a", 9, 19, 0, 120, Shanghai), At("b", 9, 20, 0, 60, Shanghai), At("c", 9, 20, 30, 60, Shanghai), At("d", 9, 22, 0, 30, Shanghai)],
            Monday, 7, Shanghai).ToDictionary(b => b.Item);

        // a 19–21, b 20–21, c 20:30–21:30 all overlap: three columns.
        Assert.Equal((0, 3), (blocks["a"].Column, blocks["a"].Columns));
        Assert.Equal((1, 3), (blocks["b"].Column, blocks["b"].Columns));
        Assert.Equal((2, 3), (blocks["c"].Column, blocks["c"].Columns));
        // d starts after all of them end: the full width again.
        Assert.Equal((0, 1), (blocks["d"].Column, blocks["d"].Columns));
    }

    [Fact]
    public void Back_to_back_sessions_do_not_overlap()
    {
        var blocks = CalendarLayout.Place([At("a", 9, 19, 0, 60, Shanghai), At("b", 9, 20, 0, 60, Shanghai)], Monday, 7, Shanghai);

        Assert.All(blocks, b => Assert.Equal((0, 1), (b.Column, b.Columns)));
    }

    [Fact]
    public void A_session_over_midnight_is_shown_on_both_days()
    {
        var blocks = CalendarLayout.Place([At("late", 10, 22, 30, 120, Shanghai)], Monday, 7, Shanghai);

        Assert.Equal(2, blocks.Count);
        Assert.Equal((new DateOnly(2026, 12, 10), 22 * 60 + 30, 1440, false, true),
            (blocks[0].Day, blocks[0].FromMinute, blocks[0].ToMinute, blocks[0].ContinuesFromPreviousDay, blocks[0].ContinuesToNextDay));
        Assert.Equal((new DateOnly(2026, 12, 11), 0, 30, true, false),
            (blocks[1].Day, blocks[1].FromMinute, blocks[1].ToMinute, blocks[1].ContinuesFromPreviousDay, blocks[1].ContinuesToNextDay));
    }

    [Fact]
    public void Only_the_visible_days_are_shown()
    {
        // Sunday 23:00 → Monday 01:00 seen from a one-day view of Monday, and a session on Tuesday.
        var blocks = CalendarLayout.Place([At("edge", 6, 23, 0, 120, Shanghai), At("tuesday", 8, 9, 0, 60, Shanghai)], Monday, 1, Shanghai);

        var block = Assert.Single(blocks);
        Assert.Equal(("edge", Monday, 0, 60, true), (block.Item, block.Day, block.FromMinute, block.ToMinute, block.ContinuesFromPreviousDay));
    }

    [Fact]
    public void On_a_spring_forward_day_blocks_follow_the_wall_clock()
    {
        // 2026-03-08 in New York: 02:00 jumps to 03:00. A session 01:30–03:30 wall time lasts one hour.
        var start = CourseSeriesPlanner.ToInstant(new DateTime(2026, 3, 8, 1, 30, 0), NewYork);
        var blocks = CalendarLayout.Place([new CalendarEntry<string>("dst", start, start.AddHours(1))], new DateOnly(2026, 3, 8), 1, NewYork);

        var block = Assert.Single(blocks);
        Assert.Equal((90, 210), (block.FromMinute, block.ToMinute));
    }

    [Fact]
    public void On_a_fall_back_day_a_session_over_the_repeated_hour_keeps_its_length()
    {
        // 2026-11-01 in New York: 02:00 falls back to 01:00. 01:30 (first) to 01:30 (second) is one real hour.
        var start = new DateTimeOffset(2026, 11, 1, 5, 30, 0, TimeSpan.Zero);
        var block = Assert.Single(CalendarLayout.Place([new CalendarEntry<string>("dst", start, start.AddHours(1))], new DateOnly(2026, 11, 1), 1, NewYork));

        Assert.Equal((90, 150), (block.FromMinute, block.ToMinute));
    }

    [Theory]
    [InlineData("2026-12-15", "2026-11-30", 35)]
    [InlineData("2027-02-10", "2027-02-01", 28)]
    [InlineData("2026-03-01", "2026-02-23", 42)]
    public void A_month_grid_runs_from_the_monday_before_the_first_to_the_sunday_after_the_last(string any, string first, int days)
    {
        var (start, count) = CalendarLayout.MonthGrid(DateOnly.Parse(any, System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(DateOnly.Parse(first, System.Globalization.CultureInfo.InvariantCulture), start);
        Assert.Equal(days, count);
        Assert.Equal(DayOfWeek.Monday, start.DayOfWeek);
    }
}
