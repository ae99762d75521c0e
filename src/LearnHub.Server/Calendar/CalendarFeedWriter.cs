using Ical.Net;
using Ical.Net.CalendarComponents;
using Ical.Net.DataTypes;
using Ical.Net.Serialization;
using LearnHub.Core.Common;
using LearnHub.Core.Sessions;
using LearnHub.Server.Sessions;

namespace LearnHub.Server.Calendar;

/// <summary>
/// Writes sessions as an iCalendar document. Each event keeps the zone its session was announced in (DTSTART;TZID=…
/// and a VTIMEZONE for it), so a calendar app shows the wall-clock time the instructor announced and follows DST.
/// </summary>
/// <remarks>
/// Text values pass through <see cref="IcsText"/> (no control characters, a byte budget each), so with the feed's
/// event limit the whole document stays bounded: about 4 KB per event at most.
/// </remarks>
public static class CalendarFeedWriter
{
    /// <summary>
    /// The UTF-8 bytes of event descriptions one feed carries. A description may be 16 KB (and a cancel reason 4 KB), so a
    /// feed of 1,000 such sessions would be over 20 MB: every event keeps its title, times and link, and the descriptions
    /// share this budget in the feed's order; past it an event points to its page instead. With the feed's 1,000 events
    /// of the longest titles (800 bytes) a feed stays under about 2.5 MB; measured: 360 worst-case events, 1.16 MB.
    /// </summary>
    public const int MaxDescriptionBytes = 512 * 1024;

    /// <summary>UTF-8 bytes of a summary or the calendar's name (above what any valid title or name takes).</summary>
    public const int MaxSummaryBytes = 1024;

    /// <summary>UTF-8 bytes of one event's description; the event's URL leads to the whole text.</summary>
    public const int MaxEventDescriptionBytes = 2048;

    /// <param name="baseUri">The public base URL (<see cref="PublicWebOptions.PublicBaseUrl"/>), without a trailing slash.</param>
    public static string Write(string name, IReadOnlyList<SessionRow> sessions, string baseUri, DateTimeOffset now)
    {
        var calendar = new Ical.Net.Calendar { ProductId = "-//LearnHub//Calendar Feed//ZH", Method = "PUBLISH" };
        calendar.AddProperty("X-WR-CALNAME", IcsText.SingleLine(name, MaxSummaryBytes));
        calendar.AddProperty("X-PUBLISHED-TTL", "PT1H");
        foreach (var zone in sessions.GroupBy(s => s.TimeZone, StringComparer.Ordinal))
        {
            var earliest = TimeZoneInfo.ConvertTime(zone.Min(s => s.PlannedStart), TimeZones.FindOrDefault(zone.Key)).DateTime;
            calendar.AddTimeZone(zone.Key, earliest.AddDays(-1), includeHistoricalData: false);
        }
        var descriptionBudget = MaxDescriptionBytes;
        foreach (var session in sessions)
        {
            var item = ToEvent(session, baseUri, now);
            var bytes = System.Text.Encoding.UTF8.GetByteCount(item.Description ?? "");
            if (bytes > descriptionBudget)
            {
                item.Description = LocalizedText.Pick($"讲师：{session.InstructorName}\n详情：{item.Url}", $"Instructor: {session.InstructorName}\nDetails: {item.Url}");
            }
            else
            {
                descriptionBudget -= bytes;
            }
            calendar.Events.Add(item);
        }
        return new CalendarSerializer().SerializeToString(calendar) ?? "";
    }

    private static CalendarEvent ToEvent(SessionRow session, string baseUri, DateTimeOffset now)
    {
        var zone = TimeZones.FindOrDefault(session.TimeZone);
        // The session's own description last: when the byte budget cuts, it cuts that.
        var description = string.Join("\n", new[]
        {
            session.Status == SessionStatus.Cancelled && !string.IsNullOrEmpty(session.CancelReason) ? LocalizedText.Pick($"已取消：{session.CancelReason}", $"Cancelled: {session.CancelReason}") : null,
            LocalizedText.Pick($"讲师：{session.InstructorName}", $"Instructor: {session.InstructorName}"),
            session.Description,
        }.Where(line => !string.IsNullOrWhiteSpace(line)));
        return new CalendarEvent
        {
            Uid = session.Id,
            Summary = IcsText.SingleLine(session.Title, MaxSummaryBytes),
            Description = IcsText.MultiLine(description, MaxEventDescriptionBytes),
            DtStart = Local(session.PlannedStart, zone, session.TimeZone),
            DtEnd = Local(session.PlannedEnd, zone, session.TimeZone),
            Status = session.Status == SessionStatus.Cancelled ? EventStatus.Cancelled : EventStatus.Confirmed,
            Url = new Uri($"{baseUri}/sessions/{Uri.EscapeDataString(session.Id)}"),
            // Each change bumps the version: calendar apps replace the event they hold.
            Sequence = (int)Math.Min(session.Version, int.MaxValue),
            DtStamp = new CalDateTime(now.UtcDateTime, CalDateTime.UtcTzId, true),
            LastModified = new CalDateTime(DateTimeOffset.FromUnixTimeMilliseconds(session.UpdatedAtMs).UtcDateTime, CalDateTime.UtcTzId, true),
        };
    }

    private static CalDateTime Local(DateTimeOffset instant, TimeZoneInfo zone, string zoneId) =>
        new(DateTime.SpecifyKind(TimeZoneInfo.ConvertTime(instant, zone).DateTime, DateTimeKind.Unspecified), zoneId, true);
}
