using Grpc.Core;
using LearnHub.Api.V1;
using LearnHub.Server.Tests.Infrastructure;

namespace LearnHub.Server.Tests.Durability;

/// <summary>
/// Stopping the server (SIGTERM) with clients still watching: their streams end at once with UNAVAILABLE, which tells
/// them to reconnect (to another node, or to this one when it is back), and the process exits without waiting out
/// the host's 30-second shutdown timeout for streams that would never end by themselves.
/// </summary>
public sealed class ShutdownTests
{
    /// <summary>Well under the host's 30 s shutdown timeout, which is what open streams used to cost.</summary>
    private static readonly TimeSpan StopDeadline = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Open_watch_and_inbox_streams_end_unavailable_and_do_not_hold_the_stop()
    {
        var data = Directory.CreateTempSubdirectory("learnhub-shutdown-").FullName;
        ServerProcess? server = null;
        try
        {
            var tokens = await KillNineTests.CreateUsersAsync(data, ("teacher", "instructor"), ("viewer", "viewer"));
            server = await ServerProcess.StartAsync(data);
            var session = await new SessionService.SessionServiceClient(server.Invoker(tokens["teacher"])).CreateSessionAsync(new CreateSessionRequest
            {
                Title = "经济基础第19章考点梳理",
                PlannedStart = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddHours(1)),
                DurationMinutes = 60,
                TimeZone = "Asia/Shanghai",
            });

            using var watch = new PresenceService.PresenceServiceClient(server.Invoker(tokens["viewer"]))
                .WatchSession(new WatchSessionRequest { SessionId = session.Id });
            using var inbox = new InboxService.InboxServiceClient(server.Invoker(tokens["viewer"])).WatchInbox(new WatchInboxRequest());
            Assert.True(await watch.ResponseStream.MoveNext(TestContext.Current.CancellationToken), "the watch stream's snapshot");
            Assert.True(await inbox.ResponseStream.MoveNext(TestContext.Current.CancellationToken), "the inbox stream's summary");

            var stopped = server.TerminateAsync(StopDeadline);
            var watchEnd = await Assert.ThrowsAsync<RpcException>(() => DrainAsync(watch.ResponseStream));
            var inboxEnd = await Assert.ThrowsAsync<RpcException>(() => DrainAsync(inbox.ResponseStream));
            await stopped;

            Assert.Equal(StatusCode.Unavailable, watchEnd.StatusCode);
            Assert.Equal(StatusCode.Unavailable, inboxEnd.StatusCode);
        }
        finally
        {
            if (server is not null)
            {
                await server.DisposeAsync();
            }
            Directory.Delete(data, recursive: true);
        }
    }

    private static async Task DrainAsync<T>(IAsyncStreamReader<T> stream)
    {
        using var deadline = new CancellationTokenSource(StopDeadline);
        while (await stream.MoveNext(deadline.Token))
        {
        }
    }
}
