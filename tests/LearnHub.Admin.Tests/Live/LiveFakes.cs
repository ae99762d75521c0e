using Google.Protobuf.WellKnownTypes;
using LearnHub.Api.Live;
using LearnHub.Api.V1;

namespace LearnHub.Admin.Tests.Live;

/// <summary>Hub views, pushes and stats shaped as the server sends them.</summary>
internal static class LiveFakes
{
    public const string Me = "u_tester";

    /// <summary>2026-05-01 09:30 in Shanghai; the test clock is at 10:00 there.</summary>
    public static readonly DateTimeOffset LiveAt = new(2026, 5, 1, 1, 30, 0, TimeSpan.Zero);

    public static LiveSessionView View(string id, string title, int viewers = 0, string status = "Live", string instructorId = Me,
        string instructorName = "万红coco", int reservations = 0, DateTimeOffset? liveAt = null) =>
        new(id, title, instructorId, instructorName, status, viewers, reservations,
            LiveAt, LiveAt.AddHours(1), status is "Live" or "Ended" ? liveAt ?? LiveAt : null, status == "Ended" ? LiveAt.AddHours(1) : null);

    public static ViewerCountChange Count(string id, int viewers, long sequence, DateTimeOffset? at = null, string status = "Live") =>
        new(id, status, viewers, at ?? LiveAt.AddMinutes(31), sequence);

    public static Session Session(string id, string title, SessionStatus status, string instructorId = Me) => new()
    {
        Id = id,
        Title = title,
        InstructorId = instructorId,
        InstructorName = "万红coco",
        PlannedStart = Timestamp.FromDateTimeOffset(LiveAt),
        PlannedEnd = Timestamp.FromDateTimeOffset(LiveAt.AddHours(1)),
        DurationMinutes = 60,
        TimeZone = "Asia/Shanghai",
        Status = status,
        ReservationCount = 54,
        Version = 3,
        LiveAt = status is SessionStatus.Live or SessionStatus.Ended ? Timestamp.FromDateTimeOffset(LiveAt) : null,
        EndedAt = status == SessionStatus.Ended ? Timestamp.FromDateTimeOffset(LiveAt.AddHours(1)) : null,
    };

    /// <summary>Figures of a session: samples every 10 minutes from go-live with the given counts.</summary>
    public static SessionStats Stats(string id, SessionStatus status, int current, params int[] samples)
    {
        var stats = new SessionStats
        {
            SessionId = id,
            Status = status,
            CurrentViewers = current,
            PeakViewers = 42,
            // 09:52:30 in Shanghai.
            PeakAt = Timestamp.FromDateTimeOffset(LiveAt.AddMinutes(22).AddSeconds(30)),
            UniqueViewers = 57,
            AverageWatchSeconds = 754,
            ReservationCount = 54,
            Attendees = 31,
            LiveAt = Timestamp.FromDateTimeOffset(LiveAt),
            EndedAt = status == SessionStatus.Ended ? Timestamp.FromDateTimeOffset(LiveAt.AddHours(1)) : null,
        };
        for (var i = 0; i < samples.Length; i++)
        {
            stats.Samples.Add(new ViewerSample { At = Timestamp.FromDateTimeOffset(LiveAt.AddMinutes(10 * i)), Viewers = samples[i] });
        }
        return stats;
    }
}
