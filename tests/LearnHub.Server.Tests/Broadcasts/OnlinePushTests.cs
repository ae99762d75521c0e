using Google.Rpc;
using Grpc.Core;
using LearnHub.Api.V1;
using LearnHub.Server.Broadcasts;
using LearnHub.Server.Tests.Infrastructure;
using static LearnHub.Server.Tests.Broadcasts.FanBroadcastWorld;

namespace LearnHub.Server.Tests.Broadcasts;

/// <summary>
/// Online followers (holding WatchInbox) get a broadcast pushed at approval. 消息免打扰: a muted creator's messages
/// are received but never pushed or badged. 拉黑: a blocked creator's messages are never received while blocked.
/// </summary>
public sealed class OnlinePushTests
{
    [Fact]
    public async Task A_follower_holding_the_inbox_stream_gets_the_message_pushed_at_approval()
    {
        await using var world = await FanBroadcastWorld.StartAsync();
        var creator = await world.CreatorAsync("wanhongcoco");
        var fan = await world.FanAsync("xiaowang", creator);
        var submitted = await world.SubmitTextAsync(creator, "直播马上开始,快来!");
        await using var watcher = await InboxWatcher.OpenAsync(fan);
        Assert.Equal((0, 0), (watcher.First.Summary.Unread, watcher.First.Summary.Total));

        await world.ApproveAsync(submitted);

        var pushed = await watcher.UntilAsync(e => e.Message is not null);
        Assert.Equal(submitted.Id, pushed.Message.Broadcast.Id);
        Assert.Equal("直播马上开始,快来!", pushed.Message.Broadcast.Text);
        Assert.Equal("wanhongcoco", pushed.Message.Broadcast.CreatorName);
        Assert.False(pushed.Message.Read);
        Assert.False(pushed.Message.Muted);
        Assert.Equal((1, 1, 1), (pushed.Summary.NewlyReceived, pushed.Summary.Unread, pushed.Summary.Total));
        // Received without any CheckIn: it is in the inbox and counted in the creator's reach.
        Assert.Equal(submitted.Id, (await InboxAsync(fan)).Single().Id);
        Assert.Equal(1L, (await RecordAsync(creator, submitted.Id)).Reach.Received);
        Assert.Equal(0, (await CheckInAsync(fan)).NewlyReceived);
    }

