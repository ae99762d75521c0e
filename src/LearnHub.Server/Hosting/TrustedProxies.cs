using Microsoft.AspNetCore.HttpOverrides;

namespace LearnHub.Server.Hosting;

/// <summary>
/// <c>Web:TrustedProxies</c>: the reverse proxies (addresses or CIDR ranges) whose <c>X-Forwarded-For</c> and
/// <c>X-Forwarded-Proto</c> are believed. Behind them the client's own address is what the per-address limits count
/// (token-less reads and watch streams, calendar feeds, the ingest callbacks' allow-list); without them every visitor
/// would share the proxy's bucket. A header from anyone else is ignored, so a client cannot pick its own address.
/// </summary>
public static class TrustedProxies
{
    public const string Key = "Web:TrustedProxies";

    public static IServiceCollection AddTrustedProxies(this IServiceCollection services, IConfiguration configuration)
    {
        var proxies = Read(configuration);
        if (proxies.Count == 0)
        {
            return services;
        }
        return services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            foreach (var proxy in proxies)
            {
                o.KnownIPNetworks.Add(proxy);
            }
            // Walk back through every trusted hop (a CDN in front of a load balancer), stopping at the first address that
            // is not a trusted proxy: that one is the client.
            o.ForwardLimit = null;
        });
    }

    /// <summary>Before anything reads the client's address.</summary>
    public static IApplicationBuilder UseTrustedProxies(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return Read(app.ApplicationServices.GetRequiredService<IConfiguration>()).Count == 0 ? app : app.UseForwardedHeaders();
    }

    /// <summary>The configured proxies; a value that is neither an address nor a CIDR range stops the start with one line.</summary>
    public static IReadOnlyList<System.Net.IPNetwork> Read(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var proxies = new List<System.Net.IPNetwork>();
        foreach (var entry in configuration.GetSection(Key).GetChildren())
        {
            var value = entry.Value?.Trim() ?? "";
            if (!AddressRanges.TryParse(value, out var proxy))
            {
                throw new StartupRefusedException($"{Key}:{entry.Key} is '{value}', not a proxy address like 10.0.0.5 or a range like 10.0.0.0/8.");
            }
            proxies.Add(proxy);
        }
        return proxies;
    }
}
