using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using LearnHub.Api.V1;
using LearnHub.Core.Common;
using Microsoft.Extensions.Localization;
using MudBlazor;

namespace LearnHub.Admin.Components.Schedule;

/// <summary>How the schedule pages name and colour a session's status, and the week arithmetic of the calendar.</summary>
public static class ScheduleText
{
    /// <summary>The statuses a user can filter by, in the order of the status machine.</summary>
    public static readonly SessionStatus[] Statuses =
        [SessionStatus.Scheduled, SessionStatus.Live, SessionStatus.Ended, SessionStatus.Cancelled];

    /// <summary>Short stable name used in data-testids, e.g. "scheduled".</summary>
    public static string Slug(SessionStatus status) => status switch
    {
        SessionStatus.Scheduled => "scheduled",
        SessionStatus.Live => "live",
        SessionStatus.Ended => "ended",
        SessionStatus.Cancelled => "cancelled",
        _ => "unknown",
    };

    public static string Name(IStringLocalizer<ScheduleStrings> s, SessionStatus status)
    {
        ArgumentNullException.ThrowIfNull(s);
        return s["Status_" + Slug(status)];
    }

    /// <summary>The status as the chips name it: a session the server cancelled because nobody streamed is 未开播（已取消）.</summary>
    public static string Name(IStringLocalizer<ScheduleStrings> s, SessionStatus status, bool notHeld)
    {
        ArgumentNullException.ThrowIfNull(s);
        return status == SessionStatus.Cancelled && notHeld ? s["Status_notheld"] : Name(s, status);
    }

    public static string Name(IStringLocalizer<ScheduleStrings> s, Session session)
    {
        ArgumentNullException.ThrowIfNull(session);
        return Name(s, session.Status, session.NotHeld);
    }

    public static Color ColorOf(SessionStatus status) => status switch
    {
        SessionStatus.Scheduled => Color.Info,
        SessionStatus.Live => Color.Error,
        SessionStatus.Ended => Color.Default,
        SessionStatus.Cancelled => Color.Dark,
        _ => Color.Default,
    };

    /// <summary>The colours of a session's block on the calendars, by status.</summary>
    public static string ChipStyle(SessionStatus status) => status switch
    {
        SessionStatus.Live => "background:var(--mud-palette-error-hover);border-left:4px solid var(--mud-palette-error)",
        SessionStatus.Scheduled => "background:var(--mud-palette-info-hover);border-left:4px solid var(--mud-palette-info)",
        SessionStatus.Cancelled => "background:var(--mud-palette-action-disabled-background);border-left:4px solid var(--mud-palette-dark);text-decoration:line-through",
        _ => "background:var(--mud-palette-action-default-hover);border-left:4px solid var(--mud-palette-text-secondary)",
    };

    /// <summary>The Monday of the week that contains <paramref name="day"/> (ISO weeks: Monday to Sunday).</summary>
    public static DateOnly WeekStart(DateOnly day) => day.AddDays(-(((int)day.DayOfWeek + 6) % 7));

    public static string Iso(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>An instant as wall-clock time in <paramref name="zone"/>, e.g. "2026-05-04 19:30".</summary>
    public static string FormatIn(Timestamp? instant, TimeZoneInfo zone, string format = "yyyy-MM-dd HH:mm") =>
        instant is null ? "—" : TimeZoneInfo.ConvertTime(instant.ToDateTimeOffset(), zone).ToString(format, CultureInfo.InvariantCulture);

    /// <summary>"2026-05-04 19:30 – 21:00" in <paramref name="zone"/>; the end carries its date when it falls on another day.</summary>
    public static string FormatRange(Timestamp? start, Timestamp? end, TimeZoneInfo zone)
    {
        if (start is null || end is null)
        {
            return FormatIn(start, zone);
        }
        var from = TimeZoneInfo.ConvertTime(start.ToDateTimeOffset(), zone);
        var to = TimeZoneInfo.ConvertTime(end.ToDateTimeOffset(), zone);
        var endFormat = from.Date == to.Date ? "HH:mm" : "yyyy-MM-dd HH:mm";
        return $"{from.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} – {to.ToString(endFormat, CultureInfo.InvariantCulture)}";
    }

    /// <summary>The session's own announced zone (falls back to the platform default like the server does).</summary>
    public static TimeZoneInfo ZoneOf(Session session)
    {
        ArgumentNullException.ThrowIfNull(session);
        return TimeZones.FindOrDefault(session.TimeZone);
    }
}