    [Fact]
    public async Task Inbox_streams_past_the_per_user_cap_are_refused_and_a_closed_one_frees_its_slot()
    {
        await using var world = await FanBroadcastWorld.StartAsync();
        var creator = await world.CreatorAsync("wanhongcoco");
        var fan = await world.FanAsync("xiaowang", creator);
        var other = await world.FanAsync("xiaoli", creator);
        var open = new List<InboxWatcher>();
        for (var i = 0; i < InboxDelivery.MaxStreamsPerUser; i++)
        {
            open.Add(await InboxWatcher.OpenAsync(fan));
        }

        using (var oneMore = fan.Inbox.WatchInbox(new WatchInboxRequest()))
        {
            var refusal = await Assert.ThrowsAsync<RpcException>(() => oneMore.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Equal(StatusCode.ResourceExhausted, refusal.StatusCode);
            Assert.NotNull(refusal.GetRpcStatus()!.GetDetail<RetryInfo>());
        }
        await using (await InboxWatcher.OpenAsync(other))
        {
        }

        await open[0].DisposeAsync();
        open[0] = (await Wait.UntilAsync<InboxWatcher?>(
            async () =>
            {
                try
                {
                    return await InboxWatcher.OpenAsync(fan);
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.ResourceExhausted)
                {
                    return null;
                }
            },
            reopened => reopened is not null,
            what: "the freed slot"))!;
        foreach (var watcher in open)
        {
            await watcher.DisposeAsync();
        }
    }

    [Fact]
    public async Task Opening_the_stream_counts_as_signing_in()
    {
        await using var world = await FanBroadcastWorld.StartAsync();
        var creator = await world.CreatorAsync("wanhongcoco");
        var fan = await world.FanAsync("xiaowang", creator);
        var approved = await world.PublishTextAsync(creator, "第19章讲义已上传");

        await using var watcher = await InboxWatcher.OpenAsync(fan);

        // Received by the stream's own check-in, or (if the approval's push pass ran only once the stream was open) by
        // that push just before it: either way because the stream is open, and once.
        Assert.Equal((1, 1), (watcher.First.Summary.Unread, watcher.First.Summary.Total));
        Assert.Equal(approved.Id, (await InboxAsync(fan)).Single().Id);
    }

    [Fact]
    public async Task A_muted_creators_message_is_received_but_never_pushed_or_badged()
    {
        await using var world = await FanBroadcastWorld.StartAsync();
        var muted = await world.CreatorAsync("laoshi-muted");
        var loud = await world.CreatorAsync("laoshi-loud");
        var fan = await world.FanAsync("xiaowang", muted, loud);
        await fan.Follows.SetCreatorPreferenceAsync(new SetCreatorPreferenceRequest { CreatorId = muted.Id, Muted = true });
        var quiet = await world.SubmitTextAsync(muted, "免打扰的消息");
        var noisy = await world.SubmitTextAsync(loud, "会推送的消息");
        await using var watcher = await InboxWatcher.OpenAsync(fan);

        await world.ApproveAsync(quiet);
        // Delivered online (the reach counts it) before the next approval.
        await Wait.UntilAsync(() => RecordAsync(muted, quiet.Id), b => b.Reach.Received == 1, what: "the muted creator's message to be received");
        await world.ApproveAsync(noisy);

        var pushed = await watcher.UntilAsync(e => e.Message is not null);
        Assert.Equal(noisy.Id, pushed.Message.Broadcast.Id);
        Assert.DoesNotContain(watcher.All, e => e.Message?.Broadcast.Id == quiet.Id);
        Assert.Equal(1, pushed.Summary.Unread);

        var inbox = await InboxAsync(fan);
        Assert.Equal(2, inbox.Count);
        var quietMessage = inbox.Single(m => m.Id == quiet.Id);
        Assert.True(quietMessage.Muted);
        Assert.False(quietMessage.Read);
        Assert.False(inbox.Single(m => m.Id == noisy.Id).Muted);
        var summary = await SummaryAsync(fan);
        Assert.Equal((1, 2), (summary.Unread, summary.Total));
    }

    [Fact]
    public async Task A_muted_creators_message_received_at_sign_in_is_not_badged()
    {
        await using var world = await FanBroadcastWorld.StartAsync();
        var muted = await world.CreatorAsync("laoshi-muted");
        var fan = await world.FanAsync("xiaowang", muted);
        await fan.Follows.SetCreatorPreferenceAsync(new SetCreatorPreferenceRequest { CreatorId = muted.Id, Muted = true });
        var approved = await world.PublishTextAsync(muted, "免打扰的消息");

        var summary = await CheckInAsync(fan);

        Assert.Equal((1, 0, 1), (summary.NewlyReceived, summary.Unread, summary.Total));
        Assert.True((await InboxAsync(fan)).Single(m => m.Id == approved.Id).Muted);
    }

    [Fact]
    public async Task A_blocked_creators_message_is_never_received_while_blocked()
    {
        await using var world = await FanBroadcastWorld.StartAsync();
        var blocked = await world.CreatorAsync("laoshi-blocked");
        var other = await world.CreatorAsync("laoshi-other");
        var fan = await world.FanAsync("xiaowang", blocked, other);
        var block = await fan.Follows.SetCreatorPreferenceAsync(new SetCreatorPreferenceRequest { CreatorId = blocked.Id, Blocked = true });
        Assert.True(block.Blocked);
        var unwanted = await world.SubmitTextAsync(blocked, "不再接受Ta的消息");
        var wanted = await world.SubmitTextAsync(other, "正常的消息");
        await using var watcher = await InboxWatcher.OpenAsync(fan);

        await world.ApproveAsync(unwanted);
        await world.ApproveAsync(wanted);

        // Online: the other creator's message arrives, the blocked one's never does.
        var pushed = await watcher.UntilAsync(e => e.Message is not null);
        Assert.Equal(wanted.Id, pushed.Message.Broadcast.Id);
        var checkIn = await CheckInAsync(fan);
        Assert.Equal((0, 1, 1), (checkIn.NewlyReceived, checkIn.Unread, checkIn.Total));
        Assert.Equal([wanted.Id], (await InboxAsync(fan)).Select(m => m.Id));
        Assert.DoesNotContain(watcher.All, e => e.Message?.Broadcast.Id == unwanted.Id);
        Assert.Equal(0L, (await RecordAsync(blocked, unwanted.Id)).Reach.Received);
        await Refusal.AssertAsync(global::Grpc.Core.StatusCode.NotFound, "message_id",
            () => fan.Inbox.ReportBroadcastAsync(new ReportBroadcastRequest { MessageId = unwanted.Id, Reason = "骚扰" }).ResponseAsync);

        // Still blocked a day later: still nothing.
        world.App.Clock.Advance(TimeSpan.FromDays(1));
        Assert.Equal(0, (await CheckInAsync(fan)).NewlyReceived);
        Assert.Equal(0L, (await RecordAsync(blocked, unwanted.Id)).Reach.Received);

        // "While blocked": unblocked inside the 72-hour window, the next sign-in receives it.
        await fan.Follows.SetCreatorPreferenceAsync(new SetCreatorPreferenceRequest { CreatorId = blocked.Id, Blocked = false });
        Assert.Equal(1, (await CheckInAsync(fan)).NewlyReceived);
        Assert.Equal(1L, (await RecordAsync(blocked, unwanted.Id)).Reach.Received);
    }

    [Fact]
    public async Task Blocking_hides_what_was_already_received_from_that_creator()
    {
        await using var world = await FanBroadcastWorld.StartAsync();
        var creator = await world.CreatorAsync("laoshi-blocked");
        var fan = await world.FanAsync("xiaowang", creator);
        var png = TestImages.Png(16, 16);
        var approved = await world.PublishImageAsync(creator, png);
        Assert.Equal(1, (await CheckInAsync(fan)).NewlyReceived);
        await InboxTests.AssertImageAsync(fan, approved.Id, png);

        await fan.Follows.SetCreatorPreferenceAsync(new SetCreatorPreferenceRequest { CreatorId = creator.Id, Blocked = true });

        Assert.Empty(await InboxAsync(fan));
        var summary = await SummaryAsync(fan);
        Assert.Equal((0, 0), (summary.Unread, summary.Total));
        Assert.Equal(1L, (await RecordAsync(creator, approved.Id)).Reach.Received);
        // Hidden means hidden everywhere: not its image, not a report of it.
        await InboxTests.AssertNoImageAsync(fan, approved.Id);
        await Refusal.AssertAsync(global::Grpc.Core.StatusCode.NotFound, "message_id",
            () => fan.Inbox.ReportBroadcastAsync(new ReportBroadcastRequest { MessageId = approved.Id, Reason = "骚扰" }).ResponseAsync);

        // Unblocked, it is back as it was.
        await fan.Follows.SetCreatorPreferenceAsync(new SetCreatorPreferenceRequest { CreatorId = creator.Id, Blocked = false });
        Assert.Equal([approved.Id], (await InboxAsync(fan)).Select(m => m.Id));
        await InboxTests.AssertImageAsync(fan, approved.Id, png);
    }
}
