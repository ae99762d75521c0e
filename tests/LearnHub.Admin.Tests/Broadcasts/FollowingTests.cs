using Google.Protobuf.WellKnownTypes;
using LearnHub.Admin.Components.Pages.Broadcasts;
using LearnHub.Admin.Tests.Infrastructure;
using LearnHub.Admin.Tests.Schedule;
using LearnHub.Api.V1;
using static LearnHub.Admin.Tests.Broadcasts.BroadcastFakes;

namespace LearnHub.Admin.Tests.Broadcasts;

public sealed class FollowingTests
{
    [Fact]
    public async Task Following_shows_counts_and_creators_with_their_mute_and_block_switches()
    {
        await using var context = Context();
        Followed(context, Creator("u_wanhong", "万红coco", certified: true, muted: true), Creator("u_li", "李老师"));

        var cut = context.RenderWithProviders<Following>();
        cut.WaitForElement("[data-testid=following-row-u_wanhong]", Within);

        Assert.Equal("关注 2", cut.Text("following-count"));
        Assert.Equal("粉丝 7", cut.Text("follower-count"));
        Assert.Contains("认证", cut.Text("following-row-u_wanhong"), StringComparison.Ordinal);
        Assert.True(ScheduleUi.InputOf(cut, "following-mute-u_wanhong").HasAttribute("checked") || ScheduleUi.InputOf(cut, "following-mute-u_wanhong").GetAttribute("aria-checked") == "true");
        Assert.Contains("不再接收Ta的消息", ScheduleUi.FieldText(cut, "following-block-u_li"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Blocking_asks_first_then_sets_only_blocked()
    {
        await using var context = Context();
        Followed(context, Creator("u_li", "李老师"));
        context.Api.On<SetCreatorPreferenceRequest, CreatorPreference>("SetCreatorPreference", r => new() { CreatorId = r.CreatorId, Blocked = r.Blocked });
        var cut = context.RenderWithProviders<Following>();
        cut.WaitForElement("[data-testid=following-block-u_li]", Within);

        ScheduleUi.InputOf(cut, "following-block-u_li").Change(true);
        cut.WaitForAssertion(() => Assert.Contains("李老师", cut.Text("confirm-message"), StringComparison.Ordinal), Within);
        cut.Confirm();

        cut.WaitForAssertion(() => Assert.Single(context.Api.RequestsTo<SetCreatorPreferenceRequest>("SetCreatorPreference")), Within);
        var request = context.Api.RequestsTo<SetCreatorPreferenceRequest>("SetCreatorPreference").Single();
        Assert.Equal("u_li", request.CreatorId);
        Assert.True(request.HasBlocked && request.Blocked);
        Assert.False(request.HasMuted);
    }

    [Fact]
    public async Task Unfollowing_asks_first_and_removes_the_creator()
    {
        await using var context = Context();
        Followed(context, Creator("u_li", "李老师"));
        context.Api.On<UnfollowRequest, FollowState>("Unfollow", r => new() { CreatorId = r.CreatorId, Following = false });
        var cut = context.RenderWithProviders<Following>();
        cut.WaitForElement("[data-testid=following-unfollow-u_li]", Within);

        ScheduleUi.Click(cut, "following-unfollow-u_li");
        cut.Confirm();

        cut.WaitForAssertion(() => Assert.Equal("暂无记录", cut.Text("following-empty")), Within);
        Assert.Equal("u_li", Assert.Single(context.Api.RequestsTo<UnfollowRequest>("Unfollow")).CreatorId);
    }

    [Fact]
    public async Task Following_shows_no_user_id_box_and_the_servers_refusal_shows_at_the_search_field()
    {
        await using var context = Context();
        Followed(context);
        context.Api.On<FollowRequest, FollowState>("Follow", _ => throw Invalid(("creator_id", "不能关注自己。")));
        var cut = context.RenderWithProviders<Following>();
        var search = cut.FindComponent<MudBlazor.MudAutocomplete<CreatorMatch>>();
        Assert.Empty(cut.FindAll("[data-testid=follow-user-id]"));
        Assert.DoesNotContain("用户 ID", cut.Markup, StringComparison.Ordinal);
        Assert.True(cut.Find("[data-testid=follow-submit]").HasAttribute("disabled"), "nothing picked, nothing to follow");

        await cut.InvokeAsync(() => search.Instance.ValueChanged.InvokeAsync(new CreatorMatch { CreatorId = Me, Handle = "me", DisplayName = "我自己" }));
        ScheduleUi.Click(cut, "follow-submit");

        cut.WaitForAssertion(() => Assert.Contains("不能关注自己", ScheduleUi.FieldText(cut, "follow-search"), StringComparison.Ordinal), Within);
        Assert.Equal(Me, Assert.Single(context.Api.RequestsTo<FollowRequest>("Follow")).CreatorId);
        Assert.DoesNotContain(Me, cut.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Searching_by_name_asks_the_server_and_a_picked_creator_is_the_one_followed()
    {
        await using var context = Context();
        Followed(context);
        context.Api.On<SearchCreatorsRequest, SearchCreatorsResponse>("SearchCreators", _ => new()
        {
            Creators =
            {
                new CreatorMatch { CreatorId = "u_wanhong", Handle = "wanhongcoco", DisplayName = "万红coco", FollowerCount = 1200 },
                new CreatorMatch { CreatorId = "u_li", Handle = "lilaoshi", DisplayName = "李老师", Following = true },
            },
        });
        context.Api.On<FollowRequest, FollowState>("Follow", r => new() { CreatorId = r.CreatorId, Following = true, FollowerCount = 1201 });
        var cut = context.RenderWithProviders<Following>();
        var search = cut.FindComponent<MudBlazor.MudAutocomplete<CreatorMatch>>();

        var searchFunc = search.Instance.SearchFunc ?? throw new InvalidOperationException("the creator search has no SearchFunc");
        var searching = searchFunc(" 万红 ", CancellationToken.None);
        Assert.NotNull(searching);
        var found = (await searching ?? []).ToList();
        await cut.InvokeAsync(() => search.Instance.ValueChanged.InvokeAsync(found[0]));
        ScheduleUi.Click(cut, "follow-submit");

        Assert.Equal(["u_wanhong", "u_li"], found.Select(c => c!.CreatorId));
        Assert.Equal("万红", Assert.Single(context.Api.RequestsTo<SearchCreatorsRequest>("SearchCreators")).Query);
        cut.WaitForAssertion(() => Assert.Equal("u_wanhong", Assert.Single(context.Api.RequestsTo<FollowRequest>("Follow")).CreatorId), Within);
    }

    private static FollowedCreator Creator(string id, string name, bool certified = false, bool muted = false, bool blocked = false) => new()
    {
        CreatorId = id,
        DisplayName = name,
        Certified = certified,
        Muted = muted,
        Blocked = blocked,
        FollowedAt = Timestamp.FromDateTimeOffset(Now.AddDays(-3)),
    };

    private static void Followed(AdminTestContext context, params FollowedCreator[] creators)
    {
        var list = creators.ToList();
        context.Api
            .On<GetFollowCountsRequest, FollowCounts>("GetFollowCounts", _ => new() { UserId = Me, Following = list.Count, Followers = 7 })
            .On<ListFollowingRequest, ListFollowingResponse>("ListFollowing", _ => new() { Creators = { list } })
            .On<UnfollowRequest, FollowState>("Unfollow", r =>
            {
                list.RemoveAll(c => c.CreatorId == r.CreatorId);
                return new FollowState { CreatorId = r.CreatorId };
            });
    }
}
