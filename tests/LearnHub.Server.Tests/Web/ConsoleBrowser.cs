using System.Net;
using System.Text.RegularExpressions;
using LearnHub.Server.Identity;
using LearnHub.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace LearnHub.Server.Tests.Web;

/// <summary>
/// A browser's view of the console over plain HTTP against the in-process host: it keeps the cookies the server sets
/// (sign-in, antiforgery, culture), follows no redirect, and reads the antiforgery token a page renders into its forms.
/// </summary>
public sealed partial class ConsoleBrowser : IDisposable
{
    private readonly HttpClient http;
    private readonly Dictionary<string, string> cookies = new(StringComparer.Ordinal);

    public ConsoleBrowser(LearnHubApp app)
    {
        ArgumentNullException.ThrowIfNull(app);
        http = new HttpClient(app.Server.CreateHandler()) { BaseAddress = app.Server.BaseAddress };
        App = app;
    }

    public LearnHubApp App { get; }

    public IReadOnlyDictionary<string, string> Cookies => cookies;

    /// <summary>Signs in through the sign-in form with a password set for the user first, as a person would.</summary>
    public static async Task<ConsoleBrowser> SignedInAsync(LearnHubApp app, TestUser user, string password = "console-password-1")
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(user);
        var accounts = app.Services.GetRequiredService<AdminAccounts>();
        var users = app.Services.GetRequiredService<UserStore>();
        await accounts.SetPasswordAsync((await users.FindAsync(user.Id, CancellationToken.None))!, password, CancellationToken.None);
        var browser = new ConsoleBrowser(app);
        using var signedIn = await browser.SignInAsync(user.Handle, password);
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        Assert.True(browser.cookies.ContainsKey(AuthSchemes.AdminCookieName), "the sign-in form set no console cookie");
        return browser;
    }

    /// <summary>Posts the sign-in form of <c>/account/login{query}</c> (the token read from that page).</summary>
    public async Task<HttpResponseMessage> SignInAsync(string handle, string password, string query = "")
    {
        var token = await TokenFromAsync("/account/login" + query);
        return await PostFormAsync("/account/login" + query, new()
        {
            ["_handler"] = "login",
            ["Input.Handle"] = handle,
            ["Input.Password"] = password,
            ["__RequestVerificationToken"] = token,
        });
    }

    public async Task<HttpResponseMessage> GetAsync(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        return await SendAsync(request);
    }

    public async Task<string> GetPageAsync(string path)
    {
        using var response = await GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>The antiforgery token a page renders into its forms (and the cookie it pairs with, kept here).</summary>
    public async Task<string> TokenFromAsync(string path)
    {
        var page = await GetPageAsync(path);
        var match = TokenInput().Match(page);
        Assert.True(match.Success, $"no antiforgery token on {path}");
        return WebUtility.HtmlDecode(match.Groups["token"].Value);
    }

    public async Task<HttpResponseMessage> PostFormAsync(string path, Dictionary<string, string> fields)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(fields) };
        return await SendAsync(request);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request)
    {
        if (cookies.Count > 0)
        {
            request.Headers.Add("Cookie", string.Join("; ", cookies.Select(c => $"{c.Key}={c.Value}")));
        }
        var response = await http.SendAsync(request);
        if (response.Headers.TryGetValues("Set-Cookie", out var set))
        {
            foreach (var header in set)
            {
                var pair = header.Split(';', 2)[0];
                var at = pair.IndexOf('=', StringComparison.Ordinal);
                var (name, value) = (pair[..at], pair[(at + 1)..]);
                if (value.Length == 0 || header.Contains("expires=Thu, 01 Jan 1970", StringComparison.OrdinalIgnoreCase))
                {
                    cookies.Remove(name);
                }
                else
                {
                    cookies[name] = value;
                }
            }
        }
        return response;
    }

    public void Dispose() => http.Dispose();

    [GeneratedRegex("<input[^>]*name=\"__RequestVerificationToken\"[^>]*value=\"(?<token>[^\"]+)\"", RegexOptions.CultureInvariant)]
    private static partial Regex TokenInput();
}
