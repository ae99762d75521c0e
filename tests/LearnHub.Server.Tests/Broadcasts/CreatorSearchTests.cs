using Grpc.Core;
using LearnHub.Api.V1;
using LearnHub.Server.Tests.Infrastructure;

namespace LearnHub.Server.Tests.Broadcasts;

/// <summary>Finding a creator to follow by name instead of by user id: certified creators only, closest first.</summary>
public sealed class CreatorSearchTests
{
    [Fact]
    public async Task Certified_creators_are_found_by_handle_or_name_closest_first_with_whether_the_caller_follows_them()
    {
        await using var world = await FanBroadcastWorld.StartAsync();
        var wan = await CertifiedAsync(world, "wanhongcoco", "Coco 万红");
        var coco = await CertifiedAsync(world, "coco", "可可老师");
        var li = await CertifiedAsync(world, "lilaoshi", "李老师 coco 助教");
        var fan = await world.FanAsync("xiaowang", li);
        await world.App.CreateNamedUserAsync("cocofan", "没认证的 coco");

        var found = (await fan.Follows.SearchCreatorsAsync(new SearchCreatorsRequest { Query = " COCO " })).Creators;

        // The exact handle, then a handle or name starting with it, then names containing it; no uncertified user.
        Assert.Equal([coco.Id, wan.Id, li.Id], found.Select(c => c.CreatorId));
        Assert.Equal(("coco", "可可老师", false), (found[0].Handle, found[0].DisplayName, found[0].Following));
        Assert.True(found[2].Following);
        Assert.Equal(1, found[2].FollowerCount);
        Assert.Equal(wan.Id, Assert.Single((await fan.Follows.SearchCreatorsAsync(new SearchCreatorsRequest { Query = "万红" })).Creators).CreatorId);
        Assert.Single((await fan.Follows.SearchCreatorsAsync(new SearchCreatorsRequest { Query = "coco", PageSize = 1 })).Creators);
    }

    [Fact]
    public async Task The_caller_is_never_listed_and_wildcards_are_taken_literally()
    {
        await using var world = await FanBroadcastWorld.StartAsync();
        var wan = await CertifiedAsync(world, "wanhongcoco", "万红coco");
        await CertifiedAsync(world, "wan_laoshi", "万老师");

        Assert.Empty((await wan.Follows.SearchCreatorsAsync(new SearchCreatorsRequest { Query = "wanhong" })).Creators);
        Assert.Empty((await wan.Follows.SearchCreatorsAsync(new SearchCreatorsRequest { Query = "%" })).Creators);
        Assert.Equal("wan_laoshi", Assert.Single((await wan.Follows.SearchCreatorsAsync(new SearchCreatorsRequest { Query = "_" })).Creators).Handle);
    }

    [Fact]
    public async Task A_blank_or_overlong_query_or_page_size_is_refused_with_the_field()
    {
        await using var world = await FanBroadcastWorld.StartAsync();
        var fan = await world.App.CreateUserAsync("xiaowang");

        await Refusal.AssertAsync(StatusCode.InvalidArgument, "query", async () => await fan.Follows.SearchCreatorsAsync(new SearchCreatorsRequest { Query = "   " }));
        await Refusal.AssertAsync(StatusCode.InvalidArgument, "query", async () => await fan.Follows.SearchCreatorsAsync(new SearchCreatorsRequest { Query = new string('经', 51) }));
        await Refusal.AssertAsync(StatusCode.InvalidArgument, "page_size", async () => await fan.Follows.SearchCreatorsAsync(new SearchCreatorsRequest { Query = "coco", PageSize = 21 }));
        var anonymous = new FollowService.FollowServiceClient(world.App.Invoker(null));
        var refusal = await Assert.ThrowsAsync<RpcException>(() => anonymous.SearchCreatorsAsync(new SearchCreatorsRequest { Query = "coco" }).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, refusal.StatusCode);
    }

    [Fact]
    public async Task Names_match_without_regard_to_case_in_every_script()
    {
        await using var world = await FanBroadcastWorld.StartAsync();
        var elodie = await CertifiedAsync(world, "emartin", "Élodie Martin");
        var sofia = await CertifiedAsync(world, "spapadopoulou", "Σοφία Παπαδοπούλου");
        var odysseus = await CertifiedAsync(world, "odysseas", "Οδυσσεύς");
        var dmitry = await CertifiedAsync(world, "dmitry", "Дмитрий");
        var fan = await world.App.CreateUserAsync("xiaowang");

        async Task<IReadOnlyList<string>> FoundAsync(string query) =>
            (await fan.Follows.SearchCreatorsAsync(new SearchCreatorsRequest { Query = query })).Creators.Select(c => c.CreatorId).ToList();

        Assert.Equal([elodie.Id], await FoundAsync("ÉLODIE"));
        Assert.Equal([elodie.Id], await FoundAsync("élodie"));
        Assert.Equal([elodie.Id], await FoundAsync("E\u0301LODIE")); // decomposed: the same text to a person
        Assert.Equal([sofia.Id], await FoundAsync("ΣΟΦΊΑ"));
        Assert.Equal([sofia.Id], await FoundAsync("σοφία"));
        Assert.Equal([odysseus.Id], await FoundAsync("ΟΔΥΣΣΕΎΣ")); // final sigma
        Assert.Equal([dmitry.Id], await FoundAsync("ДМИТ"));
        Assert.Equal([elodie.Id], await FoundAsync("ＭＡＲＴＩＮ")); // full-width letters
        Assert.Empty(await FoundAsync("elodie martin x"));

        // The admin's user list matches the same way.
        var users = (await world.Admin.Admin.ListUsersAsync(new ListUsersRequest { Query = "ΣΟΦΊΑ" })).Users;
        Assert.Equal([sofia.Id], users.Select(u => u.Id));
        Assert.Equal([elodie.Id], (await world.Admin.Admin.ListUsersAsync(new ListUsersRequest { Query = "élodie" })).Users.Select(u => u.Id));
    }

    [Theory]
    [InlineData("\u0000")]
    [InlineData("co\u0000co")]
    [InlineData("co\nco")]
    [InlineData("\u200B")]
    public async Task A_query_with_a_control_character_or_nothing_visible_is_refused_not_matched(string query)
    {
        await using var world = await FanBroadcastWorld.StartAsync();
        await CertifiedAsync(world, "coco", "可可老师");
        var fan = await world.App.CreateUserAsync("xiaowang");

        await Refusal.AssertAsync(StatusCode.InvalidArgument, "query", async () => await fan.Follows.SearchCreatorsAsync(new SearchCreatorsRequest { Query = query }));
        if (query != "\u200B")
        {
            await Refusal.AssertAsync(StatusCode.InvalidArgument, "query", async () => await world.Admin.Admin.ListUsersAsync(new ListUsersRequest { Query = query }));
        }
    }

    private static async Task<TestUser> CertifiedAsync(FanBroadcastWorld world, string handle, string name)
    {
        var creator = await world.App.CreateNamedUserAsync(handle, name, "instructor");
        await world.Admin.Admin.SetCertifiedAsync(new SetCertifiedRequest { UserId = creator.Id, Certified = true });
        return creator;
    }
}
