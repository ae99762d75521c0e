using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.JwtBearer;

namespace LearnHub.Server.Identity;

public static class AuthSchemes
{
    public const string ApiOrCookie = "ApiOrCookie";

    /// <summary>
    /// A gRPC call or a request with a bearer token is an API client (refused with UNAUTHENTICATED, never redirected to
    /// a sign-in page); anything else is the admin console's browser.
    /// </summary>
    public static string Select(HttpContext context) =>
        context.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
        || (context.Request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) ?? false)
            ? JwtBearerDefaults.AuthenticationScheme
            : CookieAuthenticationDefaults.AuthenticationScheme;
}
