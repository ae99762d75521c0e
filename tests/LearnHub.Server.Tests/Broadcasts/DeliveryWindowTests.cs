using LearnHub.Api.V1;
using static LearnHub.Server.Tests.Broadcasts.FanBroadcastWorld;

namespace LearnHub.Server.Tests.Broadcasts;

/// <summary>
/// 群发须知 2: approved at A, a follower who signs in at any time in [A, A + 72 h) receives it; after the window nobody
/// new does, and what was received stays. Delivery is a pull at sign-in: approval writes nothing per follower.
/// </summary>
public sealed class DeliveryWindowTests
{
    private static readonly TimeSpan Window = TimeSpan.FromHours(72);

    [Fact]
    public async Task A_follower_signing_in_a_millisecond_before_72_hours_receives_it_and_one_at_72_hours_does_not()
    {
        await using var world = await FanBroadcastWorld.StartAsync();
        var creator = await world.CreatorAsync("wanhongcoco");
        var atOnce = await world.FanAsync("xiaozhang", creator);
        var justInside = await world.FanAsync("xiaowang", creator);
        var justOutside = await world.FanAsync("xiaoli", creator);
        world.App.Clock.Advance(TimeSpan.FromMilliseconds(250)); // A not on a whole second

        var approved = await world.PublishTextAsync(creator, "今晚八点直播经济基础第19章,记得来!");
        var a = approved.DecideTime.ToDateTimeOffset();
        Assert.Equal(world.App.Clock.GetUtcNow(), a);
        Assert.Equal(a + Window, approved.DeliveryEnd.ToDateTimeOffset());

        Assert.Equal(1, (await CheckInAsync(atOnce)).NewlyReceived);

        world.App.Clock.SetUtcNow(a + Window - TimeSpan.FromMilliseconds(1));
        var inside = await CheckInAsync(justInside);
        Assert.Equal((1, 1, 1), (inside.NewlyReceived, inside.Unread, inside.Total));
        Assert.Equal(approved.Id, (await InboxAsync(justInside)).Single().Broadcast.Id);
        Assert.False((await RecordAsync(creator, approved.Id)).Reach.WindowClosed);

        world.App.Clock.SetUtcNow(a + Window);
        var outside = await CheckInAsync(justOutside);
        Assert.Equal((0, 0, 0), (outside.NewlyReceived, outside.Unread, outside.Total));
        Assert.Empty(await InboxAsync(justOutside));

        // What was received stays after the window, and a later sign-in neither loses nor repeats it.
        world.App.Clock.Advance(TimeSpan.FromDays(10));
        var later = await CheckInAsync(justInside);
        Assert.Equal((0, 1, 1), (later.NewlyReceived, later.Unread, later.Total));
        var kept = (await InboxAsync(justInside)).Single();
        Assert.Equal((approved.Id, a + Window - TimeSpan.FromMilliseconds(1)), (kept.Broadcast.Id, kept.ReceiveTime.ToDateTimeOffset()));
        Assert.Single(await InboxAsync(atOnce));
        Assert.Empty(await InboxAsync(justOutside));

        var reach = (await RecordAsync(creator, approved.Id)).Reach;
        Assert.Equal((3L, 2L, 0L, true), (reach.EligibleAtApproval, reach.Received, reach.Read, reach.WindowClosed));
    }

    [Fact]
    public async Task Simultaneous_check_ins_of_the_same_follower_deliver_once()
    {
        await using var world = await FanBroadcastWorld.StartAsync();
        var creator = await world.CreatorAsync("wanhongcoco");
        var fans = new List<Infrastructure.TestUser>();
        for (var i = 0; i < 5; i++)
        {
            fans.Add(await world.FanAsync($"fan-{i}", creator));
        }
        var approved = await world.PublishTextAsync(creator, "第19章讲义已上传");

        // Two sign-ins of each follower at once, all ten together.
        var summaries = await Task.WhenAll(fans.SelectMany(f => new[] { CheckInAsync(f), CheckInAsync(f) }));

        for (var i = 0; i < fans.Count; i++)
        {
            Assert.Equal(1, summaries[2 * i].NewlyReceived + summaries[(2 * i) + 1].NewlyReceived);
            Assert.Equal(approved.Id, (await InboxAsync(fans[i])).Single().Broadcast.Id);
            Assert.Equal((1, 1), ((await SummaryAsync(fans[i])).Unread, (await SummaryAsync(fans[i])).Total));
        }
        Assert.Equal(5L, (await RecordAsync(creator, approved.Id)).Reach.Received);
    }

    [Fact]
    public async Task Two_simultaneous_check_ins_of_one_follower_give_one_message_and_a_reach_of_one()
    {
        await using var world = await FanBroadcastWorld.StartAsync();
        var creator = await world.CreatorAsync("wanhongcoco");
        var fan = await world.FanAsync("xiaowang", creator);
        var approved = await world.PublishTextAsync(creator, "第19章讲义已上传");

        var both = await Task.WhenAll(CheckInAsync(fan), CheckInAsync(fan));

        Assert.Equal([0, 1], both.Select(s => s.NewlyReceived).Order());
        Assert.Single(await InboxAsync(fan));
        Assert.Equal(1L, (await RecordAsync(creator, approved.Id)).Reach.Received);
    }

    [Fact]
    public async Task Approval_writes_nothing_per_follower_delivery_happens_at_sign_in()
    {
        await using var world = await FanBroadcastWorld.StartAsync();
        var creator = await world.CreatorAsync("wanhongcoco");
        var fans = new List<Infrastructure.TestUser>();
        for (var i = 0; i < 4; i++)
        {
            fans.Add(await world.FanAsync($"fan-{i}", creator));
        }
        var gone = await world.FanAsync("unfollowed", creator);
        await gone.Follows.UnfollowAsync(new UnfollowRequest { CreatorId = creator.Id });

        var approved = await world.PublishTextAsync(creator, "本周直播安排");

        // Right after approval, before anyone signs in: nobody has it yet, and the approval counted the followers.
        Assert.Equal((4L, 0L, 0L, false), (approved.Reach.EligibleAtApproval, approved.Reach.Received, approved.Reach.Read, approved.Reach.WindowClosed));
        var record = await RecordAsync(creator, approved.Id);
        Assert.Equal((4L, 0L), (record.Reach.EligibleAtApproval, record.Reach.Received));
        foreach (var fan in fans)
        {
            Assert.Equal(0, (await SummaryAsync(fan)).Total);
            Assert.Empty(await InboxAsync(fan));
        }

        // Signing in is what delivers; one who followed after approval and signs in within the window receives it too.
        world.App.Clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(1, (await CheckInAsync(fans[0])).NewlyReceived);
        var newcomer = await world.FanAsync("newcomer", creator);
        Assert.Equal(1, (await CheckInAsync(newcomer)).NewlyReceived);
        Assert.Equal(0, (await CheckInAsync(gone)).NewlyReceived);

        var reach = (await RecordAsync(creator, approved.Id)).Reach;
        Assert.Equal((4L, 2L), (reach.EligibleAtApproval, reach.Received));
        Assert.Equal(0, (await SummaryAsync(fans[1])).Total);
    }
}
