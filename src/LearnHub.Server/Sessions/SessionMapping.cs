using LearnHub.Server.Grpc;
using Proto = LearnHub.Api.V1;

namespace LearnHub.Server.Sessions;

public static class SessionMapping
{
    public static Proto.Session ToProto(this SessionRow row)
    {
        var session = new Proto.Session
        {
            Id = row.Id,
            Title = row.Title,
            InstructorId = row.InstructorId,
            InstructorName = row.InstructorName,
            CourseId = row.CourseId ?? "",
            ChapterId = row.ChapterId ?? "",
            PlannedStart = ProtoTime.FromMs(row.PlannedStartMs),
            DurationMinutes = row.DurationMinutes,
            PlannedEnd = ProtoTime.FromMs(row.PlannedEndMs),
            TimeZone = row.TimeZone,
            Description = row.Description,
            Status = (Proto.SessionStatus)(int)row.Status,
            LiveAt = ProtoTime.FromMs(row.LiveAtMs),
            EndedAt = ProtoTime.FromMs(row.EndedAtMs),
            ReservationCount = row.ReservationCount,
            ReservedByMe = row.ReservedByMe,
            CancelReason = row.CancelReason ?? "",
            Version = row.Version,
            CreateTime = ProtoTime.FromMs(row.CreatedAtMs),
            UpdateTime = ProtoTime.FromMs(row.UpdatedAtMs),
            // Public, while video may be on air: from the first stream until the session is over (Ingest/).
            PlaybackUrl = row.Status == LearnHub.Core.Sessions.SessionStatus.Live && row.IngestState != Ingest.IngestStore.NothingYet ? row.PlaybackUrl ?? "" : "",
            NotHeld = row.NotHeld,
        };
        return session;
    }
}
