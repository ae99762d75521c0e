using Google.Protobuf.WellKnownTypes;
using LearnHub.Api.V1;
using LearnHub.Server.Data;
using LearnHub.Server.Identity;
using LearnHub.Server.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LearnHub.Server.Tests.Durability;

/// <summary>
/// The server as a real child process on the wall clock, killed with SIGKILL between scheduling and firing and
/// restarted on the same data folder: every transition and notification happens exactly once.
/// </summary>
public sealed class KillNineTests
{
    /// <summary>The reminder goes out this long before the start, so the whole story fits in seconds.</summary>
    private static readonly TimeSpan ReminderLead = TimeSpan.FromSeconds(3);

    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Killed_between_scheduling_and_firing_then_restarted_every_step_happens_once()
    {
        var data = Directory.CreateTempSubdirectory("learnhub-kill9-").FullName;
        ServerProcess? server = null;
        try
        {
            var tokens = await CreateUsersAsync(data, ("teacher-a", "instructor"), ("teacher-b", "instructor"), ("viewer-1", "viewer"), ("viewer-2", "viewer"));
            string[] viewers = [tokens["viewer-1"], tokens["viewer-2"]];
            server = await StartAsync(data);

            // Set up far ahead, where slow calls do no harm; then move both sessions close in just before the kill.
            var dueWhileDown = await ScheduleAsync(server, tokens["teacher-a"], "经济基础第19章考点梳理", DateTimeOffset.UtcNow.AddHours(1));
            var dueAfterRestart = await ScheduleAsync(server, tokens["teacher-b"], "经济基础第20章考点梳理", DateTimeOffset.UtcNow.AddHours(1));
            foreach (var viewer in viewers)
            {
                var sessions = Sessions(server, viewer);
                await sessions.ReserveSessionAsync(new ReserveSessionRequest { SessionId = dueWhileDown.Id });
                await sessions.ReserveSessionAsync(new ReserveSessionRequest { SessionId = dueAfterRestart.Id });
            }

            // B's steps are still ahead when the server comes back; A comes due entirely while it is dead.
            dueAfterRestart = await RescheduleAsync(server, tokens["teacher-b"], dueAfterRestart, DateTimeOffset.UtcNow + ReminderLead + TimeSpan.FromSeconds(13));
            dueWhileDown = await RescheduleAsync(server, tokens["teacher-a"], dueWhileDown, DateTimeOffset.UtcNow + ReminderLead + TimeSpan.FromSeconds(4));
            var remindA = dueWhileDown.PlannedStart.ToDateTimeOffset() - ReminderLead;
            Assert.True(DateTimeOffset.UtcNow < remindA, $"rescheduling took until past A's reminder ({remindA:O}); the kill would come too late");
            await server.KillAsync();

            var start = dueWhileDown.PlannedStart.ToDateTimeOffset();
            await Wait.UntilAsync(() => Task.FromResult(DateTimeOffset.UtcNow), t => t > start.AddMilliseconds(500), Deadline, "session A's start to pass while the server is dead");
            await server.DisposeAsync();
            server = null;
            server = await StartAsync(data);

            // A: reminder and go-live fire once on recovery; B: both fire on time after the restart.
            var teacherA = Sessions(server, tokens["teacher-a"]);
            var teacherB = Sessions(server, tokens["teacher-b"]);
            await Wait.UntilAsync(() => StatusAsync(teacherA, dueWhileDown), s => s == SessionStatus.Live, Deadline, "A to go live after the restart");
            await Wait.UntilAsync(() => StatusAsync(teacherB, dueAfterRestart), s => s == SessionStatus.Live, Deadline, "B to go live on time");
            foreach (var viewer in viewers)
            {
                await Wait.UntilAsync(() => KindsAsync(server, viewer), k => k.Count == 6, Deadline, "six notices per viewer");
            }
            await AssertExactlyOnceEachAsync(server, viewers, dueWhileDown, dueAfterRestart);
            var wentLive = await teacherA.GetSessionAsync(new GetSessionRequest { SessionId = dueWhileDown.Id });
            Assert.True(wentLive.LiveAt.ToDateTimeOffset() >= start, $"A went live at {wentLive.LiveAt}, before its start {start:O}: not while the server was dead");
            var ended = await teacherA.EndSessionAsync(new EndSessionRequest { SessionId = dueWhileDown.Id });
            Assert.Equal(SessionStatus.Ended, ended.Status);

            // Once more, with everything already done: nothing fires again and nothing is lost.
            await server.KillAsync();
            await server.DisposeAsync();
            server = null;
            server = await StartAsync(data);
            Assert.Equal(SessionStatus.Ended, await StatusAsync(Sessions(server, tokens["teacher-a"]), dueWhileDown));
            Assert.Equal(SessionStatus.Live, await StatusAsync(Sessions(server, tokens["teacher-b"]), dueAfterRestart));
            await AssertExactlyOnceEachAsync(server, viewers, dueWhileDown, dueAfterRestart);
        }
        finally
        {
            if (server is not null)
            {
                await server.DisposeAsync();
            }
            await TestStore.ForgetAsync(data);
            Directory.Delete(data, recursive: true);
        }
    }

