using LearnHub.Core.Common;

namespace LearnHub.Core.Sessions;

/// <summary>What a course series asks for: chapters placed on weekdays at a local time from a date.</summary>
public sealed record CourseSeriesRequest(
    IReadOnlyCollection<DayOfWeek> Weekdays,
    TimeOnly LocalTime,
    DateOnly StartDate,
    TimeZoneInfo TimeZone,
    TimeSpan Duration,
    IReadOnlySet<DateOnly> Holidays);

/// <summary>One generated date: the local date and time the viewers see, and the instant stored.</summary>
public sealed record SeriesSlot(DateOnly LocalDate, DateTime LocalStart, TimeInterval Interval);

/// <summary>Places a course's chapters, in order, on the requested weekdays (DOMAIN.md: course series).</summary>
public static class CourseSeriesPlanner
{
    /// <summary>Stop looking for dates after this many days: a series of many chapters on one weekday still fits.</summary>
    public const int MaxSearchDays = 3 * 366;

    public const int MaxHolidays = 366;

    /// <summary>
    /// One slot per chapter. A local time that does not exist (the spring-forward gap) moves forward by the gap,
    /// as calendar apps do; an ambiguous one (the fall-back hour) takes the first occurrence.
    /// </summary>
    public static IReadOnlyList<SeriesSlot> Plan(CourseSeriesRequest request, int chapterCount)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Weekdays.Count == 0)
        {
            throw new ArgumentException("At least one weekday is required.", nameof(request));
        }
        var slots = new List<SeriesSlot>(chapterCount);
        for (var date = request.StartDate; slots.Count < chapterCount; date = date.AddDays(1))
        {
            if (date.DayNumber - request.StartDate.DayNumber > MaxSearchDays)
            {
                throw new InvalidOperationException("The series does not fit in the search window.");
            }
            if (!request.Weekdays.Contains(date.DayOfWeek) || request.Holidays.Contains(date))
            {
                continue;
            }
            var start = ToInstant(date.ToDateTime(request.LocalTime, DateTimeKind.Unspecified), request.TimeZone);
            // Shown as the wall time the session really starts: 02:30 in a spring-forward gap is 03:30.
            var local = TimeZoneInfo.ConvertTime(start, request.TimeZone).DateTime;
            slots.Add(new SeriesSlot(date, local, TimeInterval.FromDuration(start, request.Duration)));
        }
        return slots;
    }

    /// <summary>Converts a wall-clock time in a zone to an instant, resolving DST gaps and overlaps.</summary>
    public static DateTimeOffset ToInstant(DateTime local, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        if (zone.IsInvalidTime(local))
        {
            // In the gap: the offset before the jump applied to the wall time lands after the jump.
            var before = zone.GetUtcOffset(local.AddHours(-3));
            return new DateTimeOffset(DateTime.SpecifyKind(local - before, DateTimeKind.Utc)).ToUniversalTime();
        }
        if (zone.IsAmbiguousTime(local))
        {
            var offsets = zone.GetAmbiguousTimeOffsets(local);
            var earliest = offsets.Max(); // the larger offset is the earlier instant
            return new DateTimeOffset(local, earliest).ToUniversalTime();
        }
        return new DateTimeOffset(local, zone.GetUtcOffset(local)).ToUniversalTime();
    }

    public static DayOfWeek FromIsoWeekday(int isoWeekday) => isoWeekday switch
    {
        >= 1 and <= 6 => (DayOfWeek)isoWeekday,
        7 => DayOfWeek.Sunday,
        _ => throw new ArgumentOutOfRangeException(nameof(isoWeekday), isoWeekday, "ISO weekdays run 1 (Monday) to 7 (Sunday)."),
    };
}
