using Google.Rpc;
using Grpc.Core;
using Grpc.Health.V1;
using LearnHub.Server.Faults;
using LearnHub.Server.Tests.Infrastructure;

namespace LearnHub.Server.Tests.Faults;

/// <summary>What a client sees of a store fault, and readiness as grpc.health.v1 reports it.</summary>
public static class StoreFaultAssertions
{
    /// <summary>UNAVAILABLE with a RetryInfo, an ErrorInfo STORE_UNAVAILABLE naming the cause, and a readable message.</summary>
    public static string AssertStoreUnavailable(this RpcException refusal)
    {
        Assert.Equal(StatusCode.Unavailable, refusal.StatusCode);
        var status = refusal.GetRpcStatus();
        Assert.NotNull(status);
        var retry = status.GetDetail<RetryInfo>();
        Assert.NotNull(retry);
        Assert.True(retry.RetryDelay.ToTimeSpan() > TimeSpan.Zero, "RetryInfo names a delay");
        var info = status.GetDetail<ErrorInfo>();
        Assert.NotNull(info);
        Assert.Equal("STORE_UNAVAILABLE", info.Reason);
        // No accept-language and no saved language: zh-CN, with the same text in LocalizedMessage.
        Assert.Contains("秒后重试", status.Message, StringComparison.Ordinal);
        Assert.Equal(("zh-CN", status.Message), (status.GetDetail<LocalizedMessage>()?.Locale, status.GetDetail<LocalizedMessage>()?.Message));
        return info.Metadata["cause"];
    }

    public static async Task<HealthCheckResponse.Types.ServingStatus> HealthAsync(this LearnHubApp app) =>
        (await new Health.HealthClient(app.Channel).CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.Add(Wait.DefaultDeadline))).Status;

    /// <summary>
    /// Polls readiness until it says <paramref name="expected"/>, letting the host's clock run on a second per poll: the
    /// write probe runs at most every <see cref="StoreHealth.ProbeInterval"/> of that clock.
    /// </summary>
    public static Task UntilHealthAsync(this LearnHubApp app, HealthCheckResponse.Types.ServingStatus expected, TimeSpan? deadline = null) =>
        Wait.UntilAsync(
            async () =>
            {
                app.Clock.Advance(TimeSpan.FromSeconds(1));
                return await app.HealthAsync();
            },
            status => status == expected,
            deadline ?? TimeSpan.FromSeconds(60),
            $"grpc.health.v1 {expected}");
}
