using LearnHub.Api.Live;
using LearnHub.Core.Sessions;
using LearnHub.Server.Grpc;
using LearnHub.Server.Sessions;
using Proto = LearnHub.Api.V1;

namespace LearnHub.Server.Presence;

/// <summary>How a session and its count look to a watching viewer (gRPC) and to a dashboard (SignalR).</summary>
public static class LiveViews
{
    public static Proto.LiveState ToLiveState(this SessionRow row, int present, DateTimeOffset observedAt) => new()
    {
        SessionId = row.Id,
        Title = row.Title,
        Status = (Proto.SessionStatus)(int)row.Status,
        Watching = row.Status == SessionStatus.Live ? present : 0,
        Waiting = row.Status == SessionStatus.Scheduled ? present : 0,
        ReservationCount = row.ReservationCount,
        PlannedStart = ProtoTime.FromMs(row.PlannedStartMs),
        PlannedEnd = ProtoTime.FromMs(row.PlannedEndMs),
        LiveAt = ProtoTime.FromMs(row.LiveAtMs),
        EndedAt = ProtoTime.FromMs(row.EndedAtMs),
        ObservedAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(observedAt),
    };

    public static LiveSessionView ToView(this SessionRow row, int present) => new(
        row.Id,
        row.Title,
        row.InstructorId,
        row.InstructorName,
        row.Status.ToString(),
        row.Status.IsFinal() ? 0 : present,
        row.ReservationCount,
        row.PlannedStart,
        row.PlannedEnd,
        row.LiveAtMs is { } live ? DateTimeOffset.FromUnixTimeMilliseconds(live) : null,
        row.EndedAtMs is { } ended ? DateTimeOffset.FromUnixTimeMilliseconds(ended) : null);

    public static class Groups
    {
        public const string AllLive = "live:all";

        public static string LiveOf(string instructorId) => $"live:instructor:{instructorId}";

        public static string Session(string sessionId) => $"session:{sessionId}";
    }
}
