using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.JwtBearer;

namespace LearnHub.Server.Identity;

public static class AuthSchemes
{
    public const string ApiOrCookie = "ApiOrCookie";

    /// <summary>A request with a bearer token is an API client; anything else is the admin console's browser.</summary>
    public static string Select(HttpContext context) =>
        context.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            ? JwtBearerDefaults.AuthenticationScheme
            : CookieAuthenticationDefaults.AuthenticationScheme;
}
