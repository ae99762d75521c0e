using System.Collections.Concurrent;
using LearnHub.Api.Live;
using LearnHub.Api.V1;
using LearnHub.Core.Sessions;
using LearnHub.Server.Sessions;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using CoreStatus = LearnHub.Core.Sessions.SessionStatus;

namespace LearnHub.Server.Presence;

/// <summary>
/// Pushes count and status changes to this node's watch streams and to dashboards. Counts are coalesced per session:
/// the first change after a quiet <see cref="PresenceOptions.PushInterval"/> goes out at once, the rest of a burst in
/// one trailing push. Every push reads the count when it is sent, so the last value pushed is always the true count.
/// </summary>
public sealed partial class LivePublisher(
    ILiveViewerCounts counts,
    LiveSessionDirectory directory,
    WatchStreams streams,
    IHubContext<LiveDashboardHub, ILiveHubClient> hub,
    IOptions<PresenceOptions> options,
    TimeProvider clock,
    ILogger<LivePublisher> logger)
{
    private readonly ConcurrentDictionary<string, Pacing> pacing = new(StringComparer.Ordinal);

    /// <summary>A session's count may have changed (called on the joining or leaving thread).</summary>
    public void CountChanged(string sessionId)
    {
        var state = pacing.GetOrAdd(sessionId, _ => new Pacing());
        var interval = options.Value.PushInterval;
        var changedHere = counts.Read(sessionId).ChangedHere;
        lock (state)
        {
            state.DashboardsDue |= changedHere;
            if (state.Trailing is not null)
            {
                return; // a push is already due; it will read the count then
            }
            if (state.LastPushAt is { } last && clock.GetElapsedTime(last) is var sinceLast && sinceLast < interval)
            {
                var trailing = clock.CreateTimer(
                    static s => { var (publisher, id) = ((LivePublisher, string))s!; publisher.PushTrailing(id); },
                    (this, sessionId), interval - sinceLast, Timeout.InfiniteTimeSpan);
                // The timer counts from when it was made: if the clock passed the due moment meanwhile (a preempted
                // thread, a jump of a test's fake clock), it would wait a whole interval more, or for a jump that never
                // comes. Then the push goes now instead.
                if (clock.GetElapsedTime(last) < interval)
                {
                    state.Trailing = trailing;
                    return;
                }
                trailing.Dispose();
            }
            state.LastPushAt = clock.GetTimestamp();
            QueuePush(sessionId);
        }
    }

    /// <summary>
    /// A session changed status or schedule (its row is already refreshed in the directory). Every node updates its own
    /// watch streams; only the node where the change was made tells the dashboards (<paramref name="tellDashboards"/>).
    /// Boards of live sessions hear it when it went live or stopped being live; <paramref name="toLiveBoards"/> says so
    /// when <paramref name="before"/> is not known.
    /// </summary>
    public void StatusChanged(SessionRow? before, SessionRow after, bool tellDashboards = true, bool toLiveBoards = false)
    {
        var present = counts.CurrentViewers(after.Id);
        var state = pacing.GetOrAdd(after.Id, _ => new Pacing());
        lock (state)
        {
            var kind = after.Status.IsFinal() ? WatchSessionUpdate.Types.Kind.Final : WatchSessionUpdate.Types.Kind.Status;
            streams.Offer(after.Id, new WatchSessionUpdate { Kind = kind, State = after.ToLiveState(present, clock.GetUtcNow()) });
        }
        if (tellDashboards)
        {
            var groups = new List<string>(3) { LiveViews.Groups.Session(after.Id) };
            if (after.Status == CoreStatus.Live || before?.Status == CoreStatus.Live || toLiveBoards)
            {
                groups.Add(LiveViews.Groups.AllLive);
                groups.Add(LiveViews.Groups.LiveOf(after.InstructorId));
            }
            Send(hub.Clients.Groups(groups).SessionStatusChanged(after.ToView(present)), after.Id);
        }
        if (after.Status.IsFinal())
        {
            pacing.TryRemove(after.Id, out _);
        }
    }

    /// <summary>
    /// Sends the count of every session this node follows to the dashboards again. Called when the SignalR backplane's
    /// subscription comes back after Redis was away (<c>BackplaneCatchUp</c>): hub messages sent meanwhile were lost
    /// (pub/sub keeps nothing), so a dashboard could show a count that changed while Redis restarted until the next
    /// change. The caller reads the counts from Redis first; a dashboard drops a count whose number it already has, so one
    /// that missed nothing sees no change.
    /// </summary>
    public void RepushAll()
    {
        foreach (var (sessionId, state) in pacing)
        {
            lock (state)
            {
                state.DashboardsDue = true;
                if (state.Trailing is not null)
                {
                    continue; // the push already due sends it
                }
                state.LastPushAt = clock.GetTimestamp();
            }
            QueuePush(sessionId);
        }
    }

    /// <summary>Drops the pacing state of a session nobody watches any more (a trailing push still due keeps it).</summary>
    public void Forget(string sessionId)
    {
        if (pacing.TryGetValue(sessionId, out var state))
        {
            lock (state)
            {
                if (state.Trailing is null)
                {
                    pacing.TryRemove(new KeyValuePair<string, Pacing>(sessionId, state));
                }
            }
        }
    }

    /// <summary>Pushes the count off the calling thread (a joining or leaving call, the backplane's catch-up).</summary>
    private void QueuePush(string sessionId) =>
        ThreadPool.UnsafeQueueUserWorkItem(static s => s.Publisher.PushCount(s.SessionId), (Publisher: this, SessionId: sessionId), preferLocal: false);

    private void PushTrailing(string sessionId)
    {
        if (pacing.TryGetValue(sessionId, out var state))
        {
            lock (state)
            {
                state.Trailing?.Dispose();
                state.Trailing = null;
                state.LastPushAt = clock.GetTimestamp();
            }
        }
        PushCount(sessionId);
    }

    private void PushCount(string sessionId)
    {
        if (!pacing.TryGetValue(sessionId, out var state))
        {
            return;
        }
        if (directory.TryGet(sessionId) is not { } row)
        {
            // Across nodes a count can change here for a session this node never loaded (it removed a dead node's
            // viewers): the dashboards still hear it from here, after one read of the session.
            if (counts.Read(sessionId).Sequence is not null && state.DashboardsDue)
            {
                _ = LoadThenPushAsync(sessionId);
            }
            return;
        }
        var groups = row.Status == CoreStatus.Live
            ? new[] { LiveViews.Groups.Session(sessionId), LiveViews.Groups.AllLive, LiveViews.Groups.LiveOf(row.InstructorId) }
            : [LiveViews.Groups.Session(sessionId)];
        lock (state)
        {
            // Read, number and hand out under the lock, so pushes leave in the order their counts were read. The few
            // dashboards first: handing the update to every watch stream of a big session takes longer.
            var reading = counts.Read(sessionId);
            var present = reading.Viewers;
            var now = clock.GetUtcNow();
            if (state.DashboardsDue)
            {
                state.DashboardsDue = false;
                var change = new ViewerCountChange(sessionId, row.Status.ToString(), present, now, reading.Sequence ?? ++state.Sequence);
                Send(hub.Clients.Groups(groups).ViewerCountChanged(change), sessionId);
            }
            var kind = row.Status.IsFinal() ? WatchSessionUpdate.Types.Kind.Final : WatchSessionUpdate.Types.Kind.Viewers;
            streams.Offer(sessionId, new WatchSessionUpdate { Kind = kind, State = row.ToLiveState(present, now) });
        }
    }

    private async Task LoadThenPushAsync(string sessionId)
    {
        try
        {
            if (await directory.GetFreshAsync(sessionId, CancellationToken.None) is not null)
            {
                PushCount(sessionId);
            }
        }
        catch (Exception e)
        {
            LogPushFailed(logger, sessionId, e);
        }
    }

    private void Send(Task sending, string sessionId)
    {
        if (!sending.IsCompletedSuccessfully)
        {
            _ = sending.ContinueWith(
                t => LogPushFailed(logger, sessionId, t.Exception!),
                CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pushing to the dashboards of session {SessionId} failed")]
    private static partial void LogPushFailed(ILogger logger, string sessionId, Exception exception);

    private sealed class Pacing
    {
        public long? LastPushAt { get; set; }

        public ITimer? Trailing { get; set; }

        public long Sequence { get; set; }

        /// <summary>A change made on this node awaits its dashboard push (other nodes' changes are theirs to tell).</summary>
        public bool DashboardsDue { get; set; }
    }
}
