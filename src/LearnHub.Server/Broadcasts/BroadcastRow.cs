namespace LearnHub.Server.Broadcasts;

/// <summary>The stored status of a broadcast (numbers as in the proto and the broadcasts table).</summary>
public enum BroadcastState
{
    Pending = 1,
    Approved = 2,
    Rejected = 3,
    Withdrawn = 4,
    Expired = 5,
    TakenDown = 6,
}

/// <summary>A broadcasts row with its creator's display name.</summary>
public sealed class BroadcastRow
{
    public string Id { get; init; } = "";
    public string CreatorId { get; init; } = "";
    public string CreatorName { get; init; } = "";
    public string RequestId { get; init; } = "";
    public string ContentHash { get; init; } = "";
    public int Kind { get; init; }
    public string Text { get; init; } = "";
    public string? ImageContentType { get; init; }
    public int? ImageWidth { get; init; }
    public int? ImageHeight { get; init; }
    public BroadcastState Status { get; init; }
    public string AgreementVersion { get; init; } = "";
    public long WeekStartMs { get; init; }
    public long SubmittedAtMs { get; init; }
    public long ReviewDeadlineMs { get; init; }
    public long? DecidedAtMs { get; init; }
    public string? DecidedBy { get; init; }
    public string? Reason { get; init; }
    public long? ApprovedAtMs { get; init; }
    public long? EligibleAtApproval { get; init; }
    public long ReceivedCount { get; init; }
    public long ReadCount { get; init; }
}

/// <summary>A follower's copy of a broadcast, with the broadcast.</summary>
public sealed class InboxRow
{
    public string BroadcastId { get; init; } = "";
    public long ReceivedAtMs { get; init; }
    public long? ReadAtMs { get; init; }
    public bool Muted { get; init; }
    public bool Reported { get; init; }
}

public sealed class ReportRow
{
    public string Id { get; init; } = "";
    public string BroadcastId { get; init; } = "";
    public string ReporterId { get; init; } = "";
    public string ReporterName { get; init; } = "";
    public string Reason { get; init; } = "";
    public int Status { get; init; }
    public long CreatedAtMs { get; init; }
}

public sealed class QuotaRow
{
    public int Frozen { get; init; }
    public int Consumed { get; init; }
}
