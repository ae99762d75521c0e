using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using LearnHub.Core.Common;

namespace LearnHub.Server.Grpc;

/// <summary>
/// Every refusal the API gives: the right status, a message in the caller's language (the call's
/// <see cref="CultureInfo.CurrentUICulture"/>, set by <see cref="CallLanguage"/>), and google.rpc details: an
/// <c>ErrorInfo</c> (stable reason, domain "learnhub", metadata such as the fields or ids concerned), a
/// <c>LocalizedMessage</c> (locale "zh-CN" or "en" and the same message) and, naming the fields at fault, a
/// <c>BadRequest</c> whose descriptions are in that language too, so that any client can show the error next to its field.
/// The message never carries a field's key or an internal id; ids travel in ErrorInfo metadata only.
/// </summary>
public static class RpcErrors
{
    public const string Domain = "learnhub";

    [DoesNotReturn]
    public static void ThrowInvalid(IReadOnlyCollection<FieldError> errors) => throw Invalid(errors);

    [DoesNotReturn]
    public static void ThrowInvalid(string field, string message) => throw Invalid([new FieldError(field, message)]);

    /// <summary>Throws INVALID_ARGUMENT when any check failed; does nothing otherwise.</summary>
    public static void ThrowIfAny(params FieldError?[] checks)
    {
        var errors = checks.OfType<FieldError>().ToList();
        if (errors.Count > 0)
        {
            throw Invalid(errors);
        }
    }

    /// <summary>
    /// Refuses an id field that is empty (unless optional), longer than <paramref name="maxLength"/> UTF-8 bytes, or holds a
    /// space, control or format character, before it reaches a query, a log line or a message that quotes it.
    /// </summary>
    public static void ThrowIfBadId(string id, string field, int maxLength = 64, bool required = true)
    {
        if (TextRule.Id(field, maxLength, required).Check(id) is { } error)
        {
            throw Invalid([error]);
        }
    }

    /// <summary>
    /// INVALID_ARGUMENT: ErrorInfo reason FIELD_INVALID with the bad fields in metadata <c>fields</c> (comma separated),
    /// one BadRequest violation per field (its reason: FIELD_REQUIRED, FIELD_TOO_LONG, …), the messages joined.
    /// </summary>
    public static RpcException Invalid(IReadOnlyCollection<FieldError> errors)
    {
        // A refusal must fit in what clients accept as metadata (gRPC C-core: 8 KiB), however many fields are bad.
        var shown = errors.Take(MaxViolations).ToList();
        var message = LocalizedText.Join(shown.Select(e => e.Message));
        if (errors.Count > shown.Count)
        {
            var more = errors.Count - shown.Count;
            message = Bound(message, MaxMessageChars - 40) + (LocalizedText.CurrentIsEnglish ? $" And {more} more." : $"另有 {more} 处错误。");
        }
        return Build(Code.InvalidArgument, FieldError.Invalid, message,
            new Dictionary<string, string> { ["fields"] = string.Join(",", shown.Select(e => e.Field).Distinct()) },
            shown);
    }

    /// <summary>
    /// NOT_FOUND: "the session was not found" in the caller's language; ErrorInfo reason <c>{TYPE}_NOT_FOUND</c>
    /// (e.g. SESSION_NOT_FOUND) with <c>resource_type</c>, <c>field</c> and the <c>id</c> asked for; ResourceInfo too.
    /// </summary>
    public static RpcException NotFound(string field, string resourceType, string id)
    {
        var message = NotFoundMessage(resourceType);
        return Build(Code.NotFound, resourceType.ToUpperInvariant().Replace(' ', '_') + "_NOT_FOUND", message,
            new Dictionary<string, string> { ["resource_type"] = resourceType, ["field"] = field, ["id"] = Echo(id) },
            [new FieldError(field, message, "NOT_FOUND")],
            Any.Pack(new ResourceInfo { ResourceType = resourceType, ResourceName = Echo(id), Description = "not found" }));
    }

    /// <summary>
    /// A client's value quoted in a refusal's details: at most 64 characters, with control characters shown as U+FFFD,
    /// so that any value keeps the refusal small and readable.
    /// </summary>
    public static string Echo(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var bounded = Bound(value, MaxEchoChars);
        return bounded.Any(char.IsControl) ? string.Concat(bounded.Select(c => char.IsControl(c) ? '\uFFFD' : c)) : bounded;
    }

