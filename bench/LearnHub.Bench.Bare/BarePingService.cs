using Grpc.Core;
using LearnHub.Api.V1;

namespace LearnHub.Bench.Bare;

/// <summary>
/// The same handler as the server's DiagnosticsGrpcService (a cached empty PingResponse, so the same 5-byte response
/// frame), without its [Authorize] and rate-limit policy.
/// </summary>
public sealed class BarePingService : DiagnosticsService.DiagnosticsServiceBase
{
    private static readonly Task<PingResponse> Pong = Task.FromResult(new PingResponse());

    public override Task<PingResponse> Ping(PingRequest request, ServerCallContext context) => Pong;
}
