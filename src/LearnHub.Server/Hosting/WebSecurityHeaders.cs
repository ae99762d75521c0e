namespace LearnHub.Server.Hosting;

/// <summary>
/// Standard security headers on every response of the web side (console pages, account endpoints, static files,
/// calendar feeds, the hub's negotiation); gRPC responses go to programs and carry none.
/// </summary>
/// <remarks>
/// The content security policy is the narrowest the Blazor Server + MudBlazor console works under (a browser test
/// loads its pages and checks that Chromium reports no violation):
/// scripts only from this site (blazor.web.js, MudBlazor.min.js: no inline script, no eval);
/// styles from this site plus inline, because MudBlazor writes its theme as a &lt;style&gt; element and positions
/// popovers, menus and charts through style attributes;
/// images from this site and data: URLs (broadcast images are shown as data: URLs);
/// connections to this site only, which covers the circuit's WebSocket (CSP 3: 'self' matches ws: on the same host);
/// no plugins, no &lt;base&gt; elsewhere, forms post only here, and no framing (with X-Frame-Options for old browsers).
/// </remarks>
public static class WebSecurityHeaders
{
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; " +
        "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>Call first in the pipeline (for browser requests), so refusals (401, 429, redirects to sign-in) carry the headers too.</summary>
    public static IApplicationBuilder UseWebSecurityHeaders(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            var headers = context.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            // Nothing in the console needs to tell another site where a link came from; feed keys travel in URLs.
            headers["Referrer-Policy"] = "no-referrer";
            headers.XFrameOptions = "DENY";
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            return next(context);
        });
}
