using Grpc.Core;
using LearnHub.Api.V1;
using LearnHub.Server.Tests.Infrastructure;
using static LearnHub.Server.Tests.Broadcasts.FanBroadcastWorld;

namespace LearnHub.Server.Tests.Broadcasts;

/// <summary>消息中心: a paged list newest first, the unread badge, mark read (the creator's 已读), delete, and images.</summary>
public sealed class InboxTests
{
    [Fact]
    public async Task The_inbox_pages_newest_first_and_counts_unread()
    {
        await using var world = await FanBroadcastWorld.StartAsync();
        var first = await world.CreatorAsync("laoshi-1");
        var second = await world.CreatorAsync("laoshi-2");
        var third = await world.CreatorAsync("laoshi-3");
        var fan = await world.FanAsync("xiaowang", first, second, third);
        var published = new List<Broadcast>();
        // Five messages: two check-ins an hour apart, so receive times differ as well as tie.
        published.Add(await world.PublishTextAsync(first, "消息一"));
        published.Add(await world.PublishTextAsync(second, "消息二"));
        Assert.Equal(2, (await CheckInAsync(fan)).NewlyReceived);
        world.App.Clock.Advance(TimeSpan.FromHours(1));
        published.Add(await world.PublishTextAsync(third, "消息三"));
        published.Add(await world.PublishTextAsync(first, "消息四"));
        published.Add(await world.PublishTextAsync(second, "消息五"));
        var summary = await CheckInAsync(fan);
        Assert.Equal((3, 5, 5), (summary.NewlyReceived, summary.Unread, summary.Total));

        var pages = new List<ListInboxResponse>();
        var token = "";
        do
        {
            var page = await fan.Inbox.ListInboxAsync(new ListInboxRequest { PageSize = 2, PageToken = token });
            pages.Add(page);
            token = page.NextPageToken;
        }
        while (token != "" && pages.Count < 10);

        Assert.Equal([2, 2, 1], pages.Select(p => p.Messages.Count));
        var listed = pages.SelectMany(p => p.Messages).ToList();
        Assert.Equal(5, listed.Select(m => m.Id).Distinct().Count());
        Assert.Equal(published.Select(b => b.Id).Order(), listed.Select(m => m.Id).Order());
        // Newest received first: the three of the second check-in before the two of the first.
        Assert.Equal(published.Skip(2).Select(b => b.Id).Order(), listed.Take(3).Select(m => m.Id).Order());
        Assert.True(listed.Zip(listed.Skip(1)).All(p => p.First.ReceiveTime.ToDateTimeOffset() >= p.Second.ReceiveTime.ToDateTimeOffset()));
        Assert.All(listed, m => Assert.Equal(m.Id, m.Broadcast.Id));
        Assert.All(listed, m => Assert.False(m.Read));
    }

