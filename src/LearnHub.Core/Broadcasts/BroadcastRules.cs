using LearnHub.Core.Common;
using LearnHub.Core.Sessions;

namespace LearnHub.Core.Broadcasts;

/// <summary>The 群发须知, as rules without I/O.</summary>
public static class BroadcastRules
{
    /// <summary>一周内可向关注您的人群发2次消息.</summary>
    public const int WeeklyLimit = 2;

    public const int MaxTextLength = 300;

    /// <summary>审核通过后的72小时内 followers who sign in receive it.</summary>
    public static readonly TimeSpan DeliveryWindow = TimeSpan.FromHours(72);

    /// <summary>The 《发布协议》 version submissions agree to.</summary>
    public const string AgreementVersion = "2024-01";

    public const int MaxRequestIdLength = 64;

    public const int MaxReasonLength = 200;

    /// <summary>文字消息: 1–300 characters; paragraphs allowed.</summary>
    public static readonly TextRule Text = new("text", "群发内容", "text", MaxTextLength, TextKind.MultiLine);

    /// <summary>Reject, take-down and report reasons: one line, shown to the creator or the reviewers.</summary>
    public static readonly TextRule Reason = new("reason", "原因", "reason", MaxReasonLength);

    public static readonly TextRule RequestId = TextRule.Id("request_id", MaxRequestIdLength);

    /// <summary>Bounded like an id before it is compared with <see cref="AgreementVersion"/>.</summary>
    public static readonly TextRule AgreementVersionField = TextRule.Id("agreement_version", 32, required: false);

    /// <summary>
    /// The calendar week holding <paramref name="instant"/>: Monday 00:00 to the next Monday 00:00 on the wall clock of
    /// <paramref name="zone"/>, as instants (half-open).
    /// </summary>
    public static TimeInterval WeekOf(DateTimeOffset instant, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        var local = TimeZoneInfo.ConvertTime(instant, zone).DateTime.Date;
        var monday = local.AddDays(-(((int)local.DayOfWeek + 6) % 7));
        return new TimeInterval(
            CourseSeriesPlanner.ToInstant(DateTime.SpecifyKind(monday, DateTimeKind.Unspecified), zone),
            CourseSeriesPlanner.ToInstant(DateTime.SpecifyKind(monday.AddDays(7), DateTimeKind.Unspecified), zone));
    }

    /// <summary>Remaining quota: 2 − frozen − consumed, never below zero.</summary>
    public static int Remaining(int frozen, int consumed) => Math.Max(0, WeeklyLimit - frozen - consumed);

    /// <summary>Whether a follower signing in at <paramref name="now"/> still receives a broadcast approved at <paramref name="approvedAt"/>: [A, A + 72 h).</summary>
    public static bool InDeliveryWindow(DateTimeOffset approvedAt, DateTimeOffset now) =>
        now >= approvedAt && now < approvedAt + DeliveryWindow;

    public static FieldError? CheckText(string? text) => Text.Check(text);

    public static FieldError? CheckAgreement(bool agreed, string? version) =>
        AgreementVersionField.Check(version) is { } malformed
            ? malformed
            : !agreed
                ? new FieldError("agreed_to_agreement", LocalizedText.Pick("请先同意《发布协议》。", "Please agree to the publishing agreement first."))
                : version != AgreementVersion
                    ? new FieldError("agreement_version", LocalizedText.Pick($"《发布协议》已更新为 {AgreementVersion} 版，请重新阅读并同意。", $"The publishing agreement was updated to version {AgreementVersion}. Please read it and agree again."))
                    : null;

    public static FieldError? CheckReason(string? reason, string field = "reason") => Reason.Check(reason, field);
}
