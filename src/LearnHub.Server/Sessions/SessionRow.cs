using LearnHub.Core.Sessions;

namespace LearnHub.Server.Sessions;

/// <summary>A sessions row with its instructor's display name.</summary>
public sealed class SessionRow
{
    public string Id { get; init; } = "";
    public string InstructorId { get; init; } = "";
    public string InstructorName { get; init; } = "";
    public string? CourseId { get; init; }
    public string? ChapterId { get; init; }
    public string Title { get; init; } = "";
    public string Description { get; init; } = "";
    public string TimeZone { get; init; } = "";
    public long PlannedStartMs { get; init; }
    public int DurationMinutes { get; init; }
    public long PlannedEndMs { get; init; }
    public SessionStatus Status { get; init; }
    public long? LiveAtMs { get; init; }
    public long? EndedAtMs { get; init; }
    public string? CancelReason { get; init; }
    public int ReservationCount { get; init; }
    public long Version { get; init; }
    public long TriggersVersion { get; init; }
    public long CreatedAtMs { get; init; }
    public long UpdatedAtMs { get; init; }

    /// <summary>RTMP ingest (Ingest/): 0 nothing published yet, 2 receiving, 3 reconnect grace (proto IngestState).</summary>
    public int IngestState { get; init; }

    /// <summary>nginx's clientid of the publisher <see cref="IngestState"/> belongs to.</summary>
    public string? IngestClientId { get; init; }

    /// <summary>While in reconnect grace: when the session ends unless the stream comes back.</summary>
    public long? IngestGraceEndMs { get; init; }

    /// <summary>The HLS playlist, set when a stream first arrived.</summary>
    public string? PlaybackUrl { get; init; }

    /// <summary>Cancelled by the server because nothing was published in time (Sessions/LateStarts.cs).</summary>
    public bool NotHeld { get; init; }

    /// <summary>Whether the caller of the query holds a reservation (only set by queries that ask).</summary>
    public bool ReservedByMe { get; init; }

    public DateTimeOffset PlannedStart => DateTimeOffset.FromUnixTimeMilliseconds(PlannedStartMs);

    public DateTimeOffset PlannedEnd => DateTimeOffset.FromUnixTimeMilliseconds(PlannedEndMs);
}