    private static Task<ServerProcess> StartAsync(string data) =>
        ServerProcess.StartAsync(data, $"--Scheduling:ReminderLead={ReminderLead:c}");

    /// <summary>
    /// The first user through the operator command line (<c>user add</c>, <c>token</c>), exactly as an operator makes
    /// one; the others through the same services the command line uses, in process, since every command is a process
    /// start and those are slow on a busy machine. Returns the tokens by handle.
    /// </summary>
    internal static async Task<Dictionary<string, string>> CreateUsersAsync(string data, params (string Handle, string Role)[] users)
    {
        var (firstHandle, firstRole) = users[0];
        var created = await ServerProcess.RunCliAsync("user", "add", "--handle", firstHandle, "--name", firstHandle, "--roles", firstRole, "--data-dir", data);
        Assert.Contains(firstHandle, created, StringComparison.Ordinal);
        var tokens = new Dictionary<string, string>
        {
            [firstHandle] = await ServerProcess.RunCliAsync("token", "--user", firstHandle, "--data-dir", data),
        };

        var storage = new StorageOptions();
        await TestStore.ApplyAsync(storage, data);
        await using var services = new ServiceCollection()
            .AddLogging()
            .AddSingleton(TimeProvider.System)
            .AddSingleton(Options.Create(storage))
            .AddSingleton(Options.Create(new IdentityOptions()))
            .AddSingleton<Database>()
            .AddSingleton<UserStore>()
            .AddSingleton<SigningKeyStore>()
            .AddSingleton<TokenIssuer>()
            .BuildServiceProvider();
        foreach (var (handle, role) in users.Skip(1))
        {
            var user = await services.GetRequiredService<UserStore>().CreateAsync(handle, handle, [role], "Asia/Shanghai", CancellationToken.None);
            tokens[handle] = services.GetRequiredService<TokenIssuer>().Issue(user);
        }
        if (storage.Provider == StorageProvider.Sqlite)
        {
            SqliteConnection.ClearPool(new SqliteConnection(services.GetRequiredService<Database>().ConnectionString));
        }
        return tokens;
    }

    private static async Task<Session> ScheduleAsync(ServerProcess server, string token, string title, DateTimeOffset start) =>
        await Sessions(server, token).CreateSessionAsync(new CreateSessionRequest
        {
            Title = title, PlannedStart = Timestamp.FromDateTimeOffset(start), DurationMinutes = 30,
        });

    private static async Task<Session> RescheduleAsync(ServerProcess server, string token, Session session, DateTimeOffset start) =>
        await Sessions(server, token).UpdateSessionAsync(new UpdateSessionRequest
        {
            SessionId = session.Id, PlannedStart = Timestamp.FromDateTimeOffset(start), ExpectedVersion = session.Version,
        });

    private static async Task<SessionStatus> StatusAsync(SessionService.SessionServiceClient sessions, Session session) =>
        (await sessions.GetSessionAsync(new GetSessionRequest { SessionId = session.Id })).Status;

    private static async Task<List<(string SessionId, NotificationKind Kind)>> KindsAsync(ServerProcess server, string viewer) =>
        (await Notifications(server, viewer).ListNotificationsAsync(new ListNotificationsRequest { PageSize = 100 }))
            .Notifications.Select(n => (n.SessionId, n.Kind)).ToList();

    /// <summary>Per viewer and session: one rescheduled notice, one reminder, one went-live notice, nothing else.</summary>
    private static async Task AssertExactlyOnceEachAsync(ServerProcess server, string[] viewers, params Session[] sessions)
    {
        var expected = sessions
            .SelectMany(s => new[] { (s.Id, NotificationKind.Rescheduled), (s.Id, NotificationKind.Reminder), (s.Id, NotificationKind.WentLive) })
            .Order()
            .ToList();
        foreach (var viewer in viewers)
        {
            Assert.Equal(expected, (await KindsAsync(server, viewer)).Order().ToList());
        }
    }

    private static SessionService.SessionServiceClient Sessions(ServerProcess server, string token) => new(server.Invoker(token));

    private static NotificationService.NotificationServiceClient Notifications(ServerProcess server, string token) => new(server.Invoker(token));
}
