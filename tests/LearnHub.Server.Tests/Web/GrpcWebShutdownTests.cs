using Google.Rpc;
using Grpc.Core;
using Grpc.Net.Client.Web;
using LearnHub.Api.V1;
using LearnHub.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LearnHub.Server.Tests.Web;

/// <summary>
/// <see cref="ShutdownDraining"/>'s refusal as a browser's gRPC-Web client reads it. The real host cannot be made to
/// stop and keep answering on cue (the host owns its lifetime), so this runs the product's gRPC-Web registration and
/// the draining middleware, in the product's order, in front of a Ping service, with a stop the test triggers.
/// </summary>
public sealed class GrpcWebShutdownTests
{
    [Theory]
    [MemberData(nameof(GrpcWebTests.Modes), MemberType = typeof(GrpcWebTests))]
    public async Task A_stopping_server_refuses_gRPC_Web_calls_with_SERVER_STOPPING_a_browser_can_read(GrpcWebMode mode)
    {
        var stopping = new StoppingOnCue();
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Configuration["Web:CorsOrigins:0"] = GrpcWebServer.AllowedOrigin;
        builder.Services.AddGrpc();
        builder.AddGrpcWebAccess();
        await using var app = builder.Build();
        app.UseGrpcWebAccess();
        app.Use(next => new ShutdownDraining(next, stopping).InvokeAsync);
        app.MapGrpcService<PingService>();
        await app.StartAsync();
        using var browser = new GrpcWebClient("http://localhost", mode, GrpcWebServer.AllowedOrigin, app.GetTestServer().CreateHandler());
        var client = new DiagnosticsService.DiagnosticsServiceClient(browser.Channel);
        await client.PingAsync(new PingRequest(), deadline: DateTime.UtcNow.AddSeconds(30));

        await stopping.StopAsync();

        var refusal = await Assert.ThrowsAsync<RpcException>(() => client.PingAsync(new PingRequest(), deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync);
        Assert.True(refusal.StatusCode == StatusCode.Unavailable, $"{refusal.Status}");
        Assert.Equal("SERVER_STOPPING", refusal.GetRpcStatus()?.GetDetail<ErrorInfo>()?.Reason);
        Assert.NotNull(refusal.GetRpcStatus()?.GetDetail<RetryInfo>());
        var response = browser.Responses.Last();
        Assert.Equal(GrpcWebServer.AllowedOrigin, GrpcWebTests.Header(response, "Access-Control-Allow-Origin"));
        // On the wire: gRPC-Web's content type (a browser client refuses application/grpc) and the status in headers.
        using var http = app.GetTestServer().CreateClient();
        using var raw = await http.SendAsync(GrpcWebRefusalTests.RawCall("http://localhost/learnhub.v1.DiagnosticsService/Ping", "application/grpc-web+proto", GrpcWebRefusalTests.Frame([])));
        Assert.StartsWith("application/grpc-web", raw.Content.Headers.ContentType?.MediaType ?? "", StringComparison.Ordinal);
        Assert.Equal("14", GrpcWebTests.Header(raw, "grpc-status"));
        await app.StopAsync();
    }

    private sealed class PingService : DiagnosticsService.DiagnosticsServiceBase
    {
        public override Task<PingResponse> Ping(PingRequest request, ServerCallContext context) => Task.FromResult(new PingResponse());
    }

    private sealed class StoppingOnCue : IHostApplicationLifetime, IDisposable
    {
        private readonly CancellationTokenSource stopping = new();

        public CancellationToken ApplicationStarted => CancellationToken.None;

        public CancellationToken ApplicationStopping => stopping.Token;

        public CancellationToken ApplicationStopped => CancellationToken.None;

        public Task StopAsync() => stopping.CancelAsync();

        public void StopApplication() => stopping.Cancel();

        public void Dispose() => stopping.Dispose();
    }
}
