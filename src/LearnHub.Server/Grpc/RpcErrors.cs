using System.Diagnostics.CodeAnalysis;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using LearnHub.Core.Common;

namespace LearnHub.Server.Grpc;

/// <summary>
/// Every refusal the API gives: the right status, a readable message and google.rpc details naming the field at
/// fault (BadRequest), so that any client can show the error next to the field it concerns.
/// </summary>
public static class RpcErrors
{
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

    public static RpcException Invalid(IReadOnlyCollection<FieldError> errors)
    {
        // A refusal must fit in what clients accept as metadata (gRPC C-core: 8 KiB), however many fields are bad.
        var shown = errors.Take(MaxViolations).ToList();
        var message = string.Join(" ", shown.Select(e => $"{e.Field}: {e.Message}"));
        if (errors.Count > shown.Count)
        {
            message = $"{Bound(message, MaxMessageChars - 40)} 另有 {errors.Count - shown.Count} 处错误 (and {errors.Count - shown.Count} more).";
        }
        return Build(Code.InvalidArgument, message, BadRequest(shown));
    }

    public static RpcException NotFound(string field, string resourceType, string id) =>
        Build(
            Code.NotFound,
            $"{resourceType} '{Echo(id)}' 不存在 (not found).",
            BadRequest([new FieldError(field, $"{resourceType} '{Echo(id)}' 不存在 (not found).")]),
            Any.Pack(new ResourceInfo { ResourceType = resourceType, ResourceName = Echo(id), Description = "not found" }));

    /// <summary>
    /// A client's value quoted in a refusal: at most 64 characters, with control characters shown as U+FFFD, so that
    /// any value keeps the refusal small and readable.
    /// </summary>
    public static string Echo(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var bounded = Bound(value, MaxEchoChars);
        return bounded.Any(char.IsControl) ? string.Concat(bounded.Select(c => char.IsControl(c) ? '\uFFFD' : c)) : bounded;
    }

    public static RpcException PermissionDenied(string field, string message) =>
        Build(Code.PermissionDenied, message, BadRequest([new FieldError(field, message)]),
            Any.Pack(new ErrorInfo { Reason = "NOT_OWNER_OR_ROLE", Domain = "learnhub" }));

    /// <summary>FAILED_PRECONDITION: the request is well formed but the resource's state refuses it.</summary>
    /// <remarks>The violation's type is also the <c>ErrorInfo</c> reason, which clients switch on (e.g. QUOTA_EXHAUSTED).</remarks>
    public static RpcException FailedPrecondition(string field, string message, string type = "STATE", string subject = "") =>
        Build(Code.FailedPrecondition, message, BadRequest([new FieldError(field, message)]),
            Any.Pack(new PreconditionFailure { Violations = { new PreconditionFailure.Types.Violation { Type = type, Subject = subject, Description = message } } }),
            Any.Pack(new ErrorInfo { Reason = type, Domain = "learnhub" }));

    /// <summary>The instructor already has a Scheduled/Live session in that time; the details name it.</summary>
    public static RpcException ScheduleConflict(string field, string conflictingSessionId, string conflictingTitle, string when)
    {
        var message = $"与已安排的直播《{conflictingTitle}》({when}) 时间冲突 (overlaps session {conflictingSessionId}).";
        return Build(Code.FailedPrecondition, message, BadRequest([new FieldError(field, message)]),
            Any.Pack(new PreconditionFailure
            {
                Violations = { new PreconditionFailure.Types.Violation { Type = "SCHEDULE_CONFLICT", Subject = $"sessions/{conflictingSessionId}", Description = message } },
            }),
            Any.Pack(new ErrorInfo
            {
                Reason = "SCHEDULE_CONFLICT",
                Domain = "learnhub",
                Metadata = { ["conflicting_session_id"] = conflictingSessionId, ["conflicting_session_title"] = conflictingTitle },
            }));
    }

    /// <summary>ABORTED: the caller edited a version that has changed since they read it.</summary>
    public static RpcException Stale(long expected, long actual) =>
        Build(Code.Aborted, $"内容已被修改,请刷新后重试 (stale: expected version {expected}, current {actual}).",
            BadRequest([new FieldError("expected_version", $"current version is {actual}")]),
            Any.Pack(new ErrorInfo { Reason = "STALE_VERSION", Domain = "learnhub", Metadata = { ["current_version"] = actual.ToString(System.Globalization.CultureInfo.InvariantCulture) } }));

    public static RpcException ResourceExhausted(string message, TimeSpan retryAfter) =>
        Build(Code.ResourceExhausted, message,
            Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(retryAfter) }));

    private const int MaxViolations = 10;
    private const int MaxDescriptionChars = 300;
    private const int MaxMessageChars = 600;
    private const int MaxEchoChars = 64;

    private static Any BadRequest(IReadOnlyCollection<FieldError> errors) => Any.Pack(new BadRequest
    {
        FieldViolations = { errors.Select(e => new BadRequest.Types.FieldViolation { Field = e.Field, Description = Bound(e.Message, MaxDescriptionChars) }) },
    });

    private static RpcException Build(Code code, string message, params Any[] details) =>
        new Google.Rpc.Status { Code = (int)code, Message = Bound(message, MaxMessageChars), Details = { details } }.ToRpcException();

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