    [Fact]
    public async Task Marking_read_by_id_and_all_lowers_the_badge_and_raises_the_creators_read_count()
    {
        await using var world = await FanBroadcastWorld.StartAsync();
        var creator = await world.CreatorAsync("wanhongcoco");
        var other = await world.CreatorAsync("laoshi-2");
        var fan = await world.FanAsync("xiaowang", creator, other);
        var fan2 = await world.FanAsync("xiaoli", creator);
        var one = await world.PublishTextAsync(creator, "消息一");
        var two = await world.PublishTextAsync(other, "消息二");
        var three = await world.PublishTextAsync(creator, "消息三");
        await CheckInAsync(fan);
        await CheckInAsync(fan2);

        var afterOne = await fan.Inbox.MarkInboxReadAsync(new MarkInboxReadRequest { MessageIds = { one.Id } });
        var again = await fan.Inbox.MarkInboxReadAsync(new MarkInboxReadRequest { MessageIds = { one.Id } });

        Assert.Equal((2, 3), (afterOne.Unread, afterOne.Total));
        Assert.Equal((2, 3), (again.Unread, again.Total));
        Assert.Equal(1L, (await RecordAsync(creator, one.Id)).Reach.Read);
        Assert.Equal([one.Id], (await InboxAsync(fan)).Where(m => m.Read).Select(m => m.Id));
        var unreadOnly = await fan.Inbox.ListInboxAsync(new ListInboxRequest { UnreadOnly = true });
        Assert.Equal(new[] { two.Id, three.Id }.Order(StringComparer.Ordinal), unreadOnly.Messages.Select(m => m.Id).Order(StringComparer.Ordinal));

        var afterAll = await fan.Inbox.MarkInboxReadAsync(new MarkInboxReadRequest { All = true });

        Assert.Equal((0, 3), (afterAll.Unread, afterAll.Total));
        Assert.All(await InboxAsync(fan), m => Assert.True(m.Read));
        Assert.Equal((1L, 1L, 1L), ((await RecordAsync(creator, one.Id)).Reach.Read, (await RecordAsync(other, two.Id)).Reach.Read, (await RecordAsync(creator, three.Id)).Reach.Read));
        // Another follower's copy is untouched.
        Assert.Equal(2, (await SummaryAsync(fan2)).Unread);

        await Refusal.AssertAsync(StatusCode.InvalidArgument, "message_ids",
            () => fan2.Inbox.MarkInboxReadAsync(new MarkInboxReadRequest()).ResponseAsync);
        Assert.Equal(2, (await SummaryAsync(fan2)).Unread);
        // Someone else's message id marks nothing.
        await fan2.Inbox.MarkInboxReadAsync(new MarkInboxReadRequest { MessageIds = { two.Id } });
        Assert.Equal(1L, (await RecordAsync(other, two.Id)).Reach.Read);
    }

    [Fact]
    public async Task Marking_all_read_leaves_hidden_messages_unread_and_uncounted()
    {
        await using var world = await FanBroadcastWorld.StartAsync();
        var blocked = await world.CreatorAsync("laoshi-blocked");
        var takenDown = await world.CreatorAsync("laoshi-down");
        var fan = await world.FanAsync("xiaowang", blocked, takenDown);
        var fromBlocked = await world.PublishTextAsync(blocked, "先收到,后拉黑");
        var removed = await world.PublishTextAsync(takenDown, "后被下架");
        await CheckInAsync(fan);
        await fan.Follows.SetCreatorPreferenceAsync(new SetCreatorPreferenceRequest { CreatorId = blocked.Id, Blocked = true });
        await world.Reviewer.Broadcasts.TakeDownBroadcastAsync(new TakeDownBroadcastRequest { BroadcastId = removed.Id, Reason = "违规" });

        var summary = await fan.Inbox.MarkInboxReadAsync(new MarkInboxReadRequest { All = true });
        await fan.Inbox.MarkInboxReadAsync(new MarkInboxReadRequest { MessageIds = { fromBlocked.Id, removed.Id } });

        Assert.Equal((0, 0), (summary.Unread, summary.Total));
        Assert.Equal(0L, (await RecordAsync(blocked, fromBlocked.Id)).Reach.Read);
        Assert.Equal(0L, (await RecordAsync(takenDown, removed.Id)).Reach.Read);
        await fan.Follows.SetCreatorPreferenceAsync(new SetCreatorPreferenceRequest { CreatorId = blocked.Id, Blocked = false });
        Assert.False((await InboxAsync(fan)).Single().Read);
        Assert.Equal(1, (await SummaryAsync(fan)).Unread);
    }

