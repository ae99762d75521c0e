using Google.Protobuf.WellKnownTypes;
using LearnHub.Admin.Components.Schedule;

namespace LearnHub.Admin.Tests.Schedule;

public sealed class ScheduleTextTests
{
    private static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");

    [Fact]
    public void A_range_that_ends_after_midnight_names_the_end_date()
    {
        var start = Timestamp.FromDateTimeOffset(new DateTimeOffset(2026, 11, 29, 15, 5, 0, TimeSpan.Zero));
        var end = Timestamp.FromDateTimeOffset(new DateTimeOffset(2026, 11, 29, 17, 5, 0, TimeSpan.Zero));

        Assert.Equal("2026-11-29 23:05 – 2026-11-30 01:05", ScheduleText.FormatRange(start, end, Shanghai));
        Assert.Equal("2026-11-29 15:05 – 17:05", ScheduleText.FormatRange(start, end, TimeZoneInfo.Utc));
    }

    [Theory]
    [InlineData("2026-04-27", "2026-04-27")]
    [InlineData("2026-05-01", "2026-04-27")]
    [InlineData("2026-05-03", "2026-04-27")]
    [InlineData("2026-05-04", "2026-05-04")]
    public void Weeks_start_on_monday(string day, string monday) =>
        Assert.Equal(DateOnly.Parse(monday, System.Globalization.CultureInfo.InvariantCulture),
            ScheduleText.WeekStart(DateOnly.Parse(day, System.Globalization.CultureInfo.InvariantCulture)));
}
