using LearnHub.Core.Common;

namespace LearnHub.Core.Sessions;

/// <summary>The field rules of a live session (DOMAIN.md: Courses and live sessions).</summary>
public static class SessionRules
{
    public const int TitleMaxLength = 100;
    public const int DescriptionMaxLength = 2000;
    public const int CancelReasonMaxLength = 500;
    public static readonly TimeSpan MinDuration = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan MaxDuration = TimeSpan.FromHours(12);
    public static readonly TimeSpan EarliestEarlyGoLive = TimeSpan.FromMinutes(30);

    /// <summary>How far ahead a session may be planned; further is almost surely a typo.</summary>
    public static readonly TimeSpan MaxPlanningHorizon = TimeSpan.FromDays(730);

    public static FieldError? CheckTitle(string? title, string field = "title")
    {
        if (string.IsNullOrWhiteSpace(title))
        {
            return new(field, "标题不能为空 (title is required).");
        }
        var length = TextLength.Count(title);
        return length > TitleMaxLength
            ? new(field, $"标题最多 {TitleMaxLength} 个字符,当前 {length} (title must be at most {TitleMaxLength} characters).")
            : null;
    }

    public static FieldError? CheckDescription(string? description) =>
        description is not null && TextLength.Count(description) > DescriptionMaxLength
            ? new("description", $"简介最多 {DescriptionMaxLength} 个字符 (description must be at most {DescriptionMaxLength} characters).")
            : null;

    public static FieldError? CheckDurationMinutes(int minutes, string field = "duration_minutes") =>
        minutes < MinDuration.TotalMinutes || minutes > MaxDuration.TotalMinutes
            ? new(field, $"时长须在 {MinDuration.TotalMinutes}–{MaxDuration.TotalMinutes} 分钟之间 (duration must be 5 minutes to 12 hours).")
            : null;

    public static FieldError? CheckTimeZone(string? id, string field = "time_zone") =>
        TimeZones.TryFind(id, out _) ? null : new(field, $"未知时区 '{id}' (unknown IANA time zone).");

    public static FieldError? CheckPlannedStart(DateTimeOffset? start, DateTimeOffset now, string field = "planned_start")
    {
        if (start is null)
        {
            return new(field, "开播时间不能为空 (planned start is required).");
        }
        if (start <= now)
        {
            return new(field, "开播时间必须晚于现在 (planned start must be in the future).");
        }
        return start - now > MaxPlanningHorizon
            ? new(field, "开播时间最多提前两年安排 (planned start must be within two years).")
            : null;
    }

    /// <summary>Why an instructor may not go live now, or null when they may.</summary>
    public static string? WhyCannotGoLive(SessionStatus status, DateTimeOffset plannedStart, DateTimeOffset now)
    {
        if (status != SessionStatus.Scheduled)
        {
            return $"只有未开始的直播可以开播 (session is {status}).";
        }
        return plannedStart - now > EarliestEarlyGoLive
            ? "最早可提前 30 分钟开播 (going live is allowed at most 30 minutes before the planned start)."
            : null;
    }
}