    [Fact]
    public async Task A_deleted_message_is_gone_and_not_received_again()
    {
        await using var world = await FanBroadcastWorld.StartAsync();
        var creator = await world.CreatorAsync("wanhongcoco");
        var fan = await world.FanAsync("xiaowang", creator);
        var deleted = await world.PublishTextAsync(creator, "要删除的消息");
        var kept = await world.PublishTextAsync(creator, "留下的消息");
        await CheckInAsync(fan);

        var summary = await fan.Inbox.DeleteInboxMessageAsync(new DeleteInboxMessageRequest { MessageId = deleted.Id });

        Assert.Equal((1, 1), (summary.Unread, summary.Total));
        Assert.Equal([kept.Id], (await InboxAsync(fan)).Select(m => m.Id));
        var next = await CheckInAsync(fan);
        Assert.Equal((0, 1), (next.NewlyReceived, next.Total));
        Assert.Equal([kept.Id], (await InboxAsync(fan)).Select(m => m.Id));
        // Deleting it again, or reporting or marking it, finds nothing.
        await Refusal.AssertAsync(StatusCode.NotFound, "message_id",
            () => fan.Inbox.DeleteInboxMessageAsync(new DeleteInboxMessageRequest { MessageId = deleted.Id }).ResponseAsync);
        await Refusal.AssertAsync(StatusCode.NotFound, "message_id",
            () => fan.Inbox.ReportBroadcastAsync(new ReportBroadcastRequest { MessageId = deleted.Id, Reason = "广告" }).ResponseAsync);
        await fan.Inbox.MarkInboxReadAsync(new MarkInboxReadRequest { MessageIds = { deleted.Id } });
        Assert.Equal(0L, (await RecordAsync(creator, deleted.Id)).Reach.Read);
        Assert.Equal(1L, (await RecordAsync(creator, deleted.Id)).Reach.Received);
    }

    [Fact]
    public async Task An_image_is_served_to_its_creator_a_recipient_reviewers_and_admins_only()
    {
        await using var world = await FanBroadcastWorld.StartAsync();
        var creator = await world.CreatorAsync("wanhongcoco");
        var recipient = await world.FanAsync("xiaowang", creator);
        var lateFollower = await world.FanAsync("xiaoli", creator);
        var stranger = await world.App.CreateUserAsync("luren");
        var png = TestImages.Png(64, 48);
        var submitted = await world.SubmitImageAsync(creator, png);

        // Pending: its creator and the reviewers see it, nobody else.
        await AssertImageAsync(creator, submitted.Id, png);
        await AssertImageAsync(world.Reviewer, submitted.Id, png);
        await AssertImageAsync(world.Admin, submitted.Id, png);
        await AssertNoImageAsync(recipient, submitted.Id);

        await world.ApproveAsync(submitted);
        await AssertNoImageAsync(recipient, submitted.Id); // approved, but not received yet
        await CheckInAsync(recipient);
        await AssertImageAsync(recipient, submitted.Id, png);
        await AssertNoImageAsync(stranger, submitted.Id);
        await AssertNoImageAsync(lateFollower, submitted.Id);

        await recipient.Inbox.DeleteInboxMessageAsync(new DeleteInboxMessageRequest { MessageId = submitted.Id });
        await AssertNoImageAsync(recipient, submitted.Id);
        await AssertImageAsync(creator, submitted.Id, png);
        await AssertNoImageAsync(creator, "b_nonexistent");
        // A text broadcast has no image.
        var text = await world.PublishTextAsync(creator, "文字消息");
        await AssertNoImageAsync(creator, text.Id);
    }

    internal static async Task AssertImageAsync(TestUser user, string broadcastId, byte[] expected)
    {
        var image = await user.Broadcasts.GetBroadcastImageAsync(new GetBroadcastImageRequest { BroadcastId = broadcastId });
        Assert.Equal("image/png", image.ContentType);
        Assert.Equal(expected, image.Data.ToByteArray());
    }

    internal static Task AssertNoImageAsync(TestUser user, string broadcastId) =>
        Refusal.AssertAsync(StatusCode.NotFound, "broadcast_id",
            () => user.Broadcasts.GetBroadcastImageAsync(new GetBroadcastImageRequest { BroadcastId = broadcastId }).ResponseAsync);
}
