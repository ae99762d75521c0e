using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using LearnHub.Api.V1;
using LearnHub.Browser.Tests.Infrastructure;

namespace LearnHub.Browser.Tests;

/// <summary>
/// 群发 end to end in three browsers on the real server: a follower finds a certified creator by name and follows,
/// the creator composes and submits, a reviewer approves it in the queue, the follower's open console raises its
/// badge at once, and 消息中心 lists it.
/// </summary>
public sealed class FanBroadcastTests(LearnHubServer server) : BrowserTest(server), IClassFixture<LearnHubServer>
{
    [Fact]
    public async Task A_broadcast_goes_from_the_composer_through_review_to_a_followers_inbox()
    {
        var creator = await Server.CreateAccountAsync("bc-creator", "instructor");
        var reviewer = await Server.CreateAccountAsync("bc-reviewer", "reviewer");
        var follower = await Server.CreateAccountAsync("bc-fan", "viewer");
        using var channel = GrpcChannel.ForAddress(Server.GrpcUrl);
        var creatorId = (await new IdentityService.IdentityServiceClient(await InvokerAsync(channel, creator)).GetMeAsync(new GetMeRequest())).Id;
        await new AdminService.AdminServiceClient(await InvokerAsync(channel, LearnHubServer.Admin))
            .SetCertifiedAsync(new SetCertifiedRequest { UserId = creatorId, Certified = true });

        // The follower finds the creator by name in 我的关注 and follows; with the console open they are online.
        var followerPage = await PageForAsync(follower, "/following");
        await followerPage.Field("follow-search").FillAsync(creator.DisplayName);
        await followerPage.GetByTestId($"follow-search-{creator.Handle}").ClickAsync();
        await Expect(followerPage.Field("follow-search")).ToHaveValueAsync($"{creator.DisplayName} (@{creator.Handle})");
        await followerPage.GetByTestId("follow-submit").ClickAsync();
        await Expect(followerPage.GetByTestId($"following-row-{creatorId}")).ToBeVisibleAsync();
        var text = $"经济基础第19章考点梳理今晚19:30开讲 {Guid.NewGuid().ToString("N")[..6]} 🎉";

        // The creator composes: the counter counts as a person does, the agreement is required.
        await OpenSignedInAsync(creator, "/broadcasts/new");
        await Expect(Page.GetByTestId("composer-quota")).ToContainTextAsync("本周还可群发 2 次");
        await Page.Field("composer-text").FillAsync(text);
        await Expect(Page.GetByTestId("composer-counter")).ToHaveTextAsync($"{new System.Globalization.StringInfo(text).LengthInTextElements}/300");
        await Page.GetByTestId("composer-agree").ClickAsync();
        await Page.GetByTestId("composer-submit").ClickAsync();
        await Expect(Page.GetByTestId("submit-success-text")).ToContainTextAsync("提交成功，消息将在审核通过后发送");
        await Page.GetByTestId("submit-success-ok").ClickAsync();
        var record = Page.Locator("[data-testid^='record-row-']", new PageLocatorOptions { HasText = text });
        await Expect(record).ToContainTextAsync("审核中");

        // The follower still has the console open (and so is online) on 消息中心 while it is reviewed.
        await followerPage.GetByTestId("nav-inbox").ClickAsync();
        await Expect(followerPage.GetByTestId("inbox-empty")).ToBeVisibleAsync();
        // Their mute and block settings for the one creator they follow loaded (ListFollowing within the API's page size).
        await Expect(followerPage.GetByTestId("inbox-preferences")).ToHaveAttributeAsync("data-loaded", "true");
        await Expect(followerPage.GetByTestId("inbox-preferences")).ToHaveAttributeAsync("data-count", "1");
        await Expect(followerPage.GetByTestId("inbox-preferences-error")).ToHaveCountAsync(0);
        await Expect(followerPage.GetByTestId("nav-inbox")).ToHaveAttributeAsync("data-live", "true");
        await Expect(followerPage.GetByTestId("nav-inbox-unread")).ToHaveCountAsync(0);

        // A reviewer approves it from the queue.
        var reviewPage = await PageForAsync(reviewer, "/review/broadcasts");
        var row = reviewPage.Locator("[data-testid^='review-row-']", new PageLocatorOptions { HasText = text });
        await Expect(row).ToBeVisibleAsync();
        var id = (await row.GetAttributeAsync("data-testid"))!["review-row-".Length..];
        await reviewPage.GetByTestId($"review-approve-{id}").ClickAsync();
        await reviewPage.GetByTestId("confirm-yes").ClickAsync();
        await Expect(row).ToHaveCountAsync(0);

        // The open console's badge goes up and the open 消息中心 lists it on top, unread, without a reload.
        await Expect(followerPage.GetByTestId("nav-inbox-unread")).ToHaveTextAsync("1");
        var pushed = followerPage.Locator("[data-testid^='inbox-row-']", new PageLocatorOptions { HasText = text });
        await Expect(pushed).ToHaveAttributeAsync("data-read", "false");
        await Expect(followerPage.GetByTestId("inbox-unread")).ToContainTextAsync("1");

        // The follower signs in within 72 hours and finds it in 消息中心, unread.
        var inboxPage = await PageForAsync(follower, "/inbox");
        var message = inboxPage.Locator("[data-testid^='inbox-row-']", new PageLocatorOptions { HasText = text });
        await Expect(message).ToBeVisibleAsync();
        await Expect(inboxPage.GetByTestId("inbox-unread")).ToContainTextAsync("1");
        await inboxPage.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotsDirectory, "FanBroadcastTests.follower-inbox.png"), FullPage = true });

        // Back with the creator: the record shows it approved and received by one follower.
        await GotoInteractiveAsync("/broadcasts");
        await Expect(Page.GetByTestId($"record-status-{id}")).ToContainTextAsync("已通过");
        await Expect(Page.GetByTestId($"record-row-{id}")).ToContainTextAsync("1");
    }

    /// <summary>A second signed-in browser context for another account, on an interactive page.</summary>
    private async Task<IPage> PageForAsync(TestAccount account, string path)
    {
        var context = await Server.NewContextAsync();
        await context.AddCookiesAsync(await Server.SignedInCookiesAsync(account));
        var page = await context.NewPageAsync();
        await GotoInteractiveAsync(path, page);
        return page;
    }

    private async Task<CallInvoker> InvokerAsync(GrpcChannel channel, TestAccount account)
    {
        var token = (await Server.RunCliAsync(null, "token", "--user", account.Handle)).Split('\n')[^1].Trim();
        return channel.Intercept(metadata =>
        {
            metadata.Add("authorization", $"Bearer {token}");
            return metadata;
        });
    }
}
