using System.Collections.Concurrent;
using System.Globalization;
using Grpc.Core;
using LearnHub.Api.V1;
using LearnHub.Server.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace LearnHub.Server.Tests.Faults;

/// <summary>
/// The SQLite store on a real file system that runs out of space (a small tmpfs as the data folder): calls that
/// cannot write answer UNAVAILABLE with a retry hint, never UNKNOWN; readiness goes NOT_SERVING; when space comes back
/// readiness returns by itself, every acknowledged write is there (after a restart too) and the scheduler's step that
/// came due meanwhile happens once.
/// </summary>
public sealed class FullDiskTests
{
    private const int Creates = 300;

    private static readonly ServingStatus Serving = ServingStatus.Serving;
    private static readonly ServingStatus NotServing = ServingStatus.NotServing;

    [Fact]
    public async Task A_full_disk_answers_UNAVAILABLE_and_everything_acknowledged_survives_the_recovery_and_a_restart()
    {
        if (TestStore.IsPostgres)
        {
            Assert.Skip("The full disk is the SQLite store's: the PostgreSQL run covers a lost database (PostgresFaultTests).");
        }
        await using var disk = await Tmpfs.MountAsync("24m");
        var clock = new FakeTimeProvider(Scenario.Start) { AutoAdvanceAmount = TimeSpan.Zero };
        var app = await LearnHubApp.StartAsync(dataDirectory: disk.Path, clock: clock);
        try
        {
            var teacher = await app.CreateUserAsync("wanhongcoco", "instructor");
            var viewer = await app.CreateUserAsync("xiaowang");
            // Due while the disk is full: its reminder (15 min before) and go-live must each happen once, later.
            var due = await teacher.ScheduleAsync(app.Now().AddMinutes(30), minutes: 60);
            await viewer.ReserveAsync(due.Id);
            Assert.Equal(Serving, await app.HealthAsync());

            // A little room is left: the first creates fit, then SQLite finds the disk full.
            var filled = disk.Fill(leaveFree: 192 * 1024);
            var outcome = await CreateManyAsync(teacher, Creates, app.Now().AddDays(1));

            TestContext.Current.TestOutputHelper?.WriteLine(
                $"{Creates} creates on a full disk: {outcome.Acknowledged.Count} OK, {outcome.Unavailable.Count} UNAVAILABLE ({string.Join(", ", outcome.Causes.Distinct())}), {outcome.Other.Count} other");
            Assert.True(filled > 0);
            Assert.Empty(outcome.Other);
            Assert.NotEmpty(outcome.Unavailable);
            Assert.NotEmpty(outcome.Acknowledged);
            Assert.Contains("disk_full", outcome.Causes);
            Assert.Equal(NotServing, await app.HealthAsync());
            // The clock passes the reminder and the go-live while nothing can be written.
            app.Clock.Advance(TimeSpan.FromMinutes(31));
            Assert.Equal(NotServing, await app.HealthAsync());

            disk.Free();
            await app.UntilHealthAsync(Serving);

            // Everything acknowledged is there; the refused ones, retried with their request ids, are made once each.
            foreach (var (requestId, sessionId) in outcome.Acknowledged)
            {
                Assert.Equal(sessionId, (await teacher.GetAsync(sessionId)).Id);
            }
            foreach (var (requestId, _) in outcome.Unavailable)
            {
                var created = await teacher.Sessions.CreateSessionAsync(Request(requestId, outcome.StartOf[requestId]));
                Assert.False(outcome.Acknowledged.ContainsKey(requestId));
                outcome.Acknowledged[requestId] = created.Id;
            }
            Assert.Equal(Creates, outcome.Acknowledged.Values.Distinct().Count());
            var live = await Wait.UntilAsync(
                async () =>
                {
                    app.Clock.Advance(TimeSpan.FromSeconds(5));
                    return await teacher.GetAsync(due.Id);
                },
                s => s.Status == SessionStatus.Live, TimeSpan.FromSeconds(60), "the session due during the full disk to go live");
            Assert.Equal(SessionStatus.Live, live.Status);
            await AssertNoticedOnceAsync(viewer, due.Id);

            await app.StopAsync();
            app = await LearnHubApp.StartAsync(dataDirectory: disk.Path, clock: clock);
            teacher = teacher with { App = app };
            viewer = viewer with { App = app };
            Assert.Equal(Serving, await app.HealthAsync());
            foreach (var sessionId in outcome.Acknowledged.Values)
            {
                Assert.Equal(sessionId, (await teacher.GetAsync(sessionId)).Id);
            }
            Assert.Equal(SessionStatus.Live, (await teacher.GetAsync(due.Id)).Status);
            app.Clock.Advance(TimeSpan.FromMinutes(1));
            await AssertNoticedOnceAsync(viewer, due.Id);
        }
        finally
        {
            disk.Free();
            await app.StopAsync();
        }
    }

