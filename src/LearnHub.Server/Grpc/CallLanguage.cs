using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Claims;
using LearnHub.Core.Common;
using LearnHub.Server.Identity;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Primitives;

namespace LearnHub.Server.Grpc;

/// <summary>
/// The language a call is answered in (every refusal's message, LocalizedMessage and field descriptions): the caller's
/// saved language (users.language, held with their cached access, so no store read), else the call's
/// <c>accept-language</c> (highest q first; en* is English, zh* Chinese), else zh-CN. It becomes the call's
/// <see cref="CultureInfo.CurrentUICulture"/>, which <see cref="LocalizedText"/> reads where a message is formatted.
/// </summary>
public static class CallLanguage
{
    /// <summary>More distinct accept-language values than this and the cache starts over: a bound, not a working set.</summary>
    private const int MaxCachedHeaders = 512;

    private static readonly ConcurrentDictionary<string, CultureInfo> ByHeader = new(StringComparer.Ordinal);

    /// <summary>Sets the current UI culture from the request's caller and headers; cheap enough to call more than once.</summary>
    public static void Apply(HttpContext context) =>
        CultureInfo.CurrentUICulture = Resolve(context.User, context.Request.Headers.AcceptLanguage);

    /// <summary>The same from a gRPC call's context; nothing when the call is not hosted by ASP.NET Core (unit tests).</summary>
    public static void Apply(global::Grpc.Core.ServerCallContext context)
    {
        HttpContext http;
        try
        {
            http = global::Grpc.Core.ServerCallContextExtensions.GetHttpContext(context);
        }
        catch (InvalidOperationException)
        {
            return;
        }
        Apply(http);
    }

    /// <summary>The same for a hub invocation: the connection's caller, else the accept-language it connected with.</summary>
    public static void Apply(HubCallerContext hub) =>
        CultureInfo.CurrentUICulture = Resolve(hub.User, hub.GetHttpContext()?.Request.Headers.AcceptLanguage ?? StringValues.Empty);

    public static CultureInfo Resolve(ClaimsPrincipal? user, StringValues acceptLanguage) =>
        user is CallerPrincipal { Caller.Language: { } saved } && FromSaved(saved) is { } chosen ? chosen : FromAcceptLanguage(acceptLanguage);

    /// <summary>The culture of a saved language ("zh-CN", "en"); null for an unknown value.</summary>
    public static CultureInfo? FromSaved(string? language) => language switch
    {
        "en" => LocalizedText.English,
        "zh-CN" => LocalizedText.Chinese,
        _ => null,
    };

    /// <summary>The language an <c>accept-language</c> value prefers among those LearnHub speaks; zh-CN when none.</summary>
    public static CultureInfo FromAcceptLanguage(StringValues header)
    {
        if (header.Count != 1 || header[0] is not { Length: > 0 } value)
        {
            return header.Count > 1 ? Parse(header.ToString()) : LocalizedText.Chinese;
        }
        if (ByHeader.TryGetValue(value, out var known))
        {
            return known;
        }
        var parsed = Parse(value);
        if (value.Length <= 256)
        {
            if (ByHeader.Count >= MaxCachedHeaders)
            {
                ByHeader.Clear();
            }
            ByHeader[value] = parsed;
        }
        return parsed;
    }

    private static CultureInfo Parse(string value)
    {
        CultureInfo? best = null;
        var bestQ = 0.0;
        foreach (var item in value.Split(',', 16, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = item.Split(';', StringSplitOptions.TrimEntries);
            var q = 1.0;
            foreach (var parameter in parts.Skip(1))
            {
                if (parameter.StartsWith("q=", StringComparison.OrdinalIgnoreCase)
                    && !double.TryParse(parameter.AsSpan(2), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out q))
                {
                    q = 0;
                }
            }
            var culture = parts[0] switch
            {
                var tag when tag.Equals("en", StringComparison.OrdinalIgnoreCase) || tag.StartsWith("en-", StringComparison.OrdinalIgnoreCase) => LocalizedText.English,
                var tag when tag.Equals("zh", StringComparison.OrdinalIgnoreCase) || tag.StartsWith("zh-", StringComparison.OrdinalIgnoreCase) => LocalizedText.Chinese,
                _ => null,
            };
            if (culture is not null && q > bestQ)
            {
                best = culture;
                bestQ = q;
            }
        }
        return best ?? LocalizedText.Chinese;
    }
}
