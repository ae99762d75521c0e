using System.Data.Common;
using System.Globalization;
using Grpc.Core;
using LearnHub.Api.V1;
using LearnHub.Core.Common;
using LearnHub.Core.Sessions;
using LearnHub.Server.Courses;
using LearnHub.Server.Data;
using LearnHub.Server.Grpc;
using LearnHub.Server.Identity;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.RateLimiting;
using CoreStatus = LearnHub.Core.Sessions.SessionStatus;

namespace LearnHub.Server.Sessions;

[Authorize]
[EnableRateLimiting(RateLimitPolicies.Reads)]
public sealed partial class SessionGrpcService(
    Database database,
    SessionTriggers triggers,
    ISessionEvents events,
    PageTokens pageTokens,
    SessionReadCache reads,
    RecommendationsSnapshot recommendations,
    Microsoft.Extensions.Options.IOptions<Ingest.IngestOptions> ingest,
    Ingest.StreamKeyVault streamKeys,
    TimeProvider clock) : SessionService.SessionServiceBase
{
    [EnableRateLimiting(RateLimitPolicies.Writes)]
    public override async Task<Session> CreateSession(CreateSessionRequest request, ServerCallContext context)
    {
        RpcErrors.ThrowIfBadId(request.InstructorId, "instructor_id", required: false);
        RpcErrors.ThrowIfBadId(request.CourseId, "course_id", required: false);
        RpcErrors.ThrowIfBadId(request.ChapterId, "chapter_id", required: false);
        RpcErrors.ThrowIfAny(SessionRules.RequestId.Check(request.RequestId));
        var caller = context.Caller();
        var instructorId = caller.ActingInstructorId(request.InstructorId);
        var now = clock.GetUtcNow();
        var timeZone = string.IsNullOrEmpty(request.TimeZone) ? TimeZones.PlatformDefault : request.TimeZone;
        var (start, startError) = ProtoTime.Read(request.PlannedStart, "planned_start");
        var ct = context.CancellationToken;
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await Database.LockAsync(connection, tx, DecisionKeys.Schedule(instructorId), ct);
        // A retry returns what the first call created before any check: by then its start may have passed.
        if (request.RequestId.Length > 0
            && await SessionStore.FindByRequestIdAsync(connection, tx, instructorId, request.RequestId, ct) is { } existing)
        {
            return Ingest.IngestView.Add(existing.ToProto(), existing, caller, ingest.Value.Enabled);
        }
        RpcErrors.ThrowIfAny(
            SessionRules.CheckTitle(request.Title),
            SessionRules.CheckDescription(request.Description),
            startError ?? SessionRules.CheckPlannedStart(start, now),
            SessionRules.CheckDurationMinutes(request.DurationMinutes),
            SessionRules.CheckTimeZone(timeZone),
            request.ChapterId.Length > 0 && request.CourseId.Length == 0 ? new FieldError("chapter_id", LocalizedText.Pick("指定章节时须指定课程。", "Choose a course to choose a chapter.")) : null);

        await CourseGrpcService.EnsureInstructorAsync(connection, tx, instructorId, ct);
        await CheckCourseAsync(connection, tx, instructorId, request.CourseId, request.ChapterId, ct);
        var interval = TimeInterval.FromDuration(start!.Value, TimeSpan.FromMinutes(request.DurationMinutes));
        await RefuseConflictAsync(connection, tx, instructorId, interval, null, "planned_start", ct);

        var nowMs = now.ToUnixTimeMilliseconds();
        var row = new SessionRow
        {
            Id = $"s_{Guid.CreateVersion7():N}",
            InstructorId = instructorId,
            CourseId = NullIfEmpty(request.CourseId),
            ChapterId = NullIfEmpty(request.ChapterId),
            Title = request.Title.Trim(),
            Description = request.Description,
            TimeZone = timeZone,
            PlannedStartMs = interval.Start.ToUnixTimeMilliseconds(),
            DurationMinutes = request.DurationMinutes,
            PlannedEndMs = interval.End.ToUnixTimeMilliseconds(),
            Status = CoreStatus.Scheduled,
            Version = 1,
            CreatedAtMs = nowMs,
            UpdatedAtMs = nowMs,
        };
        await SessionStore.InsertAsync(connection, tx, row, NullIfEmpty(request.RequestId), ct);
        var created = await SessionStore.FindAsync(connection, row.Id, caller.UserId, ct, tx);
        await tx.CommitAsync(ct);
        await triggers.SyncAfterCommitAsync(row.Id);
        await PublishAsync(new SessionChanged(row.Id, CoreStatus.Scheduled), ct);
        return Ingest.IngestView.Add(created!.ToProto(), created!, caller, ingest.Value.Enabled);
    }

    /// <summary>
    /// Any session by id, from <see cref="SessionReadCache"/> (no store read when cached). Public: without a token, the
    /// session's public fields only (<see cref="PublicSession"/>).
    /// </summary>
    [AllowAnonymous]
    public override async Task<Session> GetSession(GetSessionRequest request, ServerCallContext context)
    {
        RpcErrors.ThrowIfBadId(request.SessionId, "session_id");
        var caller = context.CallerOrAnonymous();
        var ct = context.CancellationToken;
        var session = await reads.FindAsync(request.SessionId, ct)
            ?? throw RpcErrors.NotFound("session_id", "session", request.SessionId);
        if (caller is null)
        {
            return PublicSession.Of(session.For(false));
        }
        var reserved = await reads.ReservedByAsync(caller.UserId, ct);
        return Ingest.IngestView.For(session.For(reserved.Contains(session.Row.Id)), session.Row, caller, ingest.Value.Enabled);
    }

    public override async Task<ListSessionsResponse> ListSessions(ListSessionsRequest request, ServerCallContext context)
    {
        RpcErrors.ThrowIfBadId(request.InstructorId, "instructor_id", required: false);
        RpcErrors.ThrowIfBadId(request.CourseId, "course_id", required: false);
        var caller = context.Caller();
        var pageSize = PageToken.PageSize(request.PageSize);
        var after = pageTokens.Read(request.PageToken, nameof(ListSessions), caller.UserId);
        var statusMask = 0;
        foreach (var status in request.Statuses)
        {
            if (status == Api.V1.SessionStatus.Unspecified || !Enum.IsDefined(status))
            {
                RpcErrors.ThrowInvalid("statuses", LocalizedText.Pick($"未知状态 {status}。", $"Unknown status {status}."));
            }
            statusMask |= 1 << (int)status;
        }
        var (from, fromError) = ProtoTime.Read(request.StartFrom, "start_from");
        var (before, beforeError) = ProtoTime.Read(request.StartBefore, "start_before");
        RpcErrors.ThrowIfAny(fromError, beforeError);
        if (from is not null && before is not null && before <= from)
        {
            RpcErrors.ThrowInvalid("start_before", LocalizedText.Pick("结束时间须晚于开始时间。", "The end of the range must be after its start."));
        }
        var query = new SessionQuery(
            NullIfEmpty(request.InstructorId), NullIfEmpty(request.CourseId), statusMask,
            from?.ToUnixTimeMilliseconds(), before?.ToUnixTimeMilliseconds(),
            after?.Number, after?.Key, pageSize + 1, caller.UserId);
        await using var connection = await database.OpenAsync(context.CancellationToken);
        var rows = await SessionStore.ListAsync(connection, query, context.CancellationToken);
        // Sessions with full descriptions are large: the page may end before page_size (see PageBudget).
        var page = rows.Take(pageSize).Select(r => Ingest.IngestView.Add(r.ToProto(), r, caller, ingest.Value.Enabled)).ToList();
        var fits = PageBudget.Fit(page);
        var response = new ListSessionsResponse { Sessions = { page.Take(fits) } };
        if (rows.Count > fits)
        {
            var last = rows[fits - 1];
            response.NextPageToken = pageTokens.Issue(nameof(ListSessions), caller.UserId, new(last.PlannedStartMs, last.Id));
        }
        return response;
    }

    [EnableRateLimiting(RateLimitPolicies.Writes)]
    public override Task<Session> UpdateSession(UpdateSessionRequest request, ServerCallContext context)
    {
        var (newStart, startError) = ProtoTime.Read(request.PlannedStart, "planned_start");
        RpcErrors.ThrowIfAny(
            startError,
            request.HasTitle ? SessionRules.CheckTitle(request.Title) : null,
            request.HasDescription ? SessionRules.CheckDescription(request.Description) : null,
            request.HasDurationMinutes ? SessionRules.CheckDurationMinutes(request.DurationMinutes) : null,
            request.HasTimeZone ? SessionRules.CheckTimeZone(request.TimeZone) : null,
            newStart is not null ? SessionRules.CheckPlannedStart(newStart, clock.GetUtcNow()) : null);
        var timeField = newStart is not null ? "planned_start" : "duration_minutes";

        return ChangeAsync(context, request.SessionId, request.ExpectedVersion, async (connection, tx, session, now, ct) =>
        {
            if (session.Status.IsFinal())
            {
                throw RpcErrors.FailedPrecondition("session_id", LocalizedText.Pick($"已{StatusName(session.Status)}的直播不能修改。", $"A session that is {StatusNameEn(session.Status)} cannot be changed."));
            }
            var duration = request.HasDurationMinutes ? request.DurationMinutes : session.DurationMinutes;
            var interval = TimeInterval.FromDuration(newStart ?? session.PlannedStart, TimeSpan.FromMinutes(duration));
            var rescheduled = interval.Start.ToUnixTimeMilliseconds() != session.PlannedStartMs || duration != session.DurationMinutes;
            if (rescheduled && session.Status != CoreStatus.Scheduled)
            {
                throw RpcErrors.FailedPrecondition(timeField, LocalizedText.Pick("直播已开始，不能改期；可使用延长。", "A live session cannot be rescheduled; extend it instead."));
            }
            if (rescheduled)
            {
                await RefuseConflictAsync(connection, tx, session.InstructorId, interval, session.Id, timeField, ct);
            }
            var updated = new SessionRow
            {
                Id = session.Id,
                InstructorId = session.InstructorId,
                Title = request.HasTitle ? request.Title.Trim() : session.Title,
                Description = request.HasDescription ? request.Description : session.Description,
                TimeZone = request.HasTimeZone ? request.TimeZone : session.TimeZone,
                PlannedStartMs = interval.Start.ToUnixTimeMilliseconds(),
                DurationMinutes = duration,
                PlannedEndMs = interval.End.ToUnixTimeMilliseconds(),
                Status = session.Status,
                Version = session.Version,
            };
            var nowMs = now.ToUnixTimeMilliseconds();
            await SessionStore.UpdateDetailsAsync(connection, tx, updated, nowMs, ct);
            if (rescheduled)
            {
                // One notice per reschedule: the new version is what makes it distinct from earlier ones.
                await SessionNotices.NotifyReservedViewersAsync(connection, tx, updated, NoticeKind.Rescheduled,
                    (session.Version + 1).ToString(CultureInfo.InvariantCulture), nowMs, ct);
            }
        });
    }

    [EnableRateLimiting(RateLimitPolicies.Writes)]
    public override Task<Session> CancelSession(CancelSessionRequest request, ServerCallContext context)
    {
        RpcErrors.ThrowIfAny(SessionRules.CancelReason.Check(request.Reason));
        return ChangeAsync(context, request.SessionId, request.ExpectedVersion, async (connection, tx, session, now, ct) =>
        {
            if (session.Status != CoreStatus.Scheduled)
            {
                throw RpcErrors.FailedPrecondition("session_id", session.Status == CoreStatus.Live
                    ? LocalizedText.Pick("直播进行中，不能取消，请结束直播。", "A live session cannot be cancelled; end it.")
                    : LocalizedText.Pick($"直播已{StatusName(session.Status)}。", $"The session is already {StatusNameEn(session.Status)}."));
            }
            var nowMs = now.ToUnixTimeMilliseconds();
            await SessionStore.MoveStatusAsync(connection, tx, session.Id, CoreStatus.Scheduled, CoreStatus.Cancelled, nowMs, ct, cancelReason: request.Reason);
            var cancelled = (await SessionStore.FindAsync(connection, session.Id, null, ct, tx))!;
            await SessionNotices.NotifyReservedViewersAsync(connection, tx, cancelled, NoticeKind.Cancelled, "cancelled", nowMs, ct);
        });
    }

    [EnableRateLimiting(RateLimitPolicies.Writes)]
    public override Task<Session> GoLive(GoLiveRequest request, ServerCallContext context) =>
        ChangeAsync(context, request.SessionId, 0, async (connection, tx, session, now, ct) =>
        {
            if (SessionRules.WhyCannotGoLive(session.Status, session.PlannedStart, now) is { } why)
            {
                throw RpcErrors.FailedPrecondition("session_id", why);
            }
            if (now < session.PlannedStart)
            {
                // Going live early takes the time from now: the instructor's previous session may still be running.
                await RefuseConflictAsync(connection, tx, session.InstructorId, new TimeInterval(now, session.PlannedStart), session.Id, "session_id", ct);
            }
            var nowMs = now.ToUnixTimeMilliseconds();
            await SessionLifecycle.GoLiveAsync(connection, tx, session, nowMs, nowMs, ct);
        });

    [EnableRateLimiting(RateLimitPolicies.Writes)]
    public override Task<Session> EndSession(EndSessionRequest request, ServerCallContext context) =>
        ChangeAsync(context, request.SessionId, 0, async (connection, tx, session, now, ct) =>
        {
            if (session.Status != CoreStatus.Live)
            {
                throw RpcErrors.FailedPrecondition("session_id", LocalizedText.Pick("只有直播中的直播可以结束。", "Only a live session can be ended."));
            }
            await SessionStore.MoveStatusAsync(connection, tx, session.Id, CoreStatus.Live, CoreStatus.Ended, now.ToUnixTimeMilliseconds(), ct);
        });

    [EnableRateLimiting(RateLimitPolicies.Writes)]
    public override Task<Session> ExtendSession(ExtendSessionRequest request, ServerCallContext context)
    {
        if (request.Minutes < 1 || request.Minutes > SessionRules.MaxDuration.TotalMinutes)
        {
            RpcErrors.ThrowInvalid("minutes", LocalizedText.Pick("延长时间须在 1–720 分钟之间。", "The extension must be 1–720 minutes."));
        }
        return ChangeAsync(context, request.SessionId, 0, async (connection, tx, session, now, ct) =>
        {
            if (session.Status != CoreStatus.Live)
            {
                throw RpcErrors.FailedPrecondition("session_id", LocalizedText.Pick("只有直播中的直播可以延长。", "Only a live session can be extended."));
            }
            if (session.DurationMinutes + request.Minutes > SessionRules.MaxDuration.TotalMinutes)
            {
                RpcErrors.ThrowInvalid("minutes", LocalizedText.Pick($"总时长不能超过 12 小时，最多还可延长 {SessionRules.MaxDuration.TotalMinutes - session.DurationMinutes} 分钟。", $"A session lasts at most 12 hours: you can extend it by at most {SessionRules.MaxDuration.TotalMinutes - session.DurationMinutes} more minutes."));
            }
            var added = new TimeInterval(session.PlannedEnd, session.PlannedEnd.AddMinutes(request.Minutes));
            await RefuseConflictAsync(connection, tx, session.InstructorId, added, session.Id, "minutes", ct);
            await SessionStore.ExtendAsync(connection, tx, session.Id, request.Minutes, now.ToUnixTimeMilliseconds(), ct);
        });
    }

    [EnableRateLimiting(RateLimitPolicies.Writes)]
    public override async Task<Reservation> ReserveSession(ReserveSessionRequest request, ServerCallContext context)
    {
        RpcErrors.ThrowIfBadId(request.SessionId, "session_id");
        var caller = context.Caller();
        var ct = context.CancellationToken;
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        // A cancel of the session waits for this reservation (and so notifies it), or this one sees it cancelled.
        await Database.LockAsync(connection, tx, DecisionKeys.Session(request.SessionId), ct);
        var session = await SessionStore.FindAsync(connection, request.SessionId, caller.UserId, ct, tx)
            ?? throw RpcErrors.NotFound("session_id", "session", request.SessionId);
        if (!session.Status.CanBeReserved())
        {
            throw RpcErrors.FailedPrecondition("session_id", session.Status == CoreStatus.Live
                ? LocalizedText.Pick("直播已开始，可直接观看。", "The session is live: watch it now.")
                : LocalizedText.Pick($"直播已{StatusName(session.Status)}，不能预约。", $"The session is {StatusNameEn(session.Status)}, so it cannot be reserved."));
        }
        var nowMs = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var added = await SessionStore.ReserveAsync(connection, tx, session.Id, caller.UserId, nowMs, ct);
        var reservedAt = await SessionStore.FindReservationTimeAsync(connection, tx, session.Id, caller.UserId, ct);
        var reserved = (await SessionStore.FindAsync(connection, session.Id, caller.UserId, ct, tx))!;
        await tx.CommitAsync(ct);
        if (added)
        {
            await PublishAsync(new ReservationChanged(session.Id, caller.UserId), ct);
        }
        return new Reservation { SessionId = session.Id, UserId = caller.UserId, CreateTime = ProtoTime.FromMs(reservedAt!.Value), Session = reserved.ToProto() };
    }

    [EnableRateLimiting(RateLimitPolicies.Writes)]
    public override async Task<CancelReservationResponse> CancelReservation(CancelReservationRequest request, ServerCallContext context)
    {
        RpcErrors.ThrowIfBadId(request.SessionId, "session_id");
        var caller = context.Caller();
        var ct = context.CancellationToken;
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await Database.LockAsync(connection, tx, DecisionKeys.Session(request.SessionId), ct);
        _ = await SessionStore.FindAsync(connection, request.SessionId, caller.UserId, ct, tx)
            ?? throw RpcErrors.NotFound("session_id", "session", request.SessionId);
        var cancelled = await SessionStore.CancelReservationAsync(connection, tx, request.SessionId, caller.UserId, ct);
        await tx.CommitAsync(ct);
        if (cancelled)
        {
            await PublishAsync(new ReservationChanged(request.SessionId, caller.UserId), ct);
        }
        return new CancelReservationResponse { Cancelled = cancelled };
    }

    public override async Task<ListMyReservationsResponse> ListMyReservations(ListMyReservationsRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        var pageSize = PageToken.PageSize(request.PageSize);
        var after = pageTokens.Read(request.PageToken, nameof(ListMyReservations), caller.UserId);
        await using var connection = await database.OpenAsync(context.CancellationToken);
        var rows = await SessionStore.ListReservationsAsync(connection, caller.UserId, request.IncludePast,
            after?.Number, after?.Key, pageSize + 1, context.CancellationToken);
        var page = rows.Take(pageSize).Select(r => new Reservation
        {
            SessionId = r.Session.Id, UserId = caller.UserId, CreateTime = ProtoTime.FromMs(r.ReservedAtMs), Session = r.Session.ToProto(),
        }).ToList();
        var fits = PageBudget.Fit(page);
        var response = new ListMyReservationsResponse { Reservations = { page.Take(fits) } };
        if (rows.Count > fits)
        {
            response.NextPageToken = pageTokens.Issue(nameof(ListMyReservations), caller.UserId, new(rows[fits - 1].ReservedAtMs, rows[fits - 1].Session.Id));
        }
        return response;
    }

    /// <summary>
    /// Tells every node (its caches drop the session at once here), then waits until this node's panel was rebuilt
    /// after the change: the caller's next look at 直播推荐 through this node shows it.
    /// </summary>
    private Task PublishAsync(SessionChanged change, CancellationToken ct)
    {
        events.Publish(change);
        return recommendations.RebuiltAsync(ct);
    }

    /// <inheritdoc cref="PublishAsync(SessionChanged, CancellationToken)"/>
    private Task PublishAsync(ReservationChanged change, CancellationToken ct)
    {
        events.PublishReservation(change);
        return recommendations.RebuiltAsync(ct);
    }

    private delegate Task SessionChange(DbConnection connection, DbTransaction tx, SessionRow session, DateTimeOffset now, CancellationToken ct);

    /// <summary>
    /// An instructor's (or admin's) change to one session: loads and authorizes it, applies the change in one
    /// transaction, then rewrites its triggers from the committed row and tells listeners.
    /// </summary>
    private async Task<Session> ChangeAsync(ServerCallContext context, string sessionId, long expectedVersion, SessionChange change)
    {
        RpcErrors.ThrowIfBadId(sessionId, "session_id");
        var caller = context.Caller();
        var ct = context.CancellationToken;
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        // The row read next is the one this change applies to: the version check and status checks hold until commit.
        await Database.LockAsync(connection, tx, DecisionKeys.Session(sessionId), ct);
        var session = await LoadOwnedAsync(connection, tx, caller, sessionId, expectedVersion, ct);
        await change(connection, tx, session, clock.GetUtcNow(), ct);
        var changed = (await SessionStore.FindAsync(connection, session.Id, caller.UserId, ct, tx))!;
        await tx.CommitAsync(ct);
        await triggers.SyncAfterCommitAsync(session.Id);
        await PublishAsync(new SessionChanged(session.Id, changed.Status), ct);
        return Ingest.IngestView.Add(changed.ToProto(), changed, caller, ingest.Value.Enabled);
    }

    /// <summary>Loads a session for a change by its instructor or an admin, checking the version the caller edited.</summary>
    private static async Task<SessionRow> LoadOwnedAsync(DbConnection connection, DbTransaction tx, Caller caller, string sessionId, long expectedVersion, CancellationToken ct)
    {
        var session = await SessionStore.FindAsync(connection, sessionId, caller.UserId, ct, tx)
            ?? throw RpcErrors.NotFound("session_id", "session", sessionId);
        caller.EnsureOwnerOrAdmin(session.InstructorId, "session_id", new LocalizedText("直播", "session"));
        if (expectedVersion != 0 && expectedVersion != session.Version)
        {
            throw RpcErrors.Stale(expectedVersion, session.Version);
        }
        return session;
    }

    private static async Task CheckCourseAsync(DbConnection connection, DbTransaction tx, string instructorId, string courseId, string chapterId, CancellationToken ct)
    {
        if (courseId.Length == 0)
        {
            return;
        }
        var course = await CourseStore.FindAsync(connection, courseId, ct, tx) ?? throw RpcErrors.NotFound("course_id", "course", courseId);
        if (course.InstructorId != instructorId)
        {
            throw RpcErrors.PermissionDenied("course_id", LocalizedText.Pick("只能为自己的课程安排直播。", "You can schedule sessions only for your own courses."));
        }
        if (chapterId.Length == 0)
        {
            return;
        }
        // The course's lock, as its chapter changes take it, held to commit: a chapter removed meanwhile would otherwise
        // fail the session's insert (or the removal) on the foreign key. Lock order: the timetable, then the course.
        await Database.LockAsync(connection, tx, DecisionKeys.Course(courseId), ct);
        if (!await CourseStore.HasChapterAsync(connection, tx, courseId, chapterId, ct))
        {
            throw RpcErrors.NotFound("chapter_id", "chapter", chapterId);
        }
    }

    /// <summary>
    /// Refuses an overlap with the instructor's other sessions, holding their timetable until commit so that no other
    /// write can make one meanwhile (lock order: a session, then its instructor's timetable; never the reverse).
    /// </summary>
    private static async Task RefuseConflictAsync(DbConnection connection, DbTransaction tx, string instructorId, TimeInterval interval, string? excludeId, string field, CancellationToken ct)
    {
        await Database.LockAsync(connection, tx, DecisionKeys.Schedule(instructorId), ct);
        if (await SessionStore.FindConflictAsync(connection, tx, instructorId, interval.Start.ToUnixTimeMilliseconds(), interval.End.ToUnixTimeMilliseconds(), excludeId, ct) is { } conflict)
        {
            throw RpcErrors.ScheduleConflict(field, conflict.Id, conflict.Title, DescribeWhen(conflict));
        }
    }

    /// <summary>"05-04 19:30–21:00 Asia/Shanghai": the conflicting session as its instructor announced it.</summary>
    internal static string DescribeWhen(SessionRow session)
    {
        var zone = TimeZones.FindOrDefault(session.TimeZone);
        var start = TimeZoneInfo.ConvertTime(session.PlannedStart, zone);
        var end = TimeZoneInfo.ConvertTime(session.PlannedEnd, zone);
        return $"{start.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)}–{end.ToString("HH:mm", CultureInfo.InvariantCulture)} {session.TimeZone}";
    }

    internal static string StatusName(CoreStatus status) => status switch
    {
        CoreStatus.Scheduled => "安排",
        CoreStatus.Live => "开播",
        CoreStatus.Ended => "结束",
        CoreStatus.Cancelled => "取消",
        _ => status.ToString(),
    };

    /// <summary>The status as English messages say it: "scheduled", "live", "ended", "cancelled".</summary>
    internal static string StatusNameEn(CoreStatus status) => status switch
    {
        CoreStatus.Scheduled => "scheduled",
        CoreStatus.Live => "live",
        CoreStatus.Ended => "ended",
        CoreStatus.Cancelled => "cancelled",
        _ => status.ToString().ToLowerInvariant(),
    };

    private static string? NullIfEmpty(string value) => string.IsNullOrEmpty(value) ? null : value;
}
