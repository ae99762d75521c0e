using Dapper;
using Google.Rpc;
using Grpc.Core;
using Grpc.Net.Client.Web;
using LearnHub.Api.V1;
using LearnHub.Server.Data;
using LearnHub.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace LearnHub.Server.Tests.Web;

/// <summary>
/// An answer written by hand before a gRPC handler runs (a store fault in authentication, which clears the response
/// first), as a browser's gRPC-Web client reads it: a real status with its details and the CORS grant, never UNKNOWN.
/// In process, on the configured store (SQLite, or PostgreSQL with LEARNHUB_TEST_STORE=Postgres).
/// </summary>
public sealed class GrpcWebPipelineTests
{
    private static readonly Dictionary<string, string?> Settings = new() { ["Web:CorsOrigins:0"] = GrpcWebServer.AllowedOrigin };

    private static DateTime CallDeadline => DateTime.UtcNow.AddSeconds(30);

    [Theory]
    [MemberData(nameof(GrpcWebTests.Modes), MemberType = typeof(GrpcWebTests))]
    public async Task A_store_fault_while_authenticating_is_a_gRPC_status_with_the_CORS_grant_not_UNKNOWN(GrpcWebMode mode)
    {
        await using var app = await LearnHubApp.StartAsync(Settings);
        var viewer = await app.CreateUserAsync("fault-viewer");
        using var browser = new GrpcWebClient(app.Server.BaseAddress.ToString(), mode, GrpcWebServer.AllowedOrigin, app.Server.CreateHandler());
        // The user's access is read from the store on their first call: take the table away first.
        await using (var connection = await app.Services.GetRequiredService<Database>().OpenAsync(CancellationToken.None))
        {
            await connection.ExecuteAsync("ALTER TABLE users RENAME TO users_away");
        }

        var refusal = await Assert.ThrowsAsync<RpcException>(() => browser.Sessions(viewer.Token).ListMyReservationsAsync(new ListMyReservationsRequest(), deadline: CallDeadline).ResponseAsync);

        Assert.Contains(refusal.StatusCode, new[] { StatusCode.Unavailable, StatusCode.Internal });
        Assert.NotNull(refusal.GetRpcStatus()?.GetDetail<ErrorInfo>());
        Assert.Equal(GrpcWebServer.AllowedOrigin, GrpcWebTests.Header(browser.Responses.Last(), "Access-Control-Allow-Origin"));
        await using (var connection = await app.Services.GetRequiredService<Database>().OpenAsync(CancellationToken.None))
        {
            await connection.ExecuteAsync("ALTER TABLE users_away RENAME TO users");
        }
    }

    [Fact]
    public async Task An_anonymous_watch_stream_ends_with_SERVER_STOPPING_when_the_server_stops()
    {
        await using var app = await LearnHubApp.StartAsync(new Dictionary<string, string?>(Settings) { ["Storage:SeedDemoData"] = "true" });
        using var browser = new GrpcWebClient(app.Server.BaseAddress.ToString(), GrpcWebMode.GrpcWebText, GrpcWebServer.AllowedOrigin, app.Server.CreateHandler());
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var stream = browser.Presence().WatchSession(new WatchSessionRequest { SessionId = "s_demo_test2" }, cancellationToken: cancel.Token);
        Assert.Equal(WatchSessionUpdate.Types.Kind.Snapshot, (await GrpcWebTests.Next(stream, cancel.Token)).Kind);

        app.Services.GetRequiredService<Microsoft.Extensions.Hosting.IHostApplicationLifetime>().StopApplication();

        var refusal = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await stream.ResponseStream.MoveNext(cancel.Token))
            {
            }
        });
        Assert.True(refusal.StatusCode == StatusCode.Unavailable, $"{refusal.Status}");
        Assert.Equal("SERVER_STOPPING", refusal.GetRpcStatus()?.GetDetail<ErrorInfo>()?.Reason);
    }
}
