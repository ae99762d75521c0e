using System.Threading.RateLimiting;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using LearnHub.Core.Common;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace LearnHub.Server.Grpc;

/// <summary>Per-user token buckets; a call past them is answered RESOURCE_EXHAUSTED with a RetryInfo.</summary>
public sealed class RateLimitOptions
{
    public const string Section = "RateLimits";

    /// <summary>Sustained reads per second per user.</summary>
    public int ReadsPerSecond { get; set; } = 50;

    public int ReadBurst { get; set; } = 100;

    /// <summary>Sustained writes per minute per user.</summary>
    public int WritesPerMinute { get; set; } = 120;

    public int WriteBurst { get; set; } = 30;

    /// <summary>
    /// Sustained token-less reads per second per client address (an IPv6 client by its /64): the public reads a site's
    /// pages make for every visitor. The connection's address is used: behind a proxy, configure forwarded headers.
    /// </summary>
    public int AnonymousReadsPerSecond { get; set; } = 20;

    public int AnonymousReadBurst { get; set; } = 40;
}

public static class RateLimitPolicies
{
    public const string Reads = "per-user-reads";
    public const string Writes = "per-user-writes";

    public static IServiceCollection AddPerUserRateLimits(this IServiceCollection services)
    {
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section);
        services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy<string, ReadBuckets>(Reads);
            limiter.AddPolicy<string, WriteBuckets>(Writes);
            limiter.OnRejected = (context, _) =>
            {
                Telemetry.TelemetryRegistration.RecordRateLimitRefusal(context.HttpContext);
                return WriteResourceExhausted(context.HttpContext, context.Lease);
            };
        });
        return services;
    }

    private static TokenBucketRateLimiterOptions Bucket(int burst, int tokensPerPeriod, TimeSpan period) => new()
    {
        TokenLimit = Math.Max(1, burst),
        TokensPerPeriod = Math.Max(1, tokensPerPeriod),
        ReplenishmentPeriod = period,
        QueueLimit = 0,
        AutoReplenishment = true,
    };

    /// <summary>
    /// A bucket per user; a token-less call (only the public reads let one through) by its client address, in buckets
    /// of their own. A token's principal carries its key ready-made.
    /// </summary>
    private static string PartitionKey(HttpContext http) =>
        http.User is Identity.CallerPrincipal caller ? caller.RateLimitKey
        : http.User.FindFirst(Identity.TokenClaims.Subject)?.Value is { } userId ? "user:" + userId
        : AnonymousPrefix + Calendar.CalendarFeedLimits.AddressOf(http);

    private const string AnonymousPrefix = "anonymous ";

    /// <summary>A token bucket per partition, its size read from the options when the partition is first used.</summary>
    private abstract class PerUserBuckets(Func<string, TokenBucketRateLimiterOptions> bucket) : IRateLimiterPolicy<string>
    {
        public Func<OnRejectedContext, CancellationToken, ValueTask>? OnRejected => null;

        public RateLimitPartition<string> GetPartition(HttpContext httpContext) => RateLimitPartition.GetTokenBucketLimiter(PartitionKey(httpContext), bucket);
    }

    private sealed class ReadBuckets(IOptions<RateLimitOptions> options)
        : PerUserBuckets(key => key.StartsWith(AnonymousPrefix, StringComparison.Ordinal)
            ? Bucket(options.Value.AnonymousReadBurst, options.Value.AnonymousReadsPerSecond, TimeSpan.FromSeconds(1))
            : Bucket(options.Value.ReadBurst, options.Value.ReadsPerSecond, TimeSpan.FromSeconds(1)));

    private sealed class WriteBuckets(IOptions<RateLimitOptions> options)
        : PerUserBuckets(_ => Bucket(options.Value.WriteBurst, options.Value.WritesPerMinute, TimeSpan.FromMinutes(1)));

    /// <summary>A gRPC trailers-only response: the limiter middleware runs before gRPC, so it must speak gRPC itself.</summary>
    private static ValueTask WriteResourceExhausted(HttpContext http, RateLimitLease lease)
    {
        var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(1);
        CallLanguage.Apply(http);
        GrpcTrailersOnly.Write(http.Response, Code.ResourceExhausted, LocalizedText.Pick("请求过于频繁，请稍后再试。", "Too many requests. Please try again shortly."),
            RpcErrors.Info("RATE_LIMITED", RpcErrors.RetryMetadata(retryAfter)),
            new RetryInfo { RetryDelay = Duration.FromTimeSpan(retryAfter) });
        return ValueTask.CompletedTask;
    }
}
