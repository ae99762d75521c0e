using System.Security.Claims;
using Grpc.Core;
using LearnHub.Core.Common;
using LearnHub.Server.Grpc;

namespace LearnHub.Server.Identity;

/// <summary>The authenticated user behind a call, read from the validated token.</summary>
public sealed record Caller(string UserId, IReadOnlySet<string> Roles)
{
    /// <summary>The security stamp the caller's credential was issued under (checked on every call by authentication).</summary>
    public long Stamp { get; init; }

    /// <summary>The language the user saved ("zh-CN" or "en"), or null when unknown (refusals then follow accept-language).</summary>
    public string? Language { get; init; }

    public bool IsAdmin => Roles.Contains(Identity.Roles.Admin);

    public bool IsInstructor => Roles.Contains(Identity.Roles.Instructor);

    public bool IsReviewer => Roles.Contains(Identity.Roles.Reviewer);

    public static Caller? From(ClaimsPrincipal principal)
    {
        if (principal is CallerPrincipal fromToken)
        {
            return fromToken.Caller;
        }
        var id = principal.FindFirstValue(TokenClaims.Subject);
        if (principal.Identity?.IsAuthenticated != true || string.IsNullOrEmpty(id))
        {
            return null;
        }
        var roles = principal.FindAll(TokenClaims.Role).Select(c => c.Value).ToHashSet(StringComparer.Ordinal);
        return new Caller(id, roles) { Stamp = PrincipalAccess.StampOf(principal) };
    }

    /// <summary>
    /// The instructor a write acts for: the caller themselves, or anyone when the caller is an admin.
    /// Refuses callers that are neither instructors nor admins.
    /// </summary>
    public string ActingInstructorId(string requestedInstructorId, string field = "instructor_id")
    {
        if (IsAdmin)
        {
            if (string.IsNullOrEmpty(requestedInstructorId))
            {
                RpcErrors.ThrowInvalid(field, LocalizedText.Pick("管理员须指定讲师。", "An admin must name the instructor."));
            }
            return requestedInstructorId;
        }
        if (!IsInstructor)
        {
            throw RpcErrors.PermissionDenied(field, LocalizedText.Pick("只有讲师或管理员可以安排课程和直播。", "Only instructors and admins can schedule courses and sessions."));
        }
        if (!string.IsNullOrEmpty(requestedInstructorId) && requestedInstructorId != UserId)
        {
            throw RpcErrors.PermissionDenied(field, LocalizedText.Pick("不能替其他讲师安排。", "You cannot schedule for another instructor."));
        }
        return UserId;
    }

    /// <summary>Refuses anyone who is not an admin, with the same details as every other refusal.</summary>
    public void EnsureAdmin()
    {
        if (!IsAdmin)
        {
            throw RpcErrors.PermissionDenied("role", LocalizedText.Pick("只有管理员可以执行此操作。", "Only admins can do this."));
        }
    }

    /// <summary>Refuses anyone who is neither a reviewer nor an admin (the staff who review broadcasts and reports).</summary>
    public void EnsureReviewer()
    {
        if (!IsReviewer && !IsAdmin)
        {
            throw RpcErrors.PermissionDenied("role", LocalizedText.Pick("只有审核员或管理员可以执行此操作。", "Only reviewers and admins can do this."));
        }
    }

    /// <summary>Refuses anyone but the owning instructor or an admin (DOMAIN.md: nobody acts on another's sessions).</summary>
    public void EnsureOwnerOrAdmin(string ownerId, string field, LocalizedText what)
    {
        if (IsAdmin || (IsInstructor && ownerId == UserId))
        {
            return;
        }
        throw RpcErrors.PermissionDenied(field, LocalizedText.Pick($"无权操作其他讲师的{what.ZhCn}。", $"Only its instructor or an admin can change this {what.En}."));
    }
}

public static class CallerExtensions
{
    /// <summary>What page tokens issued to token-less callers of the public reads are bound to (no user id looks like it).</summary>
    public const string AnonymousSubject = "(anonymous)";

    /// <summary>The caller of a public read (<c>[AllowAnonymous]</c>): null when the call came without a token.</summary>
    public static Caller? CallerOrAnonymous(this ServerCallContext context) => Identity.Caller.From(context.GetHttpContext().User);

    /// <summary>The caller of an authorized call; every LearnHub service requires authentication, so it is always there.</summary>
    public static Caller Caller(this ServerCallContext context) =>
        Identity.Caller.From(context.GetHttpContext().User)
        ?? throw RpcErrors.Unauthenticated("TOKEN_MISSING", LocalizedText.Pick("请先登录。", "Please sign in first."));
}
