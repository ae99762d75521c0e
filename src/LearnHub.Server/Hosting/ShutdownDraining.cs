using LearnHub.Core.Common;
using LearnHub.Server.Grpc;

namespace LearnHub.Server.Hosting;

/// <summary>
/// Once the server is stopping, new requests are turned away (gRPC: UNAVAILABLE with a retry delay; anything else:
/// 503 with Retry-After and the connection closed). The host stops its background services before Kestrel stops
/// listening, and a client reconnecting in that gap (a console page, a hub client, a watch stream) would open a
/// connection nothing ends, holding the stop for the whole shutdown timeout.
/// </summary>
public sealed class ShutdownDraining(RequestDelegate next, IHostApplicationLifetime lifetime)
{
    /// <summary>About as long as a restart takes; clients spread their retries from there.</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(5);

    private readonly CancellationToken stopping = lifetime.ApplicationStopping;

    public Task InvokeAsync(HttpContext http)
    {
        if (!stopping.IsCancellationRequested)
        {
            return next(http);
        }
        if (GrpcTrailersOnly.IsGrpcRequest(http))
        {
            CallLanguage.Apply(http);
            var refusal = RpcErrors.Unavailable("SERVER_STOPPING", LocalizedText.Pick("服务器正在重启，请稍后重试。", "The server is restarting. Try again shortly."), RetryAfter);
            GrpcTrailersOnly.Write(http.Response, refusal);
            return Task.CompletedTask;
        }
        http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        http.Response.Headers.RetryAfter = ((int)RetryAfter.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        http.Response.Headers.Connection = "close";
        return Task.CompletedTask;
    }
}
