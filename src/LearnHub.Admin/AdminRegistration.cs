using System.Security.Claims;
using LearnHub.Admin.Components;
using LearnHub.Admin.Services;
using LearnHub.Admin.Services.Live;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace LearnHub.Admin;

/// <summary>Mounts the admin console in a host. The host supplies <see cref="IAdminAccounts"/>, <see cref="IApiTokenSource"/> and <see cref="IUserPreferences"/>.</summary>
public static class AdminRegistration
{
    public static IServiceCollection AddLearnHubAdmin(this IServiceCollection services)
    {
        services.AddOptions<AdminOptions>().BindConfiguration(AdminOptions.Section);
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddCascadingAuthenticationState();
        // After AddRazorComponents: replaces its provider so each circuit follows its user's role changes and deactivation.
        services.AddScoped<Microsoft.AspNetCore.Components.Authorization.AuthenticationStateProvider, CurrentUserAuthenticationStateProvider>();
        services.AddMudServices();
        services.AddLocalization(o => o.ResourcesPath = "Resources");
        services.AddSingleton<AdminGrpcConnection>();
        services.AddScoped<LearnHubApi>();
        services.AddScoped<UserClock>();
        services.AddScoped<InboxBadge>();
        services.AddScoped<InboxWatch>();
        // One hub connection per circuit, opened on first use and disposed with the circuit.
        services.AddScoped<ILiveFeed, HubLiveFeed>();
        return services;
    }

    /// <summary>
    /// The console's own middleware (the culture of its pages, antiforgery of its forms). Call after authentication and
    /// authorization; the host runs it for browser requests only, so API calls do not pay for it.
    /// </summary>
    public static IApplicationBuilder UseLearnHubAdmin(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseRequestLocalization(o =>
        {
            o.SetDefaultCulture(CultureCookie.Default);
            o.AddSupportedCultures(CultureCookie.Supported);
            o.AddSupportedUICultures(CultureCookie.Supported);
            // Only the explicit choice counts (cookie, saved per user); not the browser's Accept-Language.
            o.RequestCultureProviders = [new Microsoft.AspNetCore.Localization.CookieRequestCultureProvider()];
        });
        app.UseAntiforgery();
        return app;
    }

    private static readonly Lazy<byte[]> Favicon = new(() =>
    {
        using var stream = typeof(AdminRegistration).Assembly.GetManifestResourceStream("LearnHub.Admin.favicon.ico")
            ?? throw new InvalidOperationException("The favicon is not embedded in LearnHub.Admin.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });

    /// <summary>Culture and account endpoints, static assets and the interactive components.</summary>
    public static WebApplication MapLearnHubAdmin(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapStaticAssets();
        app.MapGet("/favicon.ico", (HttpContext http) =>
        {
            http.Response.Headers.CacheControl = "public, max-age=86400";
            return Results.Bytes(Favicon.Value, "image/x-icon");
        }).AllowAnonymous();
        // A POST with the antiforgery token (form binding demands it): another site cannot change a user's saved language.
        app.MapPost("/account/culture", async ([FromForm] string culture, [FromForm] string? returnUrl, HttpContext http, IUserPreferences preferences) =>
        {
            CultureCookie.Write(http, culture);
            if (http.User.FindFirst(AdminClaims.Subject)?.Value is { } userId && CultureCookie.Supported.Contains(culture))
            {
                await preferences.SaveLanguageAsync(userId, culture, http.RequestAborted);
            }
            return Results.LocalRedirect(LocalReturnUrl.Or(returnUrl));
        }).AllowAnonymous();
        // After a settings change made through the API (e.g. the time zone): the cookie's claims are read again from the
        // user's record. Takes nothing but where to go back to, so a forged link can only re-sync a user's own claims.
        app.MapGet("/account/refresh", async (string? returnUrl, HttpContext http, IAdminAccounts accounts) =>
        {
            var auth = await http.AuthenticateAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            if (auth.Principal?.FindFirst(AdminClaims.Subject)?.Value is not { } userId
                || await accounts.RefreshAsync(userId, http.RequestAborted) is not { } principal)
            {
                await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
                return Results.LocalRedirect("/account/login");
            }
            await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, principal, auth.Properties);
            return Results.LocalRedirect(LocalReturnUrl.Or(returnUrl));
        }).RequireAuthorization();
        // No form fields to bind, so the token is checked here: another site's form must not sign the user out.
        app.MapPost("/account/logout", async (HttpContext http, IAntiforgery antiforgery) =>
        {
            if (!await antiforgery.IsRequestValidAsync(http))
            {
                return Results.BadRequest();
            }
            await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return Results.LocalRedirect("/account/login");
        });
        // The host's security headers send frame-ancestors 'none' with the whole policy on every response; the framework's
        // own "frame-ancestors 'self'" (its guard for compressed WebSockets) would only add a weaker second policy.
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode(o => o.ContentSecurityFrameAncestorsPolicy = null);
        return app;
    }
}