    /// <summary>PERMISSION_DENIED: ErrorInfo reason <paramref name="reason"/> (NOT_OWNER_OR_ROLE unless more precise).</summary>
    public static RpcException PermissionDenied(string field, string message, string reason = "NOT_OWNER_OR_ROLE") =>
        Build(Code.PermissionDenied, reason, message, new Dictionary<string, string> { ["field"] = field }, [new FieldError(field, message, reason)]);

    /// <summary>UNAUTHENTICATED with the reason (TOKEN_MISSING, TOKEN_INVALID, TOKEN_REVOKED, ACCOUNT_DELETED, …).</summary>
    public static RpcException Unauthenticated(string reason, string message) =>
        Build(Code.Unauthenticated, reason, message, null, []);

    /// <summary>FAILED_PRECONDITION: the request is well formed but the resource's state refuses it.</summary>
    /// <remarks>
    /// The violation's type is also the <c>ErrorInfo</c> reason, which clients switch on (e.g. QUOTA_EXHAUSTED); the
    /// subject (an id) goes into the details only (PreconditionFailure.subject, ErrorInfo metadata <c>subject</c>).
    /// </remarks>
    public static RpcException FailedPrecondition(string field, string message, string type = "STATE", string subject = "")
    {
        var metadata = new Dictionary<string, string> { ["field"] = field };
        if (subject.Length > 0)
        {
            metadata["subject"] = subject;
        }
        return Build(Code.FailedPrecondition, type, message, metadata, [new FieldError(field, message, type)],
            Any.Pack(new PreconditionFailure { Violations = { new PreconditionFailure.Types.Violation { Type = type, Subject = subject, Description = message } } }));
    }

    /// <summary>
    /// The instructor already has a Scheduled/Live session in that time: the message names it by title and time, once;
    /// its id is in ErrorInfo metadata (<c>conflicting_session_id</c>) and PreconditionFailure.subject only.
    /// </summary>
    /// <param name="when">When the other session runs, as its instructor announced it (e.g. "2026-05-04 19:30–21:00 Asia/Shanghai").</param>
    /// <param name="clashDate">For a series: the date of the series' session that overlaps it.</param>
    public static RpcException ScheduleConflict(string field, string conflictingSessionId, string conflictingTitle, string when, string? clashDate = null)
    {
        var message = (clashDate, LocalizedText.CurrentIsEnglish) switch
        {
            (null, false) => $"与已安排的直播《{conflictingTitle}》（{when}）时间冲突。",
            (null, true) => $"This overlaps your scheduled session “{conflictingTitle}” ({when}).",
            (_, false) => $"系列中 {clashDate} 的一次与已安排的直播《{conflictingTitle}》（{when}）时间冲突，整个系列未安排。",
            (_, true) => $"The series' session on {clashDate} overlaps your scheduled session “{conflictingTitle}” ({when}); nothing was scheduled.",
        };
        var metadata = new Dictionary<string, string> { ["field"] = field, ["conflicting_session_id"] = conflictingSessionId, ["conflicting_session_title"] = conflictingTitle };
        if (clashDate is not null)
        {
            metadata["clash_date"] = clashDate;
        }
        return Build(Code.FailedPrecondition, "SCHEDULE_CONFLICT", message, metadata, [new FieldError(field, message, "SCHEDULE_CONFLICT")],
            Any.Pack(new PreconditionFailure
            {
                Violations = { new PreconditionFailure.Types.Violation { Type = "SCHEDULE_CONFLICT", Subject = $"sessions/{conflictingSessionId}", Description = message } },
            }));
    }

    /// <summary>ABORTED: the caller edited a version that has changed since they read it.</summary>
    public static RpcException Stale(long expected, long actual)
    {
        var message = LocalizedText.Pick("内容已被修改，请刷新后重试。", "This was changed since you opened it. Reload and try again.");
        return Build(Code.Aborted, "STALE_VERSION", message,
            new Dictionary<string, string>
            {
                ["expected_version"] = expected.ToString(CultureInfo.InvariantCulture),
                ["current_version"] = actual.ToString(CultureInfo.InvariantCulture),
            },
            [new FieldError("expected_version", message, "STALE_VERSION")]);
    }

