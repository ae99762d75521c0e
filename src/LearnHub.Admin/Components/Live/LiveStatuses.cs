using LearnHub.Api.V1;

namespace LearnHub.Admin.Components.Live;

/// <summary>The status strings of the hub contract (LiveSessionView.Status, ViewerCountChange.Status).</summary>
public static class LiveStatuses
{
    public const string Scheduled = "Scheduled";
    public const string Live = "Live";
    public const string Ended = "Ended";
    public const string Cancelled = "Cancelled";

    public static SessionStatus ToSessionStatus(string status) => status switch
    {
        Live => SessionStatus.Live,
        Ended => SessionStatus.Ended,
        Cancelled => SessionStatus.Cancelled,
        _ => SessionStatus.Scheduled,
    };
}
