namespace LearnHub.Core.Sessions;

/// <summary>A half-open interval [Start, End): a session ending at 20:00 does not overlap one starting at 20:00.</summary>
public readonly record struct TimeInterval
{
    public TimeInterval(DateTimeOffset start, DateTimeOffset end)
    {
        if (end <= start)
        {
            throw new ArgumentException("An interval must end after it starts.", nameof(end));
        }
        Start = start.ToUniversalTime();
        End = end.ToUniversalTime();
    }

    public DateTimeOffset Start { get; }

    public DateTimeOffset End { get; }

    public static TimeInterval FromDuration(DateTimeOffset start, TimeSpan duration) => new(start, start + duration);

    public bool Overlaps(TimeInterval other) => Start < other.End && other.Start < End;
}
