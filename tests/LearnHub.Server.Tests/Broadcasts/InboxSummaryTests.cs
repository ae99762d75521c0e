using LearnHub.Api.V1;
using LearnHub.Server.Tests.Infrastructure;
using static LearnHub.Server.Tests.Broadcasts.FanBroadcastWorld;

namespace LearnHub.Server.Tests.Broadcasts;

/// <summary>
/// The badge (unread, total) that every check-in returns agrees with the inbox as listed, whatever hides a message
/// (deleted, taken down, from a blocked creator) or keeps it off the unread count (read, from a muted creator), and
/// follows each change back (unblocking, unmuting). It is counted per creator, not per message (migration 0009).
/// </summary>
public sealed class InboxSummaryTests
{
    [Fact]
    public async Task The_badge_counts_what_the_inbox_lists_through_every_change()
    {
        await using var world = await FanBroadcastWorld.StartAsync();
        var plain = await world.CreatorAsync("laoshi-plain");
        var muted = await world.CreatorAsync("laoshi-muted");
        var blocked = await world.CreatorAsync("laoshi-blocked");
        var fan = await world.FanAsync("xiaowang", plain, muted, blocked);
        var fromPlain = new[] { await world.PublishTextAsync(plain, "一"), await world.PublishTextAsync(plain, "二") };
        var fromMuted = new[] { await world.PublishTextAsync(muted, "三"), await world.PublishTextAsync(muted, "四") };
        var fromBlocked = new[] { await world.PublishTextAsync(blocked, "五"), await world.PublishTextAsync(blocked, "六") };
        Assert.Equal((6, 6, 6), Of(await CheckInAsync(fan)));
        await AssertAgreesAsync(fan, muted.Id, (6, 6));

        await fan.Follows.SetCreatorPreferenceAsync(new SetCreatorPreferenceRequest { CreatorId = muted.Id, Muted = true });
        await AssertAgreesAsync(fan, muted.Id, (4, 6));
        await fan.Inbox.MarkInboxReadAsync(new MarkInboxReadRequest { MessageIds = { fromPlain[0].Id, fromMuted[0].Id } });
        await AssertAgreesAsync(fan, muted.Id, (3, 6));
        await fan.Inbox.DeleteInboxMessageAsync(new DeleteInboxMessageRequest { MessageId = fromPlain[1].Id });
        await AssertAgreesAsync(fan, muted.Id, (2, 5));
        await world.Reviewer.Broadcasts.TakeDownBroadcastAsync(new TakeDownBroadcastRequest { BroadcastId = fromBlocked[0].Id, Reason = "违规" });
        await AssertAgreesAsync(fan, muted.Id, (1, 4));
        await fan.Follows.SetCreatorPreferenceAsync(new SetCreatorPreferenceRequest { CreatorId = blocked.Id, Blocked = true });
        await AssertAgreesAsync(fan, muted.Id, (0, 3));
        // Taken down: a muted creator's unread message and a read one leave the total only.
        await world.Reviewer.Broadcasts.TakeDownBroadcastAsync(new TakeDownBroadcastRequest { BroadcastId = fromMuted[1].Id, Reason = "违规" });
        await world.Reviewer.Broadcasts.TakeDownBroadcastAsync(new TakeDownBroadcastRequest { BroadcastId = fromPlain[0].Id, Reason = "违规" });
        await AssertAgreesAsync(fan, muted.Id, (0, 1));

        await fan.Follows.SetCreatorPreferenceAsync(new SetCreatorPreferenceRequest { CreatorId = blocked.Id, Blocked = false });
        await fan.Follows.SetCreatorPreferenceAsync(new SetCreatorPreferenceRequest { CreatorId = muted.Id, Muted = false });
        await AssertAgreesAsync(fan, muted.Id, (1, 2));
        Assert.Equal((0, 1, 2), Of(await CheckInAsync(fan)));
        Assert.Equal(new[] { fromBlocked[1].Id, fromMuted[0].Id }.Order(StringComparer.Ordinal), (await InboxAsync(fan)).Select(m => m.Id).Order(StringComparer.Ordinal));
    }

    private static (int, int, int) Of(InboxSummary summary) => (summary.NewlyReceived, summary.Unread, summary.Total);

    /// <summary>The badge is <paramref name="expected"/>, and is what the listed inbox shows.</summary>
    private static async Task AssertAgreesAsync(TestUser fan, string mutedCreatorId, (int Unread, int Total) expected)
    {
        var summary = await SummaryAsync(fan);
        var listed = await InboxAsync(fan);
        var unreadListed = listed.Count(m => !m.Read && !m.Muted);
        Assert.Equal(expected, (summary.Unread, summary.Total));
        Assert.Equal((unreadListed, listed.Count), (summary.Unread, summary.Total));
        Assert.All(listed.Where(m => m.Muted), m => Assert.Equal(mutedCreatorId, m.Broadcast.CreatorId));
    }
}
