using Microsoft.AspNetCore.Authentication.Cookies;

namespace LearnHub.Server.Identity;

public static class AuthSchemes
{
    public const string ApiOrCookie = "ApiOrCookie";

    /// <summary>
    /// A gRPC call or a request with a bearer token is an API client (refused with UNAUTHENTICATED, never redirected to
    /// a sign-in page); anything else is the admin console's browser.
    /// </summary>
    /// <remarks>
    /// Hubs answer 401 rather than redirecting: their clients are programs (the admin's circuit, apps, scripts) that
    /// send a bearer token, in the header or as <c>access_token</c>; a browser holding the admin cookie may use that.
    /// </remarks>
    public static string Select(HttpContext context)
    {
        if (context.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            || (context.Request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) ?? false))
        {
            return ApiTokenDefaults.Scheme;
        }
        if (IsHubRequest(context))
        {
            return context.Request.Query.ContainsKey("access_token") || !context.Request.Cookies.ContainsKey(AdminCookieName)
                ? ApiTokenDefaults.Scheme
                : CookieAuthenticationDefaults.AuthenticationScheme;
        }
        return CookieAuthenticationDefaults.AuthenticationScheme;
    }

    public const string AdminCookieName = ".LearnHub.Admin";

    public static bool IsHubRequest(HttpContext context) => context.Request.Path.StartsWithSegments("/hubs", StringComparison.Ordinal);
}
