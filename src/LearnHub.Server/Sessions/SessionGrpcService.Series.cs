using System.Globalization;
using Grpc.Core;
using LearnHub.Api.V1;
using LearnHub.Core.Common;
using LearnHub.Core.Sessions;
using LearnHub.Server.Courses;
using LearnHub.Server.Data;
using LearnHub.Server.Grpc;
using LearnHub.Server.Identity;
using Microsoft.AspNetCore.RateLimiting;
using CoreStatus = LearnHub.Core.Sessions.SessionStatus;

namespace LearnHub.Server.Sessions;

public sealed partial class SessionGrpcService
{
    [EnableRateLimiting(RateLimitPolicies.Writes)]
    public override async Task<PlanCourseSeriesResponse> PlanCourseSeries(PlanCourseSeriesRequest request, ServerCallContext context)
    {
        RpcErrors.ThrowIfBadId(request.CourseId, "course_id");
        RpcErrors.ThrowIfBadId(request.FromChapterId, "from_chapter_id", required: false);
        var caller = context.Caller();
        var ct = context.CancellationToken;
        var now = clock.GetUtcNow();
        var series = ParseSeries(request, now);

        await using var connection = await database.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var course = await CourseStore.FindAsync(connection, request.CourseId, ct, tx) ?? throw RpcErrors.NotFound("course_id", "course", request.CourseId);
        caller.EnsureOwnerOrAdmin(course.InstructorId, "course_id", new LocalizedText("课程", "course"));
        await Database.LockAsync(connection, tx, DecisionKeys.Schedule(course.InstructorId), ct);
        // Then the course's, as CreateSession takes them: no chapter is removed under the series being planned.
        await Database.LockAsync(connection, tx, DecisionKeys.Course(course.Id), ct);
        var chapters = (await CourseStore.ChaptersAsync(connection, course.Id, ct, tx)).ToList();
        if (request.FromChapterId.Length > 0)
        {
            var from = chapters.FindIndex(c => c.Id == request.FromChapterId);
            if (from < 0)
            {
                throw RpcErrors.NotFound("from_chapter_id", "chapter", request.FromChapterId);
            }
            chapters = chapters[from..];
        }
        if (chapters.Count == 0)
        {
            throw RpcErrors.FailedPrecondition("course_id", LocalizedText.Pick("课程还没有章节。", "The course has no chapters yet."));
        }
        var suffix = request.TitleSuffix.Trim();
        // One refusal is enough (each names title_suffix): 200 chapters' would bloat the trailers.
        RpcErrors.ThrowIfAny([.. chapters.Select(c => SessionRules.CheckTitle(course.Title + c.Title + suffix, "title_suffix")).OfType<FieldError>().Take(1)]);

        IReadOnlyList<SeriesSlot> slots;
        try
        {
            slots = CourseSeriesPlanner.Plan(series, chapters.Count);
        }
        catch (InvalidOperationException)
        {
            throw RpcErrors.Invalid([new FieldError("weekdays", LocalizedText.Pick("三年内排不下全部章节。", "Not all chapters fit within three years."))]);
        }
        if (slots[0].Interval.Start <= now)
        {
            RpcErrors.ThrowInvalid("start_date", LocalizedText.Pick("第一次直播的时间已过。", "The first session of the series is in the past."));
        }
        if (slots[^1].Interval.Start - now > SessionRules.MaxPlanningHorizon)
        {
            RpcErrors.ThrowInvalid("start_date", LocalizedText.Pick("系列最后一次直播须在两年内。", "The last session of the series must be within two years."));
        }

        var response = new PlanCourseSeriesResponse();
        (SeriesSlot Slot, SessionRow Conflict)? firstConflict = null;
        for (var i = 0; i < slots.Count; i++)
        {
            var slot = slots[i];
            var conflict = await SessionStore.FindConflictAsync(connection, tx, course.InstructorId,
                slot.Interval.Start.ToUnixTimeMilliseconds(), slot.Interval.End.ToUnixTimeMilliseconds(), null, ct);
            firstConflict ??= conflict is null ? null : (slot, conflict);
            response.Planned.Add(new PlannedSession
            {
                ChapterId = chapters[i].Id,
                Title = course.Title + chapters[i].Title + suffix,
                PlannedStart = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(slot.Interval.Start),
                PlannedEnd = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(slot.Interval.End),
                LocalStart = slot.LocalStart.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture),
                ConflictingSessionId = conflict?.Id ?? "",
                ConflictingSessionTitle = conflict?.Title ?? "",
            });
        }
        if (request.DryRun)
        {
            return response;
        }
        if (firstConflict is { } clash)
        {
            throw RpcErrors.ScheduleConflict("start_date", clash.Conflict.Id, clash.Conflict.Title, DescribeWhen(clash.Conflict),
                clash.Slot.LocalDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        }

        var nowMs = now.ToUnixTimeMilliseconds();
        for (var i = 0; i < slots.Count; i++)
        {
            var row = new SessionRow
            {
                Id = $"s_{Guid.CreateVersion7():N}",
                InstructorId = course.InstructorId,
                CourseId = course.Id,
                ChapterId = chapters[i].Id,
                Title = response.Planned[i].Title,
                TimeZone = series.TimeZone.Id,
                PlannedStartMs = slots[i].Interval.Start.ToUnixTimeMilliseconds(),
                DurationMinutes = request.DurationMinutes,
                PlannedEndMs = slots[i].Interval.End.ToUnixTimeMilliseconds(),
                Status = CoreStatus.Scheduled,
                Version = 1,
                CreatedAtMs = nowMs,
                UpdatedAtMs = nowMs,
            };
            await SessionStore.InsertAsync(connection, tx, row, null, ct);
            response.Sessions.Add((await SessionStore.FindAsync(connection, row.Id, caller.UserId, ct, tx))!.ToProto());
        }
        await tx.CommitAsync(ct);
        foreach (var session in response.Sessions)
        {
            await triggers.SyncAfterCommitAsync(session.Id);
            events.Publish(new SessionChanged(session.Id, CoreStatus.Scheduled));
        }
        // One rebuild covers the whole series (see PublishAsync).
        await recommendations.RebuiltAsync(ct);
        return response;
    }

