using LearnHub.Core.Presence;

namespace LearnHub.Core.Tests.Presence;

public sealed class AudienceLedgerTests
{
    private const string Session = "s_1";
    private const long Minute = 60_000;

    [Fact]
    public void Time_before_go_live_is_not_watch_time()
    {
        var ledger = new AudienceLedger();
        ledger.Enter(Session, "u1", 0);
        ledger.StartAccruing(Session, 10 * Minute, viewersNow: 1);

        var drained = ledger.Drain(Session, 15 * Minute);

        Assert.Equal(new WatchTime("u1", 10 * Minute, 5 * Minute), Assert.Single(drained));
    }

    [Fact]
    public void A_user_with_several_streams_watches_once_until_the_last_stream_closes()
    {
        var ledger = new AudienceLedger();
        ledger.StartAccruing(Session, 0, 0);
        ledger.Enter(Session, "u1", 0);
        ledger.Enter(Session, "u1", 1 * Minute);
        ledger.Leave(Session, "u1", 2 * Minute);
        ledger.Leave(Session, "u1", 4 * Minute);

        Assert.Equal(4 * Minute, Assert.Single(ledger.Drain(Session, 10 * Minute)).WatchedMs);
        Assert.Empty(ledger.Drain(Session, 11 * Minute));
    }

    [Fact]
    public void Drains_split_a_long_visit_without_losing_or_doubling_time()
    {
        var ledger = new AudienceLedger();
        ledger.StartAccruing(Session, 0, 0);
        ledger.Enter(Session, "u1", 1 * Minute);

        var first = ledger.Drain(Session, 3 * Minute);
        ledger.Leave(Session, "u1", 7 * Minute);
        ledger.Enter(Session, "u1", 8 * Minute);
        var second = ledger.Drain(Session, 9 * Minute);
        var last = ledger.StopAccruing(Session, 10 * Minute);

        Assert.Equal(2 * Minute, Assert.Single(first).WatchedMs);
        Assert.Equal(5 * Minute, Assert.Single(second).WatchedMs);
        Assert.Equal(1 * Minute, Assert.Single(last).WatchedMs);
        Assert.Equal(1 * Minute, first[0].FirstWatchedMs);
    }

    [Fact]
    public void After_the_end_leaving_adds_nothing_and_the_session_is_forgotten()
    {
        var ledger = new AudienceLedger();
        ledger.StartAccruing(Session, 0, 0);
        ledger.Enter(Session, "u1", 0);
        Assert.Equal(5 * Minute, Assert.Single(ledger.StopAccruing(Session, 5 * Minute)).WatchedMs);

        ledger.Leave(Session, "u1", 9 * Minute);

        Assert.False(ledger.IsAccruing(Session));
        Assert.Empty(ledger.Drain(Session, 10 * Minute));
        Assert.Empty(ledger.AccruingSessions());
    }

    [Fact]
    public void The_peak_is_the_highest_count_while_live_first_reached()
    {
        var ledger = new AudienceLedger();
        Assert.False(ledger.ObserveViewers(Session, 50, 0)); // not live yet
        ledger.StartAccruing(Session, 1 * Minute, viewersNow: 3);
        Assert.True(ledger.ObserveViewers(Session, 7, 2 * Minute));
        Assert.False(ledger.ObserveViewers(Session, 7, 3 * Minute));
        Assert.False(ledger.ObserveViewers(Session, 4, 4 * Minute));

        Assert.Equal(new Peak(7, 2 * Minute), ledger.PeakOf(Session));
    }

    [Fact]
    public void Concurrent_enters_and_leaves_keep_every_users_time()
    {
        var ledger = new AudienceLedger();
        ledger.StartAccruing(Session, 0, 0);
        Parallel.For(0, 1000, i =>
        {
            ledger.Enter(Session, $"u{i % 100}", 0);
            ledger.Leave(Session, $"u{i % 100}", i % 10 == 0 ? Minute : 0);
        });

        var drained = ledger.Drain(Session, 10 * Minute);

        Assert.Equal(100, drained.Count);
        Assert.All(drained, w => Assert.InRange(w.WatchedMs, 0, 10 * Minute));
    }
}
