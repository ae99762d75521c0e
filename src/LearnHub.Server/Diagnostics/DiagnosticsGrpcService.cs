using Grpc.Core;
using LearnHub.Api.V1;
using LearnHub.Server.Grpc;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.RateLimiting;

namespace LearnHub.Server.Diagnostics;

/// <summary>The benchmarks' baseline: the same authentication and rate limiting as a real call, and no work.</summary>
[Authorize]
[EnableRateLimiting(RateLimitPolicies.Reads)]
public sealed class DiagnosticsGrpcService : DiagnosticsService.DiagnosticsServiceBase
{
    private static readonly Task<PingResponse> Pong = Task.FromResult(new PingResponse());

    public override Task<PingResponse> Ping(PingRequest request, ServerCallContext context) => Pong;
}