    /// <summary>Checks every field of a series request and turns it into the planner's input.</summary>
    private static CourseSeriesRequest ParseSeries(PlanCourseSeriesRequest request, DateTimeOffset now)
    {
        var errors = new List<FieldError>();
        if (request.Weekdays.Count == 0 || request.Weekdays.Any(d => d is < 1 or > 7) || request.Weekdays.Distinct().Count() != request.Weekdays.Count)
        {
            errors.Add(new("weekdays", LocalizedText.Pick("请选择星期，1（周一）至 7（周日），不重复。", "Choose weekdays, 1 (Monday) to 7 (Sunday), each once.")));
        }
        if (!TimeOnly.TryParseExact(request.LocalTime, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var localTime))
        {
            errors.Add(new("local_time", LocalizedText.Pick("时间格式为 HH:mm。", "The time must be HH:mm.")));
        }
        if (!DateOnly.TryParseExact(request.StartDate, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var startDate))
        {
            errors.Add(new("start_date", LocalizedText.Pick("日期格式为 yyyy-MM-dd。", "The date must be yyyy-MM-dd.")));
        }
        else if (startDate < DateOnly.FromDateTime(now.UtcDateTime).AddDays(-1) || startDate > DateOnly.FromDateTime((now + SessionRules.MaxPlanningHorizon).UtcDateTime).AddDays(1))
        {
            // Checked before planning: dates near 0001 or 9999 would overflow the calendar while slots are placed
            // (a day of slack each way for the zones; the slots themselves are checked exactly below).
            errors.Add(new("start_date", LocalizedText.Pick("开始日期须在今天至两年内。", "The start date must be between today and two years from now.")));
        }
        var zoneId = request.TimeZone.Length == 0 ? TimeZones.PlatformDefault : request.TimeZone;
        if (SessionRules.CheckTimeZone(zoneId) is { } zoneError)
        {
            errors.Add(zoneError);
        }
        if (SessionRules.CheckDurationMinutes(request.DurationMinutes) is { } durationError)
        {
            errors.Add(durationError);
        }
        if (SessionRules.TitleSuffix.Check(request.TitleSuffix) is { } suffixError)
        {
            errors.Add(suffixError);
        }
        var holidays = new HashSet<DateOnly>();
        if (request.Holidays.Count > CourseSeriesPlanner.MaxHolidays)
        {
            errors.Add(new("holidays", LocalizedText.Pick($"最多 {CourseSeriesPlanner.MaxHolidays} 个假日。", $"At most {CourseSeriesPlanner.MaxHolidays} holidays.")));
        }
        for (var i = 0; i < request.Holidays.Count && i < CourseSeriesPlanner.MaxHolidays; i++)
        {
            if (DateOnly.TryParseExact(request.Holidays[i], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var holiday))
            {
                holidays.Add(holiday);
            }
            else
            {
                errors.Add(new($"holidays[{i}]", LocalizedText.Pick("日期格式为 yyyy-MM-dd。", "The date must be yyyy-MM-dd.")));
            }
        }
        if (errors.Count > 0)
        {
            RpcErrors.ThrowInvalid(errors);
        }
        return new CourseSeriesRequest(
            request.Weekdays.Select(CourseSeriesPlanner.FromIsoWeekday).ToHashSet(),
            localTime, startDate, TimeZones.FindOrDefault(zoneId), TimeSpan.FromMinutes(request.DurationMinutes), holidays);
    }
}
