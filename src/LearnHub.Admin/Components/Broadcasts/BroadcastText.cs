using System.Globalization;
using Google.Rpc;
using Grpc.Core;
using LearnHub.Api.V1;
using LearnHub.Core.Broadcasts;
using LearnHub.Core.Common;
using Microsoft.Extensions.Localization;
using MudBlazor;

namespace LearnHub.Admin.Components.Broadcasts;

/// <summary>How the broadcast pages count, name and colour things; the limits the client checks before the server does.</summary>
public static class BroadcastText
{
    /// <summary>A text message: 1–300 characters as a person counts them (the server's rule, <see cref="BroadcastRules.Text"/>).</summary>
    public const int MaxTextLength = BroadcastRules.MaxTextLength;

    /// <summary>An image message: at most 2 MiB (the server also checks its content and pixel size).</summary>
    public const long MaxImageBytes = 2 * 1024 * 1024;

    /// <summary>Reject, takedown and report reasons: 1–200 characters, one line (<see cref="BroadcastRules.Reason"/>).</summary>
    public const int MaxReasonLength = BroadcastRules.MaxReasonLength;

    public const string RequestIdReused = "REQUEST_ID_REUSED";

    public const string QuotaExhausted = "QUOTA_EXHAUSTED";

    /// <summary>Characters as a person counts them: a Chinese character or an emoji (even a ZWJ family) is one.</summary>
    public static int Count(string? text) => TextLength.Count(text ?? string.Empty);

    /// <summary>
    /// What the server's rule says of a text, in the user's language, or null when it passes: the console checks with the
    /// same <see cref="TextRule"/> the API does, so it never lets through what the server refuses nor refuses what it takes.
    /// </summary>
    public static string? Problem(IStringLocalizer<BroadcastStrings> s, TextRule rule, TextInspection found, string tooManyCharacters)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(rule);
        return found.Problem switch
        {
            TextProblem.None => null,
            TextProblem.Empty => s["TextBlank"],
            TextProblem.TooManyCharacters => tooManyCharacters,
            TextProblem.TooManyBytes => string.Format(CultureInfo.CurrentCulture, s["TextTooManyBytes"], rule.MaxBytes, found.Bytes),
            TextProblem.OverloadedCharacter => string.Format(CultureInfo.CurrentCulture, s["TextOverloaded"], found.Position),
            TextProblem.ForbiddenCharacter when rule.Kind == TextKind.SingleLine && found.CodePoint is '\n' or '\r' or 0x2028 or 0x2029 => s["TextLineBreak"],
            TextProblem.ForbiddenCharacter => string.Format(CultureInfo.CurrentCulture, s["TextControlCharacter"], $"U+{found.CodePoint:X4}"),
            _ => s["TextInvalid"],
        };
    }

    /// <summary>A fresh client request id (32 hex characters) for one composer opening.</summary>
    public static string NewRequestId() => Guid.NewGuid().ToString("N");

    /// <summary>Short stable name used in data-testids and resource keys, e.g. "pending".</summary>
    public static string Slug(BroadcastStatus status) => status switch
    {
        BroadcastStatus.Pending => "pending",
        BroadcastStatus.Approved => "approved",
        BroadcastStatus.Rejected => "rejected",
        BroadcastStatus.Withdrawn => "withdrawn",
        BroadcastStatus.Expired => "expired",
        BroadcastStatus.TakenDown => "taken-down",
        _ => "unknown",
    };

    /// <summary>审核中, 已通过, 未通过, 已撤回, 已过期, 已下架.</summary>
    public static string Name(IStringLocalizer<BroadcastStrings> s, BroadcastStatus status)
    {
        ArgumentNullException.ThrowIfNull(s);
        return s["Status_" + Slug(status)];
    }

    public static Color ColorOf(BroadcastStatus status) => status switch
    {
        BroadcastStatus.Pending => Color.Warning,
        BroadcastStatus.Approved => Color.Success,
        BroadcastStatus.Rejected => Color.Error,
        BroadcastStatus.TakenDown => Color.Dark,
        _ => Color.Default,
    };

    public static string ReportSlug(ReportStatus status) => status switch
    {
        ReportStatus.Open => "open",
        ReportStatus.Resolved => "resolved",
        ReportStatus.Dismissed => "dismissed",
        _ => "unknown",
    };

    public static string ReportName(IStringLocalizer<BroadcastStrings> s, ReportStatus status)
    {
        ArgumentNullException.ThrowIfNull(s);
        return s["ReportStatus_" + ReportSlug(status)];
    }

    /// <summary>"2 天 3 小时", "3 小时", "5 分钟", "不到 1 分钟": how long something waited or is expected to take.</summary>
    public static string Duration(IStringLocalizer<BroadcastStrings> s, long seconds)
    {
        ArgumentNullException.ThrowIfNull(s);
        var span = TimeSpan.FromSeconds(Math.Max(0, seconds));
        return span.TotalDays >= 1
            ? span.Hours == 0
                ? string.Format(CultureInfo.CurrentCulture, s["DurationD"], (int)span.TotalDays)
                : string.Format(CultureInfo.CurrentCulture, s["DurationDh"], (int)span.TotalDays, span.Hours)
            : span.TotalHours >= 1
                ? string.Format(CultureInfo.CurrentCulture, s["DurationH"], (int)span.TotalHours)
                : span.TotalMinutes >= 1
                    ? string.Format(CultureInfo.CurrentCulture, s["DurationM"], (int)span.TotalMinutes)
                    : s["DurationUnderMinute"];
    }

    /// <summary>The image as a data: URL for an &lt;img&gt; (the bytes never touch a file or a public URL).</summary>
    public static string DataUrl(string contentType, ReadOnlySpan<byte> data) =>
        $"data:{(string.IsNullOrEmpty(contentType) ? "application/octet-stream" : contentType)};base64,{Convert.ToBase64String(data)}";

    /// <summary>The image type its first bytes announce (PNG, JPEG or WebP), or null: the client's early check, the server's is the rule.</summary>
    public static string? SniffImageType(ReadOnlySpan<byte> data)
    {
        if (data.Length >= 8 && data[..8].SequenceEqual(Png))
        {
            return "image/png";
        }
        if (data.Length >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF)
        {
            return "image/jpeg";
        }
        if (data.Length >= 12 && data[..4].SequenceEqual("RIFF"u8) && data[8..12].SequenceEqual("WEBP"u8))
        {
            return "image/webp";
        }
        return null;
    }

    private static ReadOnlySpan<byte> Png => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>The machine-readable reason of a refusal (google.rpc.ErrorInfo), e.g. QUOTA_EXHAUSTED.</summary>
    public static string? ReasonOf(RpcException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception.GetRpcStatus()?.GetDetail<ErrorInfo>()?.Reason;
    }

    /// <summary>
    /// Whether the server definitely created nothing (it refused the request as such). After a timeout or an unreachable
    /// server the outcome is unknown, so a retry must reuse the request id.
    /// </summary>
    public static bool IsDefinitiveRefusal(StatusCode code) =>
        code is StatusCode.InvalidArgument or StatusCode.PermissionDenied or StatusCode.FailedPrecondition
            or StatusCode.Unauthenticated or StatusCode.NotFound or StatusCode.OutOfRange;
}
