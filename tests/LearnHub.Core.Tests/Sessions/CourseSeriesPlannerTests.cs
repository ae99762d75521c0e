using LearnHub.Core.Sessions;

namespace LearnHub.Core.Tests.Sessions;

public sealed class CourseSeriesPlannerTests
{
    private static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");
    private static readonly TimeZoneInfo NewYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");

    private static CourseSeriesRequest Series(
        string startDate, string localTime, TimeZoneInfo zone, int[] isoWeekdays, int minutes = 90, params string[] holidays) => new(
            isoWeekdays.Select(CourseSeriesPlanner.FromIsoWeekday).ToHashSet(),
            TimeOnly.Parse(localTime, System.Globalization.CultureInfo.InvariantCulture),
            DateOnly.Parse(startDate, System.Globalization.CultureInfo.InvariantCulture),
            zone,
            TimeSpan.FromMinutes(minutes),
            holidays.Select(h => DateOnly.Parse(h, System.Globalization.CultureInfo.InvariantCulture)).ToHashSet());

    private static DateTimeOffset Utc(int year, int month, int day, int hour, int minute) => new(year, month, day, hour, minute, 0, TimeSpan.Zero);

    private static string[] Dates(IEnumerable<SeriesSlot> slots) => slots.Select(s => s.LocalDate.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    [Fact]
    public void Places_chapters_on_the_chosen_weekdays_across_weeks()
    {
        // 2027-05-03 is a Monday; Tuesdays and Thursdays at 19:30 in Shanghai (UTC+8, no DST) are 11:30 UTC.
        var slots = CourseSeriesPlanner.Plan(Series("2027-05-03", "19:30", Shanghai, [2, 4]), 5);

        Assert.Equal(["2027-05-04", "2027-05-06", "2027-05-11", "2027-05-13", "2027-05-18"], Dates(slots));
        Assert.All(slots, s => Assert.Equal(new TimeOnly(19, 30), TimeOnly.FromDateTime(s.LocalStart)));
        Assert.Equal(Utc(2027, 5, 4, 11, 30), slots[0].Interval.Start);
        Assert.Equal(Utc(2027, 5, 18, 11, 30), slots[4].Interval.Start);
        Assert.All(slots, s => Assert.Equal(TimeSpan.FromMinutes(90), s.Interval.End - s.Interval.Start));
    }

    [Fact]
    public void The_start_date_itself_counts_when_it_is_a_chosen_weekday()
    {
        var slots = CourseSeriesPlanner.Plan(Series("2027-05-04", "19:30", Shanghai, [2]), 2);
        Assert.Equal(["2027-05-04", "2027-05-11"], Dates(slots));
    }

    [Fact]
    public void Weekdays_run_over_the_weekend_into_the_next_week()
    {
        // From Friday 2027-05-07, Monday to Friday.
        var slots = CourseSeriesPlanner.Plan(Series("2027-05-07", "08:00", Shanghai, [1, 2, 3, 4, 5]), 3);
        Assert.Equal(["2027-05-07", "2027-05-10", "2027-05-11"], Dates(slots));
    }

    [Fact]
    public void Holidays_are_skipped_and_the_series_runs_on()
    {
        var slots = CourseSeriesPlanner.Plan(Series("2027-05-03", "19:30", Shanghai, [2, 4], 90, "2027-05-06", "2027-05-11", "2027-05-12"), 4);
        // 05-12 is a Wednesday: a holiday on a day not chosen changes nothing.
        Assert.Equal(["2027-05-04", "2027-05-13", "2027-05-18", "2027-05-20"], Dates(slots));
    }

    [Fact]
    public void Iso_weekday_7_is_Sunday_and_1_is_Monday()
    {
        Assert.Equal(DayOfWeek.Sunday, CourseSeriesPlanner.FromIsoWeekday(7));
        Assert.Equal(DayOfWeek.Monday, CourseSeriesPlanner.FromIsoWeekday(1));
        Assert.Equal(DayOfWeek.Saturday, CourseSeriesPlanner.FromIsoWeekday(6));
        Assert.Throws<ArgumentOutOfRangeException>(() => CourseSeriesPlanner.FromIsoWeekday(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => CourseSeriesPlanner.FromIsoWeekday(8));

        var sundays = CourseSeriesPlanner.Plan(Series("2027-05-03", "10:00", Shanghai, [7]), 2);
        Assert.Equal(["2027-05-09", "2027-05-16"], Dates(sundays));
        Assert.All(sundays, s => Assert.Equal(DayOfWeek.Sunday, s.LocalDate.DayOfWeek));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(20)]
    public void Gives_exactly_one_slot_per_chapter(int chapters) =>
        Assert.Equal(chapters, CourseSeriesPlanner.Plan(Series("2027-05-03", "19:30", Shanghai, [2, 4]), chapters).Count);

    [Fact]
    public void New_York_spring_forward_gap_moves_0230_forward_to_0330()
    {
        // 2026-03-08 (a Sunday) New York jumps from 02:00 EST to 03:00 EDT: 02:30 does not exist that day.
        var slots = CourseSeriesPlanner.Plan(Series("2026-03-01", "02:30", NewYork, [7], 60), 3);

        Assert.Equal(["2026-03-01", "2026-03-08", "2026-03-15"], Dates(slots));
        Assert.Equal(Utc(2026, 3, 1, 7, 30), slots[0].Interval.Start); // 02:30 EST (UTC−5)
        Assert.Equal(Utc(2026, 3, 8, 7, 30), slots[1].Interval.Start); // 03:30 EDT (UTC−4)
        Assert.Equal(Utc(2026, 3, 15, 6, 30), slots[2].Interval.Start); // 02:30 EDT
        Assert.Equal(new DateTime(2026, 3, 8, 3, 30, 0), TimeZoneInfo.ConvertTime(slots[1].Interval.Start, NewYork).DateTime);
        // What viewers are shown is the time the session really starts.
        Assert.Equal(new DateTime(2026, 3, 8, 3, 30, 0), slots[1].LocalStart);
        Assert.Equal(new DateTime(2026, 3, 1, 2, 30, 0), slots[0].LocalStart);
    }

    [Fact]
    public void New_York_fall_back_takes_the_first_0130()
    {
        // 2026-11-01 (a Sunday) New York falls back from 02:00 EDT to 01:00 EST: 01:30 happens twice.
        var slots = CourseSeriesPlanner.Plan(Series("2026-10-25", "01:30", NewYork, [7], 45), 3);

        Assert.Equal(["2026-10-25", "2026-11-01", "2026-11-08"], Dates(slots));
        Assert.Equal(Utc(2026, 10, 25, 5, 30), slots[0].Interval.Start); // EDT
        Assert.Equal(Utc(2026, 11, 1, 5, 30), slots[1].Interval.Start); // first 01:30 (EDT), not 06:30 UTC
        Assert.Equal(Utc(2026, 11, 8, 6, 30), slots[2].Interval.Start); // EST
        Assert.Equal(new DateTime(2026, 11, 1, 1, 30, 0), slots[1].LocalStart);
        Assert.Equal(TimeSpan.FromMinutes(45), slots[1].Interval.End - slots[1].Interval.Start);
    }

    [Fact]
    public void Shanghai_has_no_gaps_the_same_wall_time_is_the_same_utc_time_all_year()
    {
        var slots = CourseSeriesPlanner.Plan(Series("2026-03-01", "02:30", Shanghai, [7]), 40);
        Assert.All(slots, s => Assert.Equal(new TimeOnly(18, 30), TimeOnly.FromDateTime(s.Interval.Start.UtcDateTime)));
    }

    [Fact]
    public void ToInstant_resolves_gap_and_overlap_and_plain_times()
    {
        Assert.Equal(Utc(2026, 3, 8, 7, 30), CourseSeriesPlanner.ToInstant(new DateTime(2026, 3, 8, 2, 30, 0), NewYork));
        Assert.Equal(Utc(2026, 11, 1, 5, 30), CourseSeriesPlanner.ToInstant(new DateTime(2026, 11, 1, 1, 30, 0), NewYork));
        Assert.Equal(Utc(2027, 5, 4, 11, 30), CourseSeriesPlanner.ToInstant(new DateTime(2027, 5, 4, 19, 30, 0), Shanghai));
    }

    [Fact]
    public void At_least_one_weekday_is_required() =>
        Assert.Throws<ArgumentException>(() => CourseSeriesPlanner.Plan(Series("2027-05-03", "19:30", Shanghai, []), 1));

    [Fact]
    public void A_series_that_does_not_fit_in_three_years_is_refused() =>
        // One Sunday a week: 200 chapters fit, 1000 chapters need about 19 years.
        Assert.Throws<InvalidOperationException>(() => CourseSeriesPlanner.Plan(Series("2027-05-03", "19:30", Shanghai, [7]), 1000));
}
