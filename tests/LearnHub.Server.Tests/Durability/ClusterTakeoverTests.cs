using Google.Protobuf.WellKnownTypes;
using LearnHub.Api.V1;
using LearnHub.Server.Tests.Infrastructure;

namespace LearnHub.Server.Tests.Durability;

/// <summary>
/// Two server processes on one PostgreSQL database (Quartz clustered), on the wall clock: the node holding a session's
/// due go-live is killed with SIGKILL, and the other node takes the step over and runs it once.
/// </summary>
public sealed class ClusterTakeoverTests
{
    /// <summary>Check-in every 5 s, dead after 10 s more: the survivor runs the step within about 20 s of the kill.</summary>
    private static readonly TimeSpan TakeoverDeadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_session_due_on_a_killed_node_goes_live_once_on_the_other_node()
    {
        if (!TestStore.IsPostgres)
        {
            Assert.Skip("A cluster needs the PostgreSQL store: run with LEARNHUB_TEST_STORE=Postgres.");
        }
        var data = Directory.CreateTempSubdirectory("learnhub-cluster-").FullName;
        ServerProcess? doomed = null;
        ServerProcess? survivor = null;
        try
        {
            // Both nodes read the same data folder: the same signing key, so a token works on either.
            var tokens = await KillNineTests.CreateUsersAsync(data, ("teacher", "instructor"), ("viewer", "viewer"));
            doomed = await ServerProcess.StartAsync(data);
            survivor = await ServerProcess.StartAsync(data);

            // Scheduled on the node about to die: its scheduler acquires the trigger due within its look-ahead window.
            var session = await new SessionService.SessionServiceClient(doomed.Invoker(tokens["teacher"])).CreateSessionAsync(new CreateSessionRequest
            {
                Title = "经济基础第19章考点梳理",
                PlannedStart = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddSeconds(6)),
                DurationMinutes = 30,
            });
            var viewerSessions = new SessionService.SessionServiceClient(survivor.Invoker(tokens["viewer"]));
            await viewerSessions.ReserveSessionAsync(new ReserveSessionRequest { SessionId = session.Id });
            await doomed.KillAsync();
            var killedAt = DateTimeOffset.UtcNow;

            await Wait.UntilAsync(
                async () => (await viewerSessions.GetSessionAsync(new GetSessionRequest { SessionId = session.Id })).Status,
                status => status == SessionStatus.Live,
                TakeoverDeadline,
                $"the surviving node to take session {session.Id} live (killed at {killedAt:O})");

            var notices = (await new NotificationService.NotificationServiceClient(survivor.Invoker(tokens["viewer"]))
                .ListNotificationsAsync(new ListNotificationsRequest { PageSize = 100 })).Notifications;
            Assert.Equal(NotificationKind.WentLive, Assert.Single(notices).Kind);
        }
        finally
        {
            if (doomed is not null)
            {
                await doomed.DisposeAsync();
            }
            if (survivor is not null)
            {
                await survivor.DisposeAsync();
            }
            await TestStore.ForgetAsync(data);
            Directory.Delete(data, recursive: true);
        }
    }
}
