using LearnHub.Admin.Components.Layout;
using LearnHub.Api.V1;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using static LearnHub.Admin.Tests.Broadcasts.BroadcastFakes;

namespace LearnHub.Admin.Tests.Broadcasts;

public sealed class NavTests
{
    [Fact]
    public async Task A_certified_creator_gets_the_broadcast_links_and_the_inbox_badge_from_checking_in()
    {
        await using var context = Context("viewer");
        context.Api.On<GetMeRequest, User>("GetMe", _ => new() { Id = "u_tester", Certified = true });
        context.Api.On<CheckInRequest, InboxSummary>("CheckIn", _ => new() { NewlyReceived = 1, Unread = 3, Total = 5 });

        var nav = context.Render<NavMenu>();

        nav.WaitForAssertion(() => Assert.Equal("3", nav.Find("[data-testid=nav-inbox-unread]").TextContent.Trim()), Within);
        foreach (var link in new[] { "nav-inbox", "nav-broadcast-new", "nav-broadcasts", "nav-following" })
        {
            Assert.NotEmpty(nav.FindAll($"[data-testid={link}]"));
        }
        Assert.Empty(nav.FindAll("[data-testid=nav-review-broadcasts]"));
        Assert.Empty(nav.FindAll("[data-testid=nav-review-reports]"));
        Assert.Single(context.Api.RequestsTo<CheckInRequest>("CheckIn"));
    }

    [Fact]
    public async Task A_user_who_is_not_certified_gets_no_broadcast_links()
    {
        await using var context = Context("instructor");
        context.Api.On<GetMeRequest, User>("GetMe", _ => new() { Id = "u_tester", Certified = false });
        context.Api.On<CheckInRequest, InboxSummary>("CheckIn", _ => new());

        var nav = context.Render<NavMenu>();

        nav.WaitForAssertion(() => Assert.Single(context.Api.RequestsTo<GetMeRequest>("GetMe")), Within);
        Assert.NotEmpty(nav.FindAll("[data-testid=nav-inbox]"));
        Assert.NotEmpty(nav.FindAll("[data-testid=nav-following]"));
        Assert.Empty(nav.FindAll("[data-testid=nav-broadcast-new]"));
        Assert.Empty(nav.FindAll("[data-testid=nav-broadcasts]"));
    }

    [Fact]
    public async Task The_badge_follows_broadcasts_pushed_to_the_inbox_stream_while_the_console_is_open()
    {
        await using var context = Context("viewer");
        context.Api.On<CheckInRequest, InboxSummary>("CheckIn", _ => new() { Unread = 1, Total = 1 });
        var pushes = context.Api.Stream<InboxEvent>("WatchInbox");

        var nav = context.Render<NavMenu>();
        nav.WaitForAssertion(() => Assert.Equal("1", nav.Find("[data-testid=nav-inbox-unread]").TextContent.Trim()), Within);
        await pushes.WriteAsync(new InboxEvent { Message = new InboxMessage { Id = "b_2" }, Summary = new InboxSummary { Unread = 2, Total = 2 } }, Xunit.TestContext.Current.CancellationToken);

        nav.WaitForAssertion(() => Assert.Equal("2", nav.Find("[data-testid=nav-inbox-unread]").TextContent.Trim()), Within);
        Assert.Single(context.Api.RequestsTo<WatchInboxRequest>("WatchInbox"));
    }

    [Fact]
    public async Task Reviewers_get_the_review_and_report_queues()
    {
        await using var context = Context("reviewer");
        context.Api.On<CheckInRequest, InboxSummary>("CheckIn", _ => new());

        var nav = context.Render<NavMenu>();

        Assert.NotEmpty(nav.FindAll("[data-testid=nav-review-broadcasts]"));
        Assert.NotEmpty(nav.FindAll("[data-testid=nav-review-reports]"));
        nav.WaitForAssertion(() => Assert.Single(context.Api.RequestsTo<CheckInRequest>("CheckIn")), Within);
        Assert.Empty(nav.FindAll("[data-testid=nav-inbox-unread]"));
    }

    [Fact]
    public async Task On_the_inbox_page_the_nav_leaves_checking_in_to_the_page()
    {
        await using var context = Context("viewer");
        context.Api.On<CheckInRequest, InboxSummary>("CheckIn", _ => new() { Unread = 1 });
        context.Services.GetRequiredService<NavigationManager>().NavigateTo("inbox");

        var nav = context.Render<NavMenu>();

        Assert.NotEmpty(nav.FindAll("[data-testid=nav-inbox]"));
        Assert.Empty(context.Api.RequestsTo<CheckInRequest>("CheckIn"));
    }
}
