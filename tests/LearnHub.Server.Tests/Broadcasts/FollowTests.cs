using Grpc.Core;
using LearnHub.Api.V1;
using LearnHub.Server.Tests.Infrastructure;

namespace LearnHub.Server.Tests.Broadcasts;

/// <summary>DOMAIN.md "Follow (关注 / 粉丝)": follow and unfollow a creator, not yourself; follower and following counts.</summary>
public sealed class FollowTests
{
    [Fact]
    public async Task Follow_and_unfollow_are_idempotent_and_keep_both_counts()
    {
        await using var world = await FanBroadcastWorld.StartAsync();
        var creator = await world.CreatorAsync("wanhongcoco");
        var fan = await world.App.CreateUserAsync("xiaowang");
        var other = await world.App.CreateUserAsync("xiaoli");

        var first = await fan.Follows.FollowAsync(new FollowRequest { CreatorId = creator.Id });
        var again = await fan.Follows.FollowAsync(new FollowRequest { CreatorId = creator.Id });
        await other.Follows.FollowAsync(new FollowRequest { CreatorId = creator.Id });

        Assert.Equal((creator.Id, true, 1L), (first.CreatorId, first.Following, first.FollowerCount));
        Assert.Equal((true, 1L), (again.Following, again.FollowerCount));
        Assert.Equal((2L, 0L), await CountsAsync(fan, creator.Id));
        Assert.Equal((0L, 1L), await CountsAsync(fan, fan.Id));
        // Empty user_id: the caller's own counts.
        var mine = await fan.Follows.GetFollowCountsAsync(new GetFollowCountsRequest());
        Assert.Equal((fan.Id, 0L, 1L), (mine.UserId, mine.Followers, mine.Following));

        var left = await fan.Follows.UnfollowAsync(new UnfollowRequest { CreatorId = creator.Id });
        var leftAgain = await fan.Follows.UnfollowAsync(new UnfollowRequest { CreatorId = creator.Id });

        Assert.Equal((false, 1L), (left.Following, left.FollowerCount));
        Assert.Equal((false, 1L), (leftAgain.Following, leftAgain.FollowerCount));
        Assert.Equal((1L, 0L), await CountsAsync(other, creator.Id));
        Assert.Equal((0L, 0L), await CountsAsync(other, fan.Id));
        Assert.Empty((await fan.Follows.ListFollowingAsync(new ListFollowingRequest())).Creators);
    }

    [Fact]
    public async Task Following_yourself_is_refused_and_changes_nothing()
    {
        await using var world = await FanBroadcastWorld.StartAsync();
        var creator = await world.CreatorAsync("wanhongcoco");

        await Refusal.AssertAsync(StatusCode.InvalidArgument, "creator_id",
            () => creator.Follows.FollowAsync(new FollowRequest { CreatorId = creator.Id }).ResponseAsync);

        Assert.Equal((0L, 0L), await CountsAsync(creator, creator.Id));
        Assert.Empty((await creator.Follows.ListFollowingAsync(new ListFollowingRequest())).Creators);
    }

    [Fact]
    public async Task An_unknown_creator_is_not_found_and_nothing_changes()
    {
        await using var world = await FanBroadcastWorld.StartAsync();
        var fan = await world.App.CreateUserAsync("xiaowang");

        await Refusal.AssertAsync(StatusCode.NotFound, "creator_id",
            () => fan.Follows.FollowAsync(new FollowRequest { CreatorId = "u_nobody" }).ResponseAsync);
        await Refusal.AssertAsync(StatusCode.NotFound, "creator_id",
            () => fan.Follows.UnfollowAsync(new UnfollowRequest { CreatorId = "u_nobody" }).ResponseAsync);
        await Refusal.AssertAsync(StatusCode.NotFound, "user_id",
            () => fan.Follows.GetFollowCountsAsync(new GetFollowCountsRequest { UserId = "u_nobody" }).ResponseAsync);
        await Refusal.AssertAsync(StatusCode.NotFound, "creator_id",
            () => fan.Follows.SetCreatorPreferenceAsync(new SetCreatorPreferenceRequest { CreatorId = "u_nobody", Muted = true }).ResponseAsync);
        await Refusal.AssertAsync(StatusCode.InvalidArgument, "creator_id",
            () => fan.Follows.FollowAsync(new FollowRequest { CreatorId = "" }).ResponseAsync);

        Assert.Equal((0L, 0L), await CountsAsync(fan, fan.Id));
        Assert.Empty((await fan.Follows.ListFollowingAsync(new ListFollowingRequest())).Creators);
    }

