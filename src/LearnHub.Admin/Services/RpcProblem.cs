using Google.Rpc;
using Grpc.Core;
using LearnHub.Core.Common;

namespace LearnHub.Admin.Services;

/// <summary>
/// What the API said when it refused a call, in the shape a form needs: a message per field (from
/// google.rpc.BadRequest) and, for a schedule conflict, the session in the way.
/// </summary>
public sealed record RpcProblem(StatusCode Code, string Message, IReadOnlyDictionary<string, string> FieldErrors, string? ConflictingSessionId, string? ConflictingSessionTitle)
{
    public static RpcProblem From(RpcException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var status = exception.GetRpcStatus();
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        string? conflictId = null;
        string? conflictTitle = null;
        if (status is not null)
        {
            foreach (var violation in status.GetDetail<BadRequest>()?.FieldViolations ?? [])
            {
                fields[violation.Field] = fields.TryGetValue(violation.Field, out var existing) ? LocalizedText.Join([existing, violation.Description]) : violation.Description;
            }
            var info = status.GetDetail<ErrorInfo>();
            if (info?.Reason == "SCHEDULE_CONFLICT")
            {
                conflictId = info.Metadata.GetValueOrDefault("conflicting_session_id");
                conflictTitle = info.Metadata.GetValueOrDefault("conflicting_session_title");
            }
        }
        var message = exception.StatusCode switch
        {
            StatusCode.DeadlineExceeded or StatusCode.Unavailable => Unavailable.Current,
            _ => status?.Message ?? exception.Status.Detail,
        };
        return new RpcProblem(exception.StatusCode, message, fields, conflictId, conflictTitle);
    }

    /// <summary>Whether the API refused the call with <paramref name="code"/> and the ErrorInfo reason <paramref name="reason"/> (e.g. STREAM_KEY_UNREADABLE).</summary>
    public static bool IsRefusal(RpcException exception, StatusCode code, string reason)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception.StatusCode == code && exception.GetRpcStatus()?.GetDetail<ErrorInfo>()?.Reason == reason;
    }

    /// <summary>The console's own words when the API cannot be reached, in the circuit's language.</summary>
    private static readonly LocalizedText Unavailable = new("服务暂时不可用，请稍后重试。", "The service is unavailable right now. Please try again shortly.");

    public string? For(string field) => FieldErrors.GetValueOrDefault(field);

    /// <summary>
    /// What a form still has to say after it has shown <paramref name="shownFields"/>' errors at those fields: null when
    /// every field error is among them, else the message of the others (or the whole message when no field was named).
    /// A page puts this in its alert or toast, so a field's error is never repeated there.
    /// </summary>
    public string? Unplaced(params string[] shownFields)
    {
        if (FieldErrors.Count == 0)
        {
            return Message;
        }
        var rest = FieldErrors.Where(e => !shownFields.Contains(e.Key, StringComparer.Ordinal)).Select(e => e.Value).ToList();
        // Chinese sentences (each ending in 。) join without spaces, English ones with a space.
        return rest.Count == 0 ? null : LocalizedText.Join(rest);
    }
}
