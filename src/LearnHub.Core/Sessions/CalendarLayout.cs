namespace LearnHub.Core.Sessions;

/// <summary>One thing to place on a calendar: its key and the instants it starts and ends.</summary>
public readonly record struct CalendarEntry<T>(T Item, DateTimeOffset Start, DateTimeOffset End);

/// <summary>
/// The part of an entry shown on one day: wall-clock minutes from that day's midnight (0–1440), and the column it takes
/// among the entries it overlaps (0-based, out of <see cref="Columns"/>).
/// </summary>
public sealed record CalendarBlock<T>(
    T Item,
    DateOnly Day,
    int FromMinute,
    int ToMinute,
    int Column,
    int Columns,
    bool ContinuesFromPreviousDay,
    bool ContinuesToNextDay);

/// <summary>
/// Where sessions go on a day/week/month calendar in the viewer's zone: an entry is split at each local midnight it
/// crosses (shown on every day it touches), clipped to the visible days, and entries that overlap on a day share its
/// width in side-by-side columns.
/// </summary>
public static class CalendarLayout
{
    public const int MinutesPerDay = 24 * 60;

    /// <summary>
    /// The blocks of <paramref name="entries"/> on the <paramref name="days"/> days from <paramref name="firstDay"/>
    /// in <paramref name="zone"/>, ordered by day, then start.
    /// </summary>
    public static IReadOnlyList<CalendarBlock<T>> Place<T>(IEnumerable<CalendarEntry<T>> entries, DateOnly firstDay, int days, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(zone);
        ArgumentOutOfRangeException.ThrowIfLessThan(days, 1);
        var list = entries.Where(e => e.End >= e.Start).ToList();
        var result = new List<CalendarBlock<T>>();
        for (var i = 0; i < days; i++)
        {
            var day = firstDay.AddDays(i);
            var dayStart = MidnightOf(day, zone);
            var dayEnd = MidnightOf(day.AddDays(1), zone);
            var parts = new List<(T Item, int From, int To, bool Before, bool After)>();
            foreach (var entry in list)
            {
                // A zero-length entry still belongs to the day it starts on.
                var touches = entry.Start < dayEnd && (entry.End > dayStart || entry.Start == entry.End && entry.Start >= dayStart);
                if (!touches)
                {
                    continue;
                }
                var from = entry.Start > dayStart ? entry.Start : dayStart;
                var to = entry.End < dayEnd ? entry.End : dayEnd;
                var fromMinute = from == dayStart ? 0 : WallMinute(from, zone);
                var toMinute = to == dayEnd ? MinutesPerDay : WallMinute(to, zone);
                // Around a DST change the wall clock can run backwards: keep the real length instead.
                if (toMinute < fromMinute || toMinute == fromMinute && to > from)
                {
                    toMinute = Math.Min(MinutesPerDay, fromMinute + (int)Math.Ceiling((to - from).TotalMinutes));
                }
                parts.Add((entry.Item, fromMinute, toMinute, Before: entry.Start < dayStart, After: (entry.End > dayEnd)));
            }
            result.AddRange(Columns(day, parts));
        }
        return result;
    }

    /// <summary>The instant a local day begins in <paramref name="zone"/> (the first valid wall time when midnight is skipped).</summary>
    public static DateTimeOffset MidnightOf(DateOnly day, TimeZoneInfo zone) =>
        CourseSeriesPlanner.ToInstant(day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified), zone);

    /// <summary>The local day of <paramref name="instant"/> in <paramref name="zone"/>.</summary>
    public static DateOnly DayOf(DateTimeOffset instant, TimeZoneInfo zone) =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, zone).DateTime);

    /// <summary>Minutes since local midnight of <paramref name="instant"/>'s wall-clock time in <paramref name="zone"/>.</summary>
    public static int WallMinute(DateTimeOffset instant, TimeZoneInfo zone)
    {
        var local = TimeZoneInfo.ConvertTime(instant, zone).DateTime;
        return local.Hour * 60 + local.Minute;
    }

    /// <summary>The Monday of the ISO week containing <paramref name="day"/>.</summary>
    public static DateOnly WeekStart(DateOnly day) => day.AddDays(-(((int)day.DayOfWeek + 6) % 7));

    /// <summary>The 6×7 (or 5×7) days a month view shows: from the Monday on or before the 1st to the Sunday on or after the last day.</summary>
    public static (DateOnly First, int Days) MonthGrid(DateOnly anyDayOfMonth)
    {
        var first = new DateOnly(anyDayOfMonth.Year, anyDayOfMonth.Month, 1);
        var start = WeekStart(first);
        var last = first.AddMonths(1).AddDays(-1);
        var end = WeekStart(last).AddDays(6);
        return (start, end.DayNumber - start.DayNumber + 1);
    }

    private static IEnumerable<CalendarBlock<T>> Columns<T>(DateOnly day, List<(T Item, int From, int To, bool Before, bool After)> parts)
    {
        // Earlier first; of two starting together the longer first, so it takes the left column.
        var ordered = parts.OrderBy(p => p.From).ThenByDescending(p => p.To).ToList();
        var cluster = new List<(int Index, int Column)>();
        var columnEnds = new List<int>();
        var clusterEnd = -1;
        var placed = new CalendarBlock<T>[ordered.Count];

        void Flush()
        {
            foreach (var (index, column) in cluster)
            {
                var p = ordered[index];
                placed[index] = new CalendarBlock<T>(p.Item, day, p.From, p.To, column, columnEnds.Count, p.Before, p.After);
            }
            cluster.Clear();
            columnEnds.Clear();
        }

        for (var i = 0; i < ordered.Count; i++)
        {
            var p = ordered[i];
            // A zero-length entry still takes a sliver, so it overlaps what starts at the same minute.
            var end = Math.Max(p.To, p.From + 1);
            if (cluster.Count > 0 && p.From >= clusterEnd)
            {
                Flush();
            }
            var column = columnEnds.FindIndex(e => e <= p.From);
            if (column < 0)
            {
                column = columnEnds.Count;
                columnEnds.Add(end);
            }
            else
            {
                columnEnds[column] = end;
            }
            cluster.Add((i, column));
            clusterEnd = cluster.Count == 1 ? end : Math.Max(clusterEnd, end);
        }
        Flush();
        return placed;
    }
}
