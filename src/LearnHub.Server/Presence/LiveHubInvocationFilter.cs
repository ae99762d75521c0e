using System.Globalization;
using System.Threading.RateLimiting;
using LearnHub.Core.Common;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace LearnHub.Server.Presence;

/// <summary>
/// Every call a dashboard makes on the live hub passes here: a per-user token bucket
/// (<see cref="PresenceOptions.HubInvocationsPerSecond"/>, <see cref="PresenceOptions.HubInvocationBurst"/>) refuses a
/// flood with a <see cref="HubException"/>, and refusals are logged as what they are: a client's mistake (information)
/// or a flood (warning), never an error. Only an unexpected failure is an error.
/// </summary>
/// <remarks>
/// SignalR's dispatcher logs every exception out of a hub method at error level, refusals included; its category is
/// silenced in <see cref="PresenceRegistration"/>, so this filter is where hub invocations are logged.
/// </remarks>
public sealed partial class LiveHubInvocationFilter : IHubFilter, IDisposable
{
    /// <summary>The SignalR logger this filter takes over from (see remarks).</summary>
    public const string DispatcherLogCategory = "Microsoft.AspNetCore.SignalR.Internal.DefaultHubDispatcher";

    private readonly PartitionedRateLimiter<string> limiter;
    private readonly ILogger<LiveHubInvocationFilter> logger;
    private readonly Telemetry.LearnHubMetrics metrics;

    /// <summary>The rate-limit policy name this filter's refusals are counted under.</summary>
    public const string RateLimitPolicy = "live-hub";

    public LiveHubInvocationFilter(IOptions<PresenceOptions> options, ILogger<LiveHubInvocationFilter> logger, Telemetry.LearnHubMetrics metrics)
    {
        this.metrics = metrics;
        var o = options.Value;
        this.logger = logger;
        limiter = PartitionedRateLimiter.Create<string, string>(user => RateLimitPartition.GetTokenBucketLimiter(user, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = Math.Max(1, o.HubInvocationBurst),
            TokensPerPeriod = Math.Max(1, o.HubInvocationsPerSecond),
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
    }

    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        ArgumentNullException.ThrowIfNull(invocationContext);
        ArgumentNullException.ThrowIfNull(next);
        var hub = invocationContext.Context;
        var user = hub.UserIdentifier ?? hub.User?.FindFirst(Identity.TokenClaims.Subject)?.Value ?? "connection:" + hub.ConnectionId;
        var method = invocationContext.HubMethodName;
        // Refusals from here on speak the caller's language (saved, else the accept-language they connected with).
        Grpc.CallLanguage.Apply(hub);
        using (var lease = limiter.AttemptAcquire(user))
        {
            if (!lease.IsAcquired)
            {
                var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(1);
                var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                LogRateLimited(logger, method, user);
                metrics.RateLimited(RateLimitPolicy);
                throw new HubException(LocalizedText.Pick($"请求过于频繁，请 {seconds} 秒后再试。", $"Too many requests. Please try again in {seconds} s."));
            }
        }
        try
        {
            return await next(invocationContext);
        }
        catch (HubException refusal)
        {
            LogRefused(logger, method, user, refusal.Message);
            throw;
        }
        catch (OperationCanceledException) when (hub.ConnectionAborted.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception failure)
        {
            LogFailed(logger, method, user, failure);
            throw;
        }
    }

    public void Dispose() => limiter.Dispose();

    [LoggerMessage(EventId = 4401, Level = LogLevel.Information, Message = "Live hub refused {Method} for {UserId}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string method, string userId, string reason);

    [LoggerMessage(EventId = 4402, Level = LogLevel.Warning, Message = "Live hub rate limit: refused {Method} for {UserId}")]
    private static partial void LogRateLimited(ILogger logger, string method, string userId);

    [LoggerMessage(EventId = 4403, Level = LogLevel.Error, Message = "Live hub method {Method} failed for {UserId}")]
    private static partial void LogFailed(ILogger logger, string method, string userId, Exception exception);
}
