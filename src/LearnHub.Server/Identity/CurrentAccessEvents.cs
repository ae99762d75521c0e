using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace LearnHub.Server.Identity;

/// <summary>
/// Holds every console cookie to the user's current state on each request (bearer tokens get the same check in
/// <see cref="ApiTokenHandler"/>): a deleted or deactivated account, or a cookie issued before the account's security
/// stamp moved, is refused; roles are the user's current ones, whatever the cookie says. The state comes from
/// <see cref="UserAccessCache"/>, so a check costs a dictionary read.
/// </summary>
public static class CurrentAccessEvents
{
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