    /// <summary>RESOURCE_EXHAUSTED with RetryInfo; ErrorInfo reason RATE_LIMITED unless more precise (e.g. TOO_MANY_STREAMS).</summary>
    public static RpcException ResourceExhausted(string message, TimeSpan retryAfter, string reason = "RATE_LIMITED") =>
        Build(Code.ResourceExhausted, reason, message, RetryMetadata(retryAfter), [],
            Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(retryAfter) }));

    /// <summary>UNAVAILABLE with RetryInfo: the server cannot serve now (e.g. SERVER_STOPPING) and a retry shortly may succeed.</summary>
    public static RpcException Unavailable(string reason, string message, TimeSpan retryAfter) =>
        Build(Code.Unavailable, reason, message, RetryMetadata(retryAfter), [],
            Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(retryAfter) }));

    /// <summary>ErrorInfo metadata for a refusal that may be retried: <c>retry_after_seconds</c>.</summary>
    public static Dictionary<string, string> RetryMetadata(TimeSpan retryAfter) =>
        new() { ["retry_after_seconds"] = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture) };

    /// <summary>The ErrorInfo every refusal carries.</summary>
    public static ErrorInfo Info(string reason, IDictionary<string, string>? metadata = null)
    {
        var info = new ErrorInfo { Reason = reason, Domain = Domain };
        if (metadata is not null)
        {
            info.Metadata.Add(metadata);
        }
        return info;
    }

    /// <summary>The LocalizedMessage every refusal carries: the message and the locale it is in ("zh-CN" or "en").</summary>
    public static LocalizedMessage Localized(string message) =>
        new() { Locale = LocalizedText.LocaleOf(CultureInfo.CurrentUICulture), Message = Bound(message, MaxMessageChars) };

    /// <summary>"The session was not found." for the resource types the API names.</summary>
    private static string NotFoundMessage(string resourceType) => resourceType switch
    {
        "session" => LocalizedText.Pick("未找到该直播。", "The session was not found."),
        "course" => LocalizedText.Pick("未找到该课程。", "The course was not found."),
        "chapter" => LocalizedText.Pick("未找到该章节。", "The chapter was not found."),
        "user" => LocalizedText.Pick("未找到该用户。", "The user was not found."),
        "broadcast" => LocalizedText.Pick("未找到该群发。", "The broadcast was not found."),
        "broadcast image" => LocalizedText.Pick("未找到该群发的图片。", "The broadcast's image was not found."),
        "inbox message" => LocalizedText.Pick("未找到该消息。", "The message was not found."),
        "report" => LocalizedText.Pick("未找到该举报。", "The report was not found."),
        "notification" => LocalizedText.Pick("未找到该通知。", "The notification was not found."),
        _ => LocalizedText.Pick("未找到所请求的内容。", "What you asked for was not found."),
    };

    private const int MaxViolations = 10;
    private const int MaxDescriptionChars = 300;
    private const int MaxMessageChars = 600;
    private const int MaxEchoChars = 64;

    private static Any BadRequest(IReadOnlyCollection<FieldError> errors)
    {
        var locale = LocalizedText.LocaleOf(CultureInfo.CurrentUICulture);
        return Any.Pack(new BadRequest
        {
            FieldViolations =
            {
                errors.Select(e => new BadRequest.Types.FieldViolation
                {
                    Field = e.Field,
                    Description = Bound(e.Message, MaxDescriptionChars),
                    Reason = e.Reason,
                    LocalizedMessage = new LocalizedMessage { Locale = locale, Message = Bound(e.Message, MaxDescriptionChars) },
                }),
            },
        });
    }

    private static RpcException Build(Code code, string reason, string message, IDictionary<string, string>? metadata, IReadOnlyCollection<FieldError> fields, params Any[] extra)
    {
        var status = new Google.Rpc.Status
        {
            Code = (int)code,
            Message = Bound(message, MaxMessageChars),
            Details = { Any.Pack(Info(reason, metadata)), Any.Pack(Localized(message)) },
        };
        if (fields.Count > 0)
        {
            status.Details.Add(BadRequest(fields));
        }
        status.Details.Add(extra);
        return status.ToRpcException();
    }

    /// <summary>At most <paramref name="max"/> characters, never splitting a surrogate pair.</summary>
    private static string Bound(string text, int max)
    {
        if (text.Length <= max)
        {
            return text;
        }
        var cut = char.IsHighSurrogate(text[max - 2]) ? max - 2 : max - 1;
        return string.Concat(text.AsSpan(0, cut), "…");
    }
}
