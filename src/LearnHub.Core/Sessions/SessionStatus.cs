namespace LearnHub.Core.Sessions;

/// <summary>Scheduled → Live → Ended, Scheduled → Cancelled. Ended and Cancelled are final.</summary>
public enum SessionStatus
{
    Scheduled = 1,
    Live = 2,
    Ended = 3,
    Cancelled = 4,
}

public static class SessionStatusMachine
{
    public static bool CanMove(SessionStatus from, SessionStatus to) => (from, to) switch
    {
        (SessionStatus.Scheduled, SessionStatus.Live) => true,
        (SessionStatus.Scheduled, SessionStatus.Cancelled) => true,
        (SessionStatus.Live, SessionStatus.Ended) => true,
        _ => false,
    };

    public static bool IsFinal(this SessionStatus status) => status is SessionStatus.Ended or SessionStatus.Cancelled;

    /// <summary>Scheduled and Live sessions hold their instructor's time; finished ones do not.</summary>
    public static bool OccupiesCalendar(this SessionStatus status) => status is SessionStatus.Scheduled or SessionStatus.Live;

    public static bool CanBeReserved(this SessionStatus status) => status == SessionStatus.Scheduled;
}