    [Fact]
    public async Task Following_lists_the_most_recent_first_with_mute_and_block_flags_in_pages()
    {
        await using var world = await FanBroadcastWorld.StartAsync();
        var certified = await world.CreatorAsync("wanhongcoco");
        var muted = await world.App.CreateUserAsync("laoshi-a");
        var blocked = await world.App.CreateUserAsync("laoshi-b");
        var fan = await world.App.CreateUserAsync("xiaowang");
        foreach (var creator in new[] { certified, muted, blocked })
        {
            await fan.Follows.FollowAsync(new FollowRequest { CreatorId = creator.Id });
            world.App.Clock.Advance(TimeSpan.FromSeconds(1));
        }

        var mute = await fan.Follows.SetCreatorPreferenceAsync(new SetCreatorPreferenceRequest { CreatorId = muted.Id, Muted = true });
        var block = await fan.Follows.SetCreatorPreferenceAsync(new SetCreatorPreferenceRequest { CreatorId = blocked.Id, Blocked = true });
        // Setting one flag leaves the other as it was.
        var blockToo = await fan.Follows.SetCreatorPreferenceAsync(new SetCreatorPreferenceRequest { CreatorId = muted.Id, Blocked = false });

        Assert.Equal((true, false), (mute.Muted, mute.Blocked));
        Assert.Equal((false, true), (block.Muted, block.Blocked));
        Assert.Equal((true, false), (blockToo.Muted, blockToo.Blocked));

        var page1 = await fan.Follows.ListFollowingAsync(new ListFollowingRequest { PageSize = 2 });
        Assert.NotEmpty(page1.NextPageToken);
        var page2 = await fan.Follows.ListFollowingAsync(new ListFollowingRequest { PageSize = 2, PageToken = page1.NextPageToken });
        Assert.Empty(page2.NextPageToken);
        var listed = page1.Creators.Concat(page2.Creators).ToList();

        Assert.Equal([blocked.Id, muted.Id, certified.Id], listed.Select(c => c.CreatorId));
        Assert.Equal([(false, true, false), (true, false, false), (false, false, true)], listed.Select(c => (c.Muted, c.Blocked, c.Certified)));
        Assert.Equal(["laoshi-b", "laoshi-a", "wanhongcoco"], listed.Select(c => c.DisplayName));
        Assert.Equal(Scenario.Start.AddSeconds(2), listed[0].FollowedAt.ToDateTimeOffset());
    }

    [Fact]
    public async Task A_preference_needs_a_flag_and_is_never_for_yourself()
    {
        await using var world = await FanBroadcastWorld.StartAsync();
        var creator = await world.CreatorAsync("wanhongcoco");
        var fan = await world.FanAsync("xiaowang", creator);

        await Refusal.AssertAsync(StatusCode.InvalidArgument, "muted",
            () => fan.Follows.SetCreatorPreferenceAsync(new SetCreatorPreferenceRequest { CreatorId = creator.Id }).ResponseAsync);
        await Refusal.AssertAsync(StatusCode.InvalidArgument, "creator_id",
            () => fan.Follows.SetCreatorPreferenceAsync(new SetCreatorPreferenceRequest { CreatorId = fan.Id, Muted = true }).ResponseAsync);

        var listed = (await fan.Follows.ListFollowingAsync(new ListFollowingRequest())).Creators.Single();
        Assert.Equal((false, false), (listed.Muted, listed.Blocked));
    }

    private static async Task<(long Followers, long Following)> CountsAsync(TestUser asker, string userId)
    {
        var counts = await asker.Follows.GetFollowCountsAsync(new GetFollowCountsRequest { UserId = userId });
        return (counts.Followers, counts.Following);
    }
}
