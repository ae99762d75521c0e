using LearnHub.Core.Sessions;

namespace LearnHub.Core.Tests.Sessions;

public sealed class TimeIntervalTests
{
    private static readonly DateTimeOffset At1900 = new(2027, 5, 4, 11, 0, 0, TimeSpan.Zero);

    private static TimeInterval Minutes(int fromMinute, int toMinute) => new(At1900.AddMinutes(fromMinute), At1900.AddMinutes(toMinute));

    [Fact]
    public void Touching_intervals_do_not_overlap_either_way()
    {
        var first = Minutes(0, 60);
        var next = Minutes(60, 120);
        Assert.False(first.Overlaps(next));
        Assert.False(next.Overlaps(first));
    }

    [Theory]
    [InlineData(0, 60, 59, 120)] // partial: the next one starts a minute before the first ends
    [InlineData(30, 90, 0, 31)] // partial from the other side
    [InlineData(0, 120, 30, 60)] // nested
    [InlineData(30, 60, 0, 120)] // enclosing
    [InlineData(0, 60, 0, 60)] // identical
    [InlineData(0, 60, 0, 1)] // same start
    [InlineData(0, 60, 59, 60)] // same end
    public void Nested_partial_and_identical_intervals_overlap(int aFrom, int aTo, int bFrom, int bTo)
    {
        var a = Minutes(aFrom, aTo);
        var b = Minutes(bFrom, bTo);
        Assert.True(a.Overlaps(b));
        Assert.True(b.Overlaps(a));
    }

    [Fact]
    public void Separate_intervals_do_not_overlap() => Assert.False(Minutes(0, 30).Overlaps(Minutes(31, 60)));

    [Fact]
    public void Offsets_do_not_matter_only_instants_do()
    {
        var utc = Minutes(0, 60);
        var shanghai = new TimeInterval(At1900.ToOffset(TimeSpan.FromHours(8)), At1900.AddMinutes(60).ToOffset(TimeSpan.FromHours(8)));
        Assert.Equal(utc, shanghai);
        Assert.False(Minutes(60, 90).Overlaps(shanghai));
        Assert.Equal(TimeSpan.Zero, shanghai.Start.Offset);
    }

    [Fact]
    public void FromDuration_ends_after_the_duration() =>
        Assert.Equal(At1900.AddMinutes(90), TimeInterval.FromDuration(At1900, TimeSpan.FromMinutes(90)).End);

    [Fact]
    public void An_empty_or_backward_interval_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new TimeInterval(At1900, At1900));
        Assert.Throws<ArgumentException>(() => new TimeInterval(At1900, At1900.AddTicks(-1)));
    }
}