    [Fact]
    public async Task A_data_folder_made_read_only_answers_UNAVAILABLE_until_it_is_writable_again()
    {
        if (TestStore.IsPostgres)
        {
            Assert.Skip("A read-only data folder concerns the SQLite store only.");
        }
        await using var disk = await Tmpfs.MountAsync("24m");
        await using var app = await LearnHubApp.StartAsync(dataDirectory: disk.Path, clock: new FakeTimeProvider(Scenario.Start) { AutoAdvanceAmount = TimeSpan.Zero });
        var teacher = await app.CreateUserAsync("wanhongcoco", "instructor");
        var before = await teacher.ScheduleAsync(app.Now().AddDays(1));

        // Linux makes a file system read-only only when nothing has a file open for writing on it: SQLite's pooled
        // connections are closed first. New ones then find the folder read-only, as after an I/O error remount.
        await disk.RemountAsync(readOnly: true, Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools);
        try
        {
            var refusal = await Assert.ThrowsAsync<RpcException>(() => teacher.ScheduleAsync(app.Now().AddDays(2)));
            Assert.Contains(refusal.AssertStoreUnavailable(), new[] { "read_only", "cannot_open", "io_error" });
            Assert.Equal(NotServing, await app.HealthAsync());
        }
        finally
        {
            await disk.RemountAsync(readOnly: false);
        }

        await app.UntilHealthAsync(Serving);
        var after = await teacher.ScheduleAsync(app.Now().AddDays(2));
        var ids = (await teacher.AllSessionsAsync()).Select(s => s.Id).ToList();
        Assert.Equal(new[] { before.Id, after.Id }.Order(StringComparer.Ordinal), ids.Order(StringComparer.Ordinal));
    }

    private static async Task AssertNoticedOnceAsync(TestUser viewer, string sessionId)
    {
        var kinds = (await viewer.NotificationsAsync()).Where(n => n.SessionId == sessionId).Select(n => n.Kind).Order().ToList();
        Assert.Equal([NotificationKind.Reminder, NotificationKind.WentLive], kinds);
    }

    private static CreateSessionRequest Request(string requestId, DateTimeOffset start) => new()
    {
        Title = "经济基础第21章考点梳理",
        PlannedStart = Scenario.Ts(start),
        DurationMinutes = 60,
        RequestId = requestId,
    };

    /// <summary>Creates <paramref name="count"/> sessions two hours apart, 20 calls at a time, and sorts the answers.</summary>
    private static async Task<Outcome> CreateManyAsync(TestUser teacher, int count, DateTimeOffset firstStart)
    {
        var outcome = new Outcome();
        using var slots = new SemaphoreSlim(20);
        await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            var requestId = "full-disk-" + i.ToString(CultureInfo.InvariantCulture);
            var start = firstStart.AddHours(2 * i);
            outcome.StartOf[requestId] = start;
            await slots.WaitAsync();
            try
            {
                var created = await teacher.Sessions.CreateSessionAsync(Request(requestId, start), deadline: DateTime.UtcNow.Add(Wait.DefaultDeadline));
                outcome.Acknowledged[requestId] = created.Id;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable)
            {
                outcome.Causes.Add(e.AssertStoreUnavailable());
                outcome.Unavailable[requestId] = e;
            }
            catch (RpcException e)
            {
                outcome.Other[requestId] = e;
            }
            finally
            {
                slots.Release();
            }
        }));
        return outcome;
    }

    private sealed class Outcome
    {
        public ConcurrentDictionary<string, DateTimeOffset> StartOf { get; } = new();

        public ConcurrentDictionary<string, string> Acknowledged { get; } = new();

        public ConcurrentDictionary<string, RpcException> Unavailable { get; } = new();

        public ConcurrentDictionary<string, RpcException> Other { get; } = new();

        public ConcurrentBag<string> Causes { get; } = [];
    }
}
