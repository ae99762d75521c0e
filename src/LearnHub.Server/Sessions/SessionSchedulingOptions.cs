namespace LearnHub.Server.Sessions;

public sealed class SessionSchedulingOptions
{
    public const string Section = "Scheduling";

    /// <summary>开播提醒 goes out this long before the planned start, until an admin sets it (platform settings).</summary>
    public TimeSpan ReminderLead { get; set; } = TimeSpan.FromMinutes(15);
}
