using System.Data.Common;
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
        PrincipalAccess.Outcome outcome;
        try
        {
            outcome = await PrincipalAccess.CheckAsync(cache, context.Principal!, context.HttpContext.RequestAborted);
        }
        catch (Exception e) when (e is DbException or TimeoutException)
        {
            // The store cannot say who the caller is now: the call is refused as UNAVAILABLE (see OnChallenge), not let through.
            context.Fail(new AccessUnknownException(e));
            return;
        }
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
        if (context.AuthenticateFailure is AccessUnknownException)
        {
            GrpcTrailersOnly.Write(context.Response, Code.Unavailable, "服务暂时不可用,请稍后重试 (the service is briefly unavailable; retry shortly).",
                new RetryInfo { RetryDelay = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromSeconds(1)) },
                new ErrorInfo { Reason = "STORE_UNAVAILABLE", Domain = "learnhub" });
            return Task.CompletedTask;
        }
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
        PrincipalAccess.Outcome outcome;
        try
        {
            outcome = await PrincipalAccess.CheckAsync(cache, context.Principal!, context.HttpContext.RequestAborted);
        }
        catch (Exception e) when (e is DbException or TimeoutException)
        {
            // The store is away: the sign-in is kept (signing everyone out for an outage would be worse); every API call
            // the console makes is checked again, and refused with UNAVAILABLE, until the store is back.
            return;
        }
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

/// <summary>The account's current state could not be read (the store is away): the call is refused as UNAVAILABLE.</summary>
public sealed class AccessUnknownException(Exception inner) : Exception("The caller's access could not be read from the store.", inner);

/// <summary>A credential refused because of the account's current state (not its signature or lifetime).</summary>
public sealed class AccessRefusedException(AccessRefusal refusal) : Exception($"Access refused: {refusal}.")
{
    public AccessRefusal Refusal { get; } = refusal;
}
