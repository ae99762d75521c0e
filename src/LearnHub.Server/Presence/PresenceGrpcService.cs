using Grpc.Core;
using LearnHub.Api.V1;
using LearnHub.Core.Common;
using LearnHub.Core.Presence;
using LearnHub.Core.Sessions;
using LearnHub.Server.Data;
using LearnHub.Server.Grpc;
using LearnHub.Server.Identity;
using LearnHub.Server.Sessions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using CoreStatus = LearnHub.Core.Sessions.SessionStatus;

namespace LearnHub.Server.Presence;

[Authorize]
[EnableRateLimiting(RateLimitPolicies.Reads)]
public sealed class PresenceGrpcService(
    Database database,
    LiveSessionDirectory directory,
    ILiveViewerCounts counts,
    AudienceLedger ledger,
    WatchStreams streams,
    WatchStreamQuota quota,
    AudienceRecorder recorder,
    IOptions<PresenceOptions> options,
    OpenConnections connections,
    IHostApplicationLifetime lifetime,
    TimeProvider clock) : PresenceService.PresenceServiceBase
{
    /// <summary>
    /// Public: a token-less stream gets the same updates (SNAPSHOT, STATUS, VIEWERS, FINAL) but is not a viewer: it is
    /// not counted in <c>watching</c>/<c>waiting</c> nor in watch time (viewers are distinct signed-in users), and its
    /// streams are capped per client address rather than per user.
    /// </summary>
    [AllowAnonymous]
    public override async Task WatchSession(WatchSessionRequest request, IServerStreamWriter<WatchSessionUpdate> responseStream, ServerCallContext context)
    {
        var caller = context.CallerOrAnonymous();
        CheckSessionId(request.SessionId);
        if (caller is null)
        {
            await WatchAnonymouslyAsync(request.SessionId, responseStream, context);
            return;
        }
        var limit = options.Value.MaxStreamsPerUser;
        if (!quota.TryAcquire(caller.UserId, limit))
        {
            throw RpcErrors.ResourceExhausted(LocalizedText.Pick($"同时观看的直播流已达上限 {limit} 个。", $"You are already watching {limit} streams, the most allowed at once."), TimeSpan.FromSeconds(5), "TOO_MANY_STREAMS");
        }
        try
        {
            // A viewer whose account is deactivated (or whose sign-in is retired) stops watching at once.
            using var connection = connections.Open(caller, endsOnRoleChange: false);
            using var watching = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, connection.Ended);
            try
            {
                await WatchAsync(request.SessionId, caller.UserId, responseStream, watching.Token, context.CancellationToken);
            }
            catch (Exception e) when (e is not RpcException && connection.Ended.IsCancellationRequested)
            {
                // Ended by an access change (or the shutdown) while a store read was under way: whatever the cancelled
                // read threw, the viewer is told below why the stream ended, not of a store fault that never happened.
            }
            connection.ThrowIfEnded();
        }
        finally
        {
            quota.Release(caller.UserId);
        }
    }

    private async Task WatchAnonymouslyAsync(string sessionId, IServerStreamWriter<WatchSessionUpdate> responseStream, ServerCallContext context)
    {
        // Quota keys of their own: a user id never starts with a space.
        var address = " " + Calendar.CalendarFeedLimits.AddressOf(context.GetHttpContext());
        var limit = options.Value.MaxAnonymousStreamsPerAddress;
        if (!quota.TryAcquire(address, limit))
        {
            throw RpcErrors.ResourceExhausted(LocalizedText.Pick($"此网络同时观看的直播流已达上限 {limit} 个。", $"This network is already watching {limit} streams, the most allowed at once."), TimeSpan.FromSeconds(5), "TOO_MANY_STREAMS");
        }
        try
        {
            // Signed-in streams end at shutdown through OpenConnections; an anonymous one would hold the stop until
            // Kestrel's timeout, so it ends the same way, with the same SERVER_STOPPING.
            var stopping = lifetime.ApplicationStopping;
            using var watching = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, stopping);
            await WatchAsync(sessionId, null, responseStream, watching.Token, context.CancellationToken);
            if (stopping.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
            {
                throw RpcErrors.Unavailable("SERVER_STOPPING", LocalizedText.Pick("服务器正在重启，请稍后重新连接。", "The server is restarting. Reconnect shortly."), Hosting.ShutdownDraining.RetryAfter);
            }
        }
        finally
        {
            quota.Release(address);
        }
    }

    /// <param name="ct">Ends the stream: the call's end, an access change or the shutdown.</param>
    /// <param name="callAborted">
    /// The call's own token, the only one a write is given: grpc-dotnet aborts the whole HTTP request when a write's token
    /// is cancelled mid-write, and the viewer would then see a broken transport (UNAVAILABLE) instead of the status
    /// that says why the stream ended. A stream that must end stops between writes.
    /// </param>
    private async Task WatchAsync(string sessionId, string? userId, IServerStreamWriter<WatchSessionUpdate> responseStream, CancellationToken ct, CancellationToken callAborted)
    {
        var row = await directory.GetFreshAsync(sessionId, ct) ?? throw RpcErrors.NotFound("session_id", "session", sessionId);
        if (row.Status.IsFinal())
        {
            await responseStream.WriteAsync(new WatchSessionUpdate { Kind = WatchSessionUpdate.Types.Kind.Final, State = row.ToLiveState(0, clock.GetUtcNow()) }, callAborted);
            throw RpcErrors.FailedPrecondition("session_id", LocalizedText.Pick($"直播已{(row.Status == CoreStatus.Ended ? "结束" : "取消")}。", row.Status == CoreStatus.Ended ? "The session has ended." : "The session was cancelled."), "SESSION_FINISHED", sessionId);
        }

        // Register before joining and before the snapshot: a change from here on reaches this stream.
        var stream = new WatchStream();
        using var registration = streams.Add(sessionId, stream);
        // Only a signed-in viewer is counted and timed; an anonymous stream only listens.
        if (userId is not null)
        {
            var nowMs = clock.GetUtcNow().ToUnixTimeMilliseconds();
            if (row.Status == CoreStatus.Live)
            {
                // The store says live: time this viewer from now even if the went-live event has not reached the
                // ledger yet (a scheduler step publishes it after its commit). Idempotent.
                ledger.StartAccruing(sessionId, nowMs, counts.CurrentViewers(sessionId));
            }
            ledger.Enter(sessionId, userId, nowMs);
        }
        var joined = userId is null ? null : counts.Join(sessionId, userId);
        try
        {
            var current = directory.TryGet(sessionId) ?? row;
            var first = new WatchSessionUpdate
            {
                Kind = current.Status.IsFinal() ? WatchSessionUpdate.Types.Kind.Final : WatchSessionUpdate.Types.Kind.Snapshot,
                State = current.ToLiveState(counts.CurrentViewers(sessionId), clock.GetUtcNow()),
            };
            await responseStream.WriteAsync(first, callAborted);
            if (first.Kind == WatchSessionUpdate.Types.Kind.Final)
            {
                return;
            }
            await foreach (var update in stream.Updates.ReadAllAsync(ct))
            {
                await responseStream.WriteAsync(update, callAborted);
                if (update.Kind == WatchSessionUpdate.Types.Kind.Final)
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The viewer went away (cancelled, disconnected or missed keepalive pings): leaving is all there is to do.
        }
        finally
        {
            // Watch time stops before the count drops, so whoever sees the viewer gone also sees their time stopped.
            if (userId is not null)
            {
                ledger.Leave(sessionId, userId, clock.GetUtcNow().ToUnixTimeMilliseconds());
            }
            joined?.Dispose();
        }
    }

    public override async Task<SessionStats> GetSessionStats(GetSessionStatsRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        CheckSessionId(request.SessionId);
        var ct = context.CancellationToken;
        await using var connection = await database.OpenAsync(ct);
        var row = await SessionStore.FindAsync(connection, request.SessionId, null, ct)
            ?? throw RpcErrors.NotFound("session_id", "session", request.SessionId);
        if (!(caller.IsAdmin || caller.IsReviewer || (caller.IsInstructor && row.InstructorId == caller.UserId)))
        {
            throw RpcErrors.PermissionDenied("session_id", LocalizedText.Pick("只有该直播的讲师、审核员或管理员可以查看观看数据。", "Only the session's instructor, reviewers and admins can view its audience figures."));
        }
        if (row.Status == CoreStatus.Live)
        {
            // Include the people watching right now, not only what the last sample wrote.
            await recorder.FlushWatchTimeAsync(row.Id, ct);
        }
        var totals = await AudienceStore.TotalsAsync(connection, row.Id, ct);
        var samples = await AudienceStore.SamplesAsync(connection, row.Id, ct);
        var current = row.Status == CoreStatus.Live ? counts.CurrentViewers(row.Id) : 0;
        // The peak seen on this node since the last flush may be higher than the stored one.
        var peak = new Peak(totals.PeakViewers, totals.PeakAtMs ?? 0);
        if (row.Status == CoreStatus.Live && ledger.PeakOf(row.Id) is { } unflushed && unflushed.Viewers > peak.Viewers)
        {
            peak = unflushed;
        }
        var stats = new SessionStats
        {
            SessionId = row.Id,
            Status = (LearnHub.Api.V1.SessionStatus)(int)row.Status,
            CurrentViewers = current,
            PeakViewers = peak.Viewers,
            PeakAt = peak.Viewers > 0 ? ProtoTime.FromMs(peak.AtMs) : null,
            UniqueViewers = totals.UniqueViewers,
            AverageWatchSeconds = totals.UniqueViewers == 0 ? 0 : totals.WatchedMs / totals.UniqueViewers / 1000,
            ReservationCount = row.ReservationCount,
            Attendees = totals.Attendees,
            LiveAt = ProtoTime.FromMs(row.LiveAtMs),
            EndedAt = ProtoTime.FromMs(row.EndedAtMs),
        };
        stats.Samples.AddRange(samples.Select(s => new ViewerSample { At = ProtoTime.FromMs(s.AtMs), Viewers = s.Viewers }));
        return stats;
    }

    private static void CheckSessionId(string sessionId) => RpcErrors.ThrowIfBadId(sessionId, "session_id");
}
