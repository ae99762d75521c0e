using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Localization;

namespace LearnHub.Admin.Services;

/// <summary>The admin's languages; the choice travels in ASP.NET Core's culture cookie and is saved per user.</summary>
public static class CultureCookie
{
    public const string Default = "zh-CN";
    public static readonly string[] Supported = ["zh-CN", "en"];

    public static void Write(HttpContext context, string culture)
    {
        ArgumentNullException.ThrowIfNull(context);
        var chosen = Supported.Contains(culture) ? culture : Default;
        context.Response.Cookies.Append(
            CookieRequestCultureProvider.DefaultCookieName,
            CookieRequestCultureProvider.MakeCookieValue(new RequestCulture(chosen)),
            new CookieOptions { Expires = DateTimeOffset.UtcNow.AddYears(1), HttpOnly = true, SameSite = SameSiteMode.Lax, IsEssential = true });
    }
}
