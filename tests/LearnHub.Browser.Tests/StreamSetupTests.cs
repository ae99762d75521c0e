using System.Text.Json;
using System.Text.RegularExpressions;
using Deque.AxeCore.Playwright;
using LearnHub.Browser.Tests.Infrastructure;

namespace LearnHub.Browser.Tests;

/// <summary>
/// 推流设置 on a phone, against a server with RTMP ingest: the session's instructor sees the server URL and a masked
/// stream key, shows it, copies it to the real clipboard; the page does not scroll sideways and axe is clean.
/// </summary>
public sealed class StreamSetupTests(StreamSetupTests.IngestServer server) : BrowserTest(server), IClassFixture<StreamSetupTests.IngestServer>
{
    private const string RtmpUrl = "rtmp://127.0.0.1:19350/live";
    private static readonly string[] FailingImpacts = ["serious", "critical"];

    [Fact]
    public async Task The_instructor_sees_the_streaming_setup_on_a_phone_and_it_passes_axe()
    {
        var context = await Server.NewContextAsync(390, 844);
        try
        {
            await context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"], new() { Origin = Server.WebUrl });
            await context.AddCookiesAsync(await Server.SignedInCookiesAsync(LearnHubServer.Instructor));
            var page = await context.NewPageAsync();
            await page.InteractiveAfterAsync(() => page.GotoAsync("/sessions/s_demo_ch19"));

            await Expect(page.GetByTestId("stream-setup")).ToBeVisibleAsync();
            await Expect(page.GetByTestId("stream-rtmp-url")).ToHaveTextAsync(RtmpUrl);
            await Expect(page.GetByTestId("ingest-state-name")).ToHaveTextAsync("等待推流");
            await Expect(page.GetByTestId("stream-key")).ToContainTextAsync("••••");

            await page.GetByTestId("stream-key-toggle").ClickAsync();
            await Expect(page.GetByTestId("stream-key")).ToHaveTextAsync(new Regex(@"^\s*[A-Za-z0-9_-]{32,}\s*$"));
            var key = (await page.GetByTestId("stream-key").InnerTextAsync()).Trim();

            await page.GetByTestId("stream-key-copy").ClickAsync();
            await Expect(page.GetByTestId("stream-setup-announce")).ToHaveTextAsync("已复制");
            Assert.Equal(key, await page.EvaluateAsync<string>("() => navigator.clipboard.readText()"));
            Assert.DoesNotContain(key, page.Url, StringComparison.Ordinal);

            var widths = await page.EvaluateAsync<JsonElement>("() => ({ scroll: document.scrollingElement.scrollWidth, client: document.scrollingElement.clientWidth })");
            Assert.True(widths.GetProperty("scroll").GetInt32() <= widths.GetProperty("client").GetInt32(),
                $"The page does not scroll sideways at 390 px (scrollWidth {widths.GetProperty("scroll")} > {widths.GetProperty("client")}).");

            // The 已复制 snackbar fades in: axe reads its colours once it is fully shown, as a person would.
            await page.EvaluateAsync("() => Promise.all(document.getAnimations().map(a => a.finished.catch(() => null)))");
            var axe = await page.RunAxe();
            var serious = axe.Violations.Where(v => FailingImpacts.Contains(v.Impact))
                .Select(v => $"{v.Impact} {v.Id}: {string.Join(" | ", v.Nodes.Take(3).Select(n => n.Html))}").ToList();
            Assert.True(serious.Count == 0, "axe:\n" + string.Join("\n", serious));

            // Hidden again, the key leaves the page.
            await page.GetByTestId("stream-key-toggle").ClickAsync();
            await Expect(page.GetByTestId("stream-key")).Not.ToContainTextAsync(key);
            Directory.CreateDirectory(ScreenshotsDirectory);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotsDirectory, "StreamSetupTests.phone.png"), FullPage = true });
        }
        finally
        {
            await context.CloseAsync();
        }
    }

    /// <summary>The browser-test server with RTMP ingest configured (no nginx needed: the page only reads the key).</summary>
    public sealed class IngestServer : LearnHubServer
    {
        protected override IEnumerable<string> ExtraArguments() =>
            [$"--Ingest:RtmpUrl={RtmpUrl}", "--Ingest:CallbackSecret=browser-test-secret-0123456789"];
    }
}
