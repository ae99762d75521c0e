using LearnHub.Core.Common;

namespace LearnHub.Core.Sessions;

/// <summary>The field rules of a live session (DOMAIN.md: Courses and live sessions).</summary>
public static class SessionRules
{
    public const int TitleMaxLength = 100;
    public const int DescriptionMaxLength = 2000;
    public const int CancelReasonMaxLength = 500;

    public static readonly TextRule Title = new("title", "标题", "title", TitleMaxLength);

    /// <summary>Optional; paragraphs allowed.</summary>
    public static readonly TextRule Description = new("description", "简介", "description", DescriptionMaxLength, TextKind.MultiLine, Required: false);

    /// <summary>Optional; one line, since it is quoted in the notice reserved viewers receive.</summary>
    public static readonly TextRule CancelReason = new("reason", "取消原因", "reason", CancelReasonMaxLength, Required: false);

    /// <summary>A course series' optional suffix; each planned title (course + chapter + suffix) must also pass <see cref="Title"/>.</summary>
    public static readonly TextRule TitleSuffix = new("title_suffix", "标题后缀", "title suffix", TitleMaxLength, Required: false);

    /// <summary>CreateSession's optional retry key.</summary>
    public static readonly TextRule RequestId = TextRule.Id("request_id", required: false);

    public static readonly TimeSpan MinDuration = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan MaxDuration = TimeSpan.FromHours(12);
    public static readonly TimeSpan EarliestEarlyGoLive = TimeSpan.FromMinutes(30);

    /// <summary>How far ahead a session may be planned; further is almost surely a typo.</summary>
    public static readonly TimeSpan MaxPlanningHorizon = TimeSpan.FromDays(730);

    public static FieldError? CheckTitle(string? title, string field = "title") => Title.Check(title, field);

    public static FieldError? CheckDescription(string? description) => Description.Check(description);

    public static FieldError? CheckDurationMinutes(int minutes, string field = "duration_minutes") =>
        minutes < MinDuration.TotalMinutes || minutes > MaxDuration.TotalMinutes
            ? new(field, LocalizedText.Pick($"时长须在 {MinDuration.TotalMinutes}–{MaxDuration.TotalMinutes} 分钟之间。", $"The duration must be {MinDuration.TotalMinutes}–{MaxDuration.TotalMinutes} minutes."))
            : null;

    public static FieldError? CheckTimeZone(string? id, string field = "time_zone") =>
        TimeZones.TryFind(id, out _) ? null : new(field, LocalizedText.Pick($"未知时区「{TextRule.Quote(id)}」。", $"Unknown time zone “{TextRule.Quote(id)}”."));

    public static FieldError? CheckPlannedStart(DateTimeOffset? start, DateTimeOffset now, string field = "planned_start")
    {
        if (start is null)
        {
            return new(field, LocalizedText.Pick("开播时间不能为空。", "The start time is required."));
        }
        if (start <= now)
        {
            return new(field, LocalizedText.Pick("开播时间必须晚于现在。", "The start time must be in the future."));
        }
        return start - now > MaxPlanningHorizon
            ? new(field, LocalizedText.Pick("开播时间最多提前两年安排。", "The start time must be within two years from now."))
            : null;
    }

    /// <summary>Why an instructor may not go live now, or null when they may.</summary>
    public static string? WhyCannotGoLive(SessionStatus status, DateTimeOffset plannedStart, DateTimeOffset now)
    {
        if (status != SessionStatus.Scheduled)
        {
            return LocalizedText.Pick("只有未开始的直播可以开播。", "Only a session that has not started can go live.");
        }
        return plannedStart - now > EarliestEarlyGoLive
            ? LocalizedText.Pick("最早可提前 30 分钟开播。", "You can go live at most 30 minutes before the planned start.")
            : null;
    }
}
