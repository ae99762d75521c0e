using Google.Rpc;
using LearnHub.Server.Grpc;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.JwtBearer;

namespace LearnHub.Server.Identity;

/// <summary>
/// Holds every bearer token and console cookie to the user's current state on each request: a deleted or deactivated
/// account, or a credential issued before the account's security stamp moved, is refused; roles are the user's
/// current ones, whatever the credential says. The state comes from <see cref="UserAccessCache"/>, so a check costs
/// a dictionary read.
/// </summary>
public static class CurrentAccessEvents
{
    public static async Task OnTokenValidated(TokenValidatedContext context)
    {
        var cache = context.HttpContext.RequestServices.GetRequiredService<UserAccessCache>();
        // A store fault here propagates: StoreFaultMiddleware answers UNAVAILABLE (and readiness hears of it).
        var outcome = await PrincipalAccess.CheckAsync(cache, context.Principal!, context.HttpContext.RequestAborted);
        if (outcome.Refusal is { } refusal)
        {
            context.Fail(new AccessRefusedException(refusal));
            return;
        }
        context.Principal = outcome.Principal;
    }

    /// <summary>A refused gRPC call gets a gRPC status that says why, not a bare HTTP 401.</summary>
    public static Task OnChallenge(JwtBearerChallengeContext context)
    {
        if (!GrpcTrailersOnly.IsGrpcRequest(context.HttpContext))
        {
            return Task.CompletedTask;
        }
        context.HandleResponse();
        var (reason, message) = context.AuthenticateFailure switch
        {
            AccessRefusedException { Refusal: AccessRefusal.Deleted } => ("ACCOUNT_DELETED", "账号不存在 (this account no longer exists)."),
            AccessRefusedException { Refusal: AccessRefusal.Deactivated } => ("ACCOUNT_DEACTIVATED", "账号已停用 (this account is deactivated)."),
            AccessRefusedException { Refusal: AccessRefusal.Revoked } => ("TOKEN_REVOKED", "登录已失效,请重新登录 (this token was retired; sign in again)."),
            null => ("TOKEN_MISSING", "请先登录 (sign in first: send a bearer token)."),
            _ => ("TOKEN_INVALID", "令牌无效或已过期 (the token is invalid or expired)."),
        };
        GrpcTrailersOnly.Write(context.Response, Code.Unauthenticated, message, new ErrorInfo { Reason = reason, Domain = "learnhub" });
        return Task.CompletedTask;
    }

    public static async Task OnValidatePrincipal(CookieValidatePrincipalContext context)
    {
        var cache = context.HttpContext.RequestServices.GetRequiredService<UserAccessCache>();
        var outcome = await PrincipalAccess.CheckAsync(cache, context.Principal!, context.HttpContext.RequestAborted);
        if (outcome.Principal is not { } current)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return;
        }
        if (!ReferenceEquals(current, context.Principal))
        {
            // Roles changed since sign-in: the cookie is written again with the current ones.
            context.ReplacePrincipal(current);
            context.ShouldRenew = true;
        }
    }
}

/// <summary>A credential refused because of the account's current state (not its signature or lifetime).</summary>
public sealed class AccessRefusedException(AccessRefusal refusal) : Exception($"Access refused: {refusal}.")
{
    public AccessRefusal Refusal { get; } = refusal;
}
