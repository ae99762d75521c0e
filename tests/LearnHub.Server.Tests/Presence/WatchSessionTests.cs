using Google.Rpc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using LearnHub.Server.Presence;
using Grpc.Core;
using LearnHub.Api.V1;
using LearnHub.Server.Tests.Infrastructure;
using static LearnHub.Server.Tests.Infrastructure.Scenario;
using Kind = LearnHub.Api.V1.WatchSessionUpdate.Types.Kind;

namespace LearnHub.Server.Tests.Presence;

public sealed class WatchSessionTests
{
    [Fact]
    public async Task The_first_message_is_a_snapshot_with_status_counts_reservations_and_planned_times()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var viewer = await app.CreateUserAsync("xiaowang");
        var other = await app.CreateUserAsync("xiaoli");
        var start = app.Now().AddHours(1);
        var session = await instructor.ScheduleAsync(start, minutes: 90);
        await viewer.ReserveAsync(session.Id);
        await other.ReserveAsync(session.Id);

        await using var watcher = await Watcher.OpenAsync(viewer, session.Id);

        var state = watcher.Snapshot.State;
        Assert.Equal(session.Id, state.SessionId);
        Assert.Equal(session.Title, state.Title);
        Assert.Equal(SessionStatus.Scheduled, state.Status);
        Assert.Equal(1, state.Waiting);
        Assert.Equal(0, state.Watching);
        Assert.Equal(2, state.ReservationCount);
        Assert.Equal(start, state.PlannedStart.ToDateTimeOffset());
        Assert.Equal(start.AddMinutes(90), state.PlannedEnd.ToDateTimeOffset());
        Assert.Null(state.LiveAt);
    }

    [Fact]
    public async Task One_user_with_three_streams_counts_once_until_the_last_one_closes()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var viewer = await app.CreateUserAsync("xiaowang");
        var other = await app.CreateUserAsync("xiaoli");
        var session = await instructor.LiveSessionAsync();

        var streams = new List<Watcher>();
        for (var i = 0; i < 3; i++)
        {
            streams.Add(await Watcher.OpenAsync(viewer, session.Id));
        }
        await using var observer = await Watcher.OpenAsync(other, session.Id);
        Assert.Equal(2, observer.Snapshot.State.Watching);

        await streams[0].DisposeAsync();
        await streams[1].DisposeAsync();
        await app.SettleAsync(session.Id, 2);
        await streams[2].DisposeAsync();
        await app.SettleAsync(session.Id, 1);

        var last = await observer.UntilAsync(u => u.Kind == Kind.Viewers && u.State.Watching == 1);
        Assert.Equal(SessionStatus.Live, last.State.Status);
        Assert.DoesNotContain(observer.All, u => u.State.Watching > 2);
    }

    [Fact]
    public async Task Waiting_viewers_become_watching_at_go_live_without_reconnecting()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var first = await app.CreateUserAsync("xiaowang");
        var second = await app.CreateUserAsync("xiaoli");
        var session = await instructor.ScheduleAsync(app.Now().AddMinutes(10));
        await using var a = await Watcher.OpenAsync(first, session.Id);
        await using var b = await Watcher.OpenAsync(second, session.Id);
        Assert.Equal((2, 0), (b.Snapshot.State.Waiting, b.Snapshot.State.Watching));

        await instructor.Sessions.GoLiveAsync(new GoLiveRequest { SessionId = session.Id });

        foreach (var watcher in new[] { a, b })
        {
            // The creation's own status message can reach a stream opened before it was handled: it says Scheduled.
            var live = await watcher.UntilAsync(u => u.Kind == Kind.Status && u.State.Status == SessionStatus.Live);
            Assert.Equal((0, 2), (live.State.Waiting, live.State.Watching));
            Assert.NotNull(live.State.LiveAt);
        }
        Assert.Null(a.EndedWith);
    }

    [Fact]
    public async Task The_scheduler_takes_open_streams_live_and_the_end_sends_a_final_message_completes_them_and_empties_the_count()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var viewer = await app.CreateUserAsync("xiaowang");
        var start = app.Now().AddMinutes(10);
        var session = await instructor.ScheduleAsync(start, minutes: 30);
        await using var watcher = await Watcher.OpenAsync(viewer, session.Id);

        await app.AdvanceToAsync(start);
        var live = await watcher.UntilAsync(u => u.Kind == Kind.Status && u.State.Status == SessionStatus.Live);
        Assert.Equal(1, live.State.Watching);

        await app.AdvanceToAsync(start.AddMinutes(30));
        var final = await watcher.UntilAsync(u => u.Kind == Kind.Final);
        Assert.Equal(SessionStatus.Ended, final.State.Status);
        Assert.NotNull(final.State.EndedAt);
        Assert.Equal(StatusCode.OK, await watcher.CompletionAsync());
        await Wait.UntilAsync(() => Task.FromResult(app.ServerCount(session.Id)), c => c == 0, what: "nobody present after the end");
    }

    [Fact]
    public async Task Cancelling_a_session_sends_a_final_message_and_completes_the_stream()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var viewer = await app.CreateUserAsync("xiaowang");
        var session = await instructor.ScheduleAsync(app.Now().AddHours(2));
        await using var watcher = await Watcher.OpenAsync(viewer, session.Id);

        await instructor.Sessions.CancelSessionAsync(new CancelSessionRequest { SessionId = session.Id, Reason = "讲师临时有事" });

        var final = await watcher.UntilAsync(u => u.Kind == Kind.Final);
        Assert.Equal(SessionStatus.Cancelled, final.State.Status);
        Assert.Equal(StatusCode.OK, await watcher.CompletionAsync());
    }

    [Fact]
    public async Task Unknown_sessions_are_not_found_and_bad_ids_are_invalid()
    {
        await using var app = await Scenario.StartAsync();
        var viewer = await app.CreateUserAsync("xiaowang");

        foreach (var (id, code) in new[] { ("s_missing", StatusCode.NotFound), ("", StatusCode.InvalidArgument), (new string('x', 65), StatusCode.InvalidArgument) })
        {
            using var call = viewer.Presence.WatchSession(new WatchSessionRequest { SessionId = id });
            var refusal = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Equal(code, refusal.StatusCode);
            Assert.Equal("session_id", Assert.Single(refusal.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations).Field);
        }
        Assert.Equal(0, app.ServerCount("s_missing"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Ended_or_cancelled_sessions_answer_the_final_state_then_failed_precondition(bool ended)
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var viewer = await app.CreateUserAsync("xiaowang");
        Session session;
        if (ended)
        {
            session = await instructor.LiveSessionAsync();
            await instructor.Sessions.EndSessionAsync(new EndSessionRequest { SessionId = session.Id });
        }
        else
        {
            session = await instructor.ScheduleAsync(app.Now().AddHours(1));
            await instructor.Sessions.CancelSessionAsync(new CancelSessionRequest { SessionId = session.Id, Reason = "改期" });
        }

        using var call = viewer.Presence.WatchSession(new WatchSessionRequest { SessionId = session.Id });
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var final = call.ResponseStream.Current;
        Assert.Equal(Kind.Final, final.Kind);
        Assert.Equal(ended ? SessionStatus.Ended : SessionStatus.Cancelled, final.State.Status);
        var refusal = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.FailedPrecondition, refusal.StatusCode);
        Assert.NotNull(refusal.GetRpcStatus()!.GetDetail<PreconditionFailure>());
        Assert.Equal(0, app.ServerCount(session.Id));
    }

    [Fact]
    public async Task Streams_past_the_per_user_cap_are_refused_and_a_closed_one_frees_its_slot()
    {
        await using var app = await LearnHubApp.StartAsync(new Dictionary<string, string?> { ["Presence:MaxStreamsPerUser"] = "3" });
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var viewer = await app.CreateUserAsync("xiaowang");
        var other = await app.CreateUserAsync("xiaoli");
        var session = await instructor.LiveSessionAsync();
        var open = new List<Watcher>();
        for (var i = 0; i < 3; i++)
        {
            open.Add(await Watcher.OpenAsync(viewer, session.Id));
        }

        using (var fourth = viewer.Presence.WatchSession(new WatchSessionRequest { SessionId = session.Id }))
        {
            var refusal = await Assert.ThrowsAsync<RpcException>(() => fourth.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Equal(StatusCode.ResourceExhausted, refusal.StatusCode);
            Assert.NotNull(refusal.GetRpcStatus()!.GetDetail<RetryInfo>());
        }
        await using (var others = await Watcher.OpenAsync(other, session.Id))
        {
            Assert.Equal(2, others.Snapshot.State.Watching);
        }

        await open[0].DisposeAsync();
        await Wait.UntilAsync(
            async () =>
            {
                try
                {
                    open[0] = await Watcher.OpenAsync(viewer, session.Id);
                    return true;
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.ResourceExhausted)
                {
                    return false;
                }
            },
            reopened => reopened,
            what: "the freed slot");
        foreach (var watcher in open)
        {
            await watcher.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_cancelled_call_leaves_the_count_at_once()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var viewer = await app.CreateUserAsync("xiaowang");
        var other = await app.CreateUserAsync("xiaoli");
        var session = await instructor.LiveSessionAsync();
        await using var observer = await Watcher.OpenAsync(other, session.Id);
        var leaving = await Watcher.OpenAsync(viewer, session.Id);
        await app.SettleAsync(session.Id, 2);

        await leaving.LeaveAsync();

        // No clock moves here: leaving is not waiting for a keepalive or a sample.
        await Wait.UntilAsync(() => Task.FromResult(app.ServerCount(session.Id)), c => c == 1, what: "the cancelled viewer to leave");
        await app.SettleAsync(session.Id, 1);
        await observer.UntilAsync(u => u.Kind == Kind.Viewers && u.State.Watching == 1);
        Assert.NotEqual(StatusCode.OK, await leaving.CompletionAsync());
        await leaving.DisposeAsync();
    }

    [Fact]
    public async Task Concurrent_joins_and_leaves_count_each_user_once()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var session = await instructor.LiveSessionAsync();
        var users = await Task.WhenAll(Enumerable.Range(0, 60).Select(i => app.CreateUserAsync($"viewer{i:D2}")));
        await using var observer = await Watcher.OpenAsync(instructor, session.Id);

        // Every user opens two streams at the same time.
        var watchers = await Task.WhenAll(users.Concat(users).Select(u => Watcher.OpenAsync(u, session.Id)));
        await app.SettleAsync(session.Id, 61);
        await observer.UntilAsync(u => u.State.Watching == 61);

        // Half the users close both streams, a quarter one of two, concurrently.
        var leaving = watchers.Take(30).Concat(watchers.Skip(60).Take(30)).Concat(watchers.Skip(30).Take(15)).ToList();
        await Task.WhenAll(leaving.Select(w => w.DisposeAsync().AsTask()));
        await app.SettleAsync(session.Id, 31);
        var last = await observer.UntilAsync(u => u.State.Watching == 31);
        Assert.Equal(Kind.Viewers, last.Kind);

        foreach (var watcher in watchers.Except(leaving))
        {
            await watcher.DisposeAsync();
        }
        await app.SettleAsync(session.Id, 1);
        await observer.UntilAsync(u => u.State.Watching == 1);
    }

    [Fact]
    public async Task A_viewer_who_stops_reading_holds_only_the_latest_update_and_never_holds_up_the_others()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var stalledUser = await app.CreateUserAsync("stalled");
        var readerUser = await app.CreateUserAsync("reader");
        var session = await instructor.LiveSessionAsync();
        var counts = app.Services.GetRequiredService<LearnHub.Server.Presence.ILiveViewerCounts>();

        // The stalled viewer opens its stream and never reads past the snapshot.
        using var stalled = stalledUser.Presence.WatchSession(new WatchSessionRequest { SessionId = session.Id });
        Assert.True(await stalled.ResponseStream.MoveNext(CancellationToken.None).DefaultTimeout());
        await using var reader = await Watcher.OpenAsync(readerUser, session.Id);

        // 1,500 count pushes, each one let out by the clock: far more than any transport buffer holds.
        const int Pushes = 1500;
        var handles = new List<IDisposable>();
        for (var i = 0; i < Pushes; i++)
        {
            handles.Add(counts.Join(session.Id, $"u_burst_{i}"));
            await app.SettleAsync(session.Id, 3 + i);
            await reader.UntilAsync(u => u.State.Watching == 3 + i);
        }

        // The stalled stream never queued them: reading it now yields far fewer messages than were pushed, ending
        // with the true count.
        var late = new List<WatchSessionUpdate>();
        using var drain = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            while (await stalled.ResponseStream.MoveNext(drain.Token))
            {
                late.Add(stalled.ResponseStream.Current);
                if (late[^1].State.Watching == 2 + Pushes)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is RpcException or OperationCanceledException && drain.IsCancellationRequested)
        {
        }
        Assert.Equal(2 + Pushes, late[^1].State.Watching);
        Assert.True(late.Count < Pushes / 2, $"the stalled stream delivered {late.Count} of {Pushes} pushes");
        handles.ForEach(h => h.Dispose());
    }

    [Fact]
    public async Task A_count_change_reaches_watchers_even_when_the_clock_passes_its_push_time_while_the_push_is_being_timed()
    {
        var clock = new ClockThatMovesWhileATimerIsMade(Scenario.Start);
        await using var app = await LearnHubApp.StartAsync(clock: clock);
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var first = await app.CreateUserAsync("xiaowang");
        var second = await app.CreateUserAsync("xiaoli");
        var session = await instructor.LiveSessionAsync();
        await using var observer = await Watcher.OpenAsync(instructor, session.Id);
        await app.SettleAsync(session.Id, 1);
        var interval = app.Services.GetRequiredService<IOptions<PresenceOptions>>().Value.PushInterval;

        // The first change after a quiet interval goes out at once; the next one, in the same instant, is timed for
        // the interval's end. The clock reaches that end while its timer is being made (a preempted thread).
        await using var a = await Watcher.OpenAsync(first, session.Id);
        clock.MoveOnWhileMakingTheNextTimer(interval);
        await using var b = await Watcher.OpenAsync(second, session.Id);

        // Nothing moves the clock again: the push is due already and must not wait for another interval.
        await observer.UntilAsync(u => u.Kind == Kind.Viewers && u.State.Watching == 3);
    }

    /// <summary>A fake clock that moves on while the next one-shot timer is made, after the caller read the time.</summary>
    private sealed class ClockThatMovesWhileATimerIsMade(DateTimeOffset start) : FakeTimeProvider(start)
    {
        private long pendingMoveTicks;

        public void MoveOnWhileMakingTheNextTimer(TimeSpan by) => Interlocked.Exchange(ref pendingMoveTicks, by.Ticks);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            if (period == Timeout.InfiniteTimeSpan && Interlocked.Exchange(ref pendingMoveTicks, 0) is var ticks and > 0)
            {
                Advance(TimeSpan.FromTicks(ticks));
            }
            return base.CreateTimer(callback, state, dueTime, period);
        }
    }
}
