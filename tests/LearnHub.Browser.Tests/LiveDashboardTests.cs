using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using LearnHub.Api.V1;
using LearnHub.Browser.Tests.Infrastructure;

namespace LearnHub.Browser.Tests;

/// <summary>
/// The live dashboard against the real server: gRPC viewers start watching and the count on the page rises, pushed
/// over SignalR (the page never polls).
/// </summary>
public sealed class LiveDashboardTests(LearnHubServer server) : BrowserTest(server), IClassFixture<LearnHubServer>
{
    [Fact]
    public async Task The_live_page_and_the_session_page_show_the_count_rising_as_grpc_viewers_start_watching()
    {
        // An instructor of their own, so the session clashes with nothing else on the shared server.
        var teacher = await Server.CreateAccountAsync("live-teacher", "instructor");
        using var channel = GrpcChannel.ForAddress(Server.GrpcUrl);
        var sessions = new SessionService.SessionServiceClient(await InvokerAsync(channel, teacher));
        var created = await sessions.CreateSessionAsync(new CreateSessionRequest
        {
            Title = "经济基础阶段测试直播", PlannedStart = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddMinutes(10)), DurationMinutes = 60,
        });
        await sessions.GoLiveAsync(new GoLiveRequest { SessionId = created.Id });

        await OpenSignedInAsync(teacher, "/live");
        var count = Page.GetByTestId($"live-count-{created.Id}");
        await Expect(Page.GetByTestId($"live-row-{created.Id}")).ToContainTextAsync("经济基础阶段测试直播");
        await Expect(count).ToHaveTextAsync("0");

        var watchers = new List<(AsyncServerStreamingCall<WatchSessionUpdate> Call, CancellationTokenSource Cancel)>();
        try
        {
            for (var i = 1; i <= 3; i++)
            {
                var viewer = await Server.CreateAccountAsync("live-viewer", "viewer");
                var cancel = new CancellationTokenSource();
                var call = new PresenceService.PresenceServiceClient(await InvokerAsync(channel, viewer))
                    .WatchSession(new WatchSessionRequest { SessionId = created.Id }, cancellationToken: cancel.Token);
                watchers.Add((call, cancel));
                Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
                await Expect(count).ToHaveTextAsync(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            Directory.CreateDirectory(ScreenshotsDirectory);
            await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotsDirectory, "LiveDashboardTests.live-page-three-viewers.png"), FullPage = true });

            // Each row carries its trend over the last minutes, also in words.
            await Expect(Page.GetByTestId($"live-trend-{created.Id}").Locator("svg")).ToHaveAttributeAsync("aria-label", "近 10 分钟：0 → 3 人");

            // One viewer leaves: the count falls without any reload.
            await watchers[0].Cancel.CancelAsync();
            await Expect(count).ToHaveTextAsync("2");

            await GotoInteractiveAsync($"/sessions/{created.Id}");
            await Expect(Page.GetByTestId("session-viewers")).ToHaveTextAsync("2");
            await Expect(Page.GetByTestId("session-peak")).ToContainTextAsync("3");
            // While still live, the figures count the people watching right now, not only those who left.
            await Expect(Page.GetByTestId("session-unique-viewers")).ToHaveTextAsync("3");
            await Expect(Page.GetByTestId("session-average-watch")).Not.ToHaveAttributeAsync("data-seconds", "0", new() { Timeout = 30_000 });
            await Expect(Page.GetByTestId("session-average-watch")).Not.ToHaveTextAsync("0 秒");
        }
        finally
        {
            foreach (var (call, cancel) in watchers)
            {
                await cancel.CancelAsync();
                call.Dispose();
                cancel.Dispose();
            }
        }
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
