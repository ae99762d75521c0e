using LearnHub.Core.Sessions;

namespace LearnHub.Core.Tests.Sessions;

public sealed class SessionStatusMachineTests
{
    public static TheoryData<SessionStatus, SessionStatus, bool> EveryMove()
    {
        // DOMAIN.md: Scheduled → Live → Ended, Scheduled → Cancelled; nothing else.
        var allowed = new HashSet<(SessionStatus, SessionStatus)>
        {
            (SessionStatus.Scheduled, SessionStatus.Live),
            (SessionStatus.Scheduled, SessionStatus.Cancelled),
            (SessionStatus.Live, SessionStatus.Ended),
        };
        var data = new TheoryData<SessionStatus, SessionStatus, bool>();
        foreach (var from in Enum.GetValues<SessionStatus>())
        {
            foreach (var to in Enum.GetValues<SessionStatus>())
            {
                data.Add(from, to, allowed.Contains((from, to)));
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(EveryMove))]
    public void Allows_exactly_the_moves_of_the_domain(SessionStatus from, SessionStatus to, bool allowed) =>
        Assert.Equal(allowed, SessionStatusMachine.CanMove(from, to));

    [Theory]
    [InlineData(SessionStatus.Ended)]
    [InlineData(SessionStatus.Cancelled)]
    public void Nothing_leaves_a_final_status(SessionStatus final)
    {
        Assert.True(final.IsFinal());
        Assert.All(Enum.GetValues<SessionStatus>(), to => Assert.False(SessionStatusMachine.CanMove(final, to)));
        Assert.False(final.OccupiesCalendar());
        Assert.False(final.CanBeReserved());
    }

    [Fact]
    public void Scheduled_and_live_hold_the_calendar_and_only_scheduled_can_be_reserved()
    {
        Assert.False(SessionStatus.Scheduled.IsFinal());
        Assert.False(SessionStatus.Live.IsFinal());
        Assert.True(SessionStatus.Scheduled.OccupiesCalendar());
        Assert.True(SessionStatus.Live.OccupiesCalendar());
        Assert.True(SessionStatus.Scheduled.CanBeReserved());
        Assert.False(SessionStatus.Live.CanBeReserved());
    }
}
