namespace LearnHub.Admin.Services;

/// <summary>
/// Where a sign-in, language change or refresh sends the browser back to: a path on this site, never another host
/// (open redirect). Same rule as ASP.NET Core's <c>Url.IsLocalUrl</c>: one leading slash, not followed by a second
/// slash or a backslash, and no control character anywhere (a tab or newline would be dropped by the browser, turning
/// "/\t/evil" into "//evil"). Anything else sends the browser home rather than failing the request.
/// </summary>
public static class LocalReturnUrl
{
    public const string Home = "/";

    /// <summary>The return address when it is local, else <see cref="Home"/>.</summary>
    public static string Or(string? returnUrl) => IsLocal(returnUrl) ? returnUrl! : Home;

    public static bool IsLocal(string? url)
    {
        if (string.IsNullOrEmpty(url) || url[0] != '/')
        {
            return false;
        }
        if (url.Length > 1 && url[1] is '/' or '\\')
        {
            return false;
        }
        foreach (var c in url)
        {
            if (char.IsControl(c))
            {
                return false;
            }
        }
        return true;
    }
}
