using System.Diagnostics;
using System.Net;
using System.Text;
using Deque.AxeCore.Playwright;
using Grpc.Core;
using Grpc.Net.Client;
using LearnHub.Api.V1;
using LearnHub.Browser.Tests.Infrastructure;
using LearnHub.Testing;

namespace LearnHub.Browser.Tests;

/// <summary>
/// The embeddable 直播推荐 panel as another site uses it: Chromium opens the server's example page served by a separate
/// static host (another origin: same loopback address, another port, so the panel's calls are cross-origin and need the
/// server's CORS grant for that origin), without any cookie, and the panel shows the demo data as the seed page does and
/// follows a live session's count over gRPC-Web.
/// </summary>
public sealed class EmbedPanelTests(EmbedPanelTests.EmbedHost host) : BrowserTest(host), IClassFixture<EmbedPanelTests.EmbedHost>
{
    private const string LiveSessionId = "s_demo_test2";
    private static readonly TimeSpan CountDeadline = TimeSpan.FromSeconds(2);
    private static readonly string[] FailingImpacts = ["serious", "critical"];

    private readonly List<string> pageErrors = [];

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        Page.Console += (_, message) =>
        {
            if (message.Type is "error" or "warning")
            {
                pageErrors.Add($"console {message.Type}: {message.Text}");
            }
        };
        Page.PageError += (_, error) => pageErrors.Add($"page error: {error}");
        Page.RequestFailed += (_, request) => pageErrors.Add($"request failed: {request.Url} {request.Failure}");
    }

    [Fact]
    public async Task From_another_origin_anonymously_the_panel_shows_the_seed_order_and_follows_the_live_count()
    {
        Assert.Empty(await Context.CookiesAsync());
        var expected = await ServerRecommendationsAsync();

        await Page.GotoAsync(host.PageUrl);

        Assert.NotEqual(new Uri(host.PageUrl).Port, new Uri(host.WebUrl).Port);
        var panel = Page.Locator("learnhub-recommendations");
        await Expect(panel.GetByRole(AriaRole.Heading, new() { Name = "直播推荐" })).ToBeVisibleAsync();
        await Expect(panel.GetByRole(AriaRole.Link, new() { Name = "更多直播推荐" })).ToHaveTextAsync("更多 >");
        var rows = panel.GetByRole(AriaRole.Listitem);
        // The seed's panel: the live session first, then 第19章 and 第20章, soonest first.
        await Expect(rows).ToHaveCountAsync(3);
        await Expect(rows.Locator(".title")).ToHaveTextAsync(["经济基础阶段测试2试题讲解", "经济基础第19章考点梳理", "经济基础第20章考点梳理"]);
        await Expect(rows.Locator(".instructor")).ToHaveTextAsync(["万红coco", "万红coco", "万红coco"]);
        var badges = rows.Locator(".badge");
        await Expect(badges.Nth(0)).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^直播中 \d+$"));
        // Upcoming badges as the server words them for the page's zone: "05-04 19:30 · 54".
        await Expect(badges.Nth(1)).ToHaveTextAsync(expected[1].Badge);
        await Expect(badges.Nth(2)).ToHaveTextAsync(expected[2].Badge);
        Assert.Matches(@"^\d\d-\d\d \d\d:\d\d · 54$", expected[1].Badge);
        Assert.Matches(@"^\d\d-\d\d \d\d:\d\d · 50$", expected[2].Badge);

        // A signed-in viewer starts watching the live session: the page's count follows within 2 s.
        var before = int.Parse((await badges.Nth(0).TextContentAsync())!.Replace("直播中 ", "", StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture);
        using var channel = GrpcChannel.ForAddress(host.GrpcUrl);
        var token = await host.TokenAsync(LearnHubServer.Viewer);
        var presence = new PresenceService.PresenceServiceClient(channel);
        using var watching = new CancellationTokenSource();
        using var watch = presence.WatchSession(new WatchSessionRequest { SessionId = LiveSessionId },
            new Metadata { { "authorization", $"Bearer {token}" } }, cancellationToken: watching.Token);
        Assert.True(await watch.ResponseStream.MoveNext(TestContext.Current.CancellationToken));
        var joined = Stopwatch.StartNew();
        await Expect(badges.Nth(0)).ToHaveTextAsync($"直播中 {before + 1}", new() { Timeout = (float)CountDeadline.TotalMilliseconds });
        TestContext.Current.SendDiagnosticMessage($"Live count on the page after {joined.ElapsedMilliseconds} ms");

        // The viewer leaves: the count goes back.
        await watching.CancelAsync();
        await Expect(badges.Nth(0)).ToHaveTextAsync($"直播中 {before}");

        Assert.True(pageErrors.Count == 0, "No console errors, failed requests or CORS refusals:\n" + string.Join('\n', pageErrors));
    }

    [Fact]
    public async Task The_example_page_works_under_the_servers_CSP_at_390_px_without_sideways_scroll_and_passes_axe()
    {
        await Context.CloseAsync();
        var context = await host.NewContextAsync(width: 390, height: 844);
        try
        {
            var page = await context.NewPageAsync();
            var problems = new List<string>();
            page.Console += (_, message) =>
            {
                if (message.Type is "error" or "warning")
                {
                    problems.Add($"console {message.Type}: {message.Text}");
                }
            };
            page.PageError += (_, error) => problems.Add($"page error: {error}");

            var response = await page.GotoAsync("/embed/example.html");
            Assert.NotNull(response);
            Assert.Contains("script-src 'self'", await response.HeaderValueAsync("content-security-policy") ?? "", StringComparison.Ordinal);
            var rows = page.Locator("learnhub-recommendations").GetByRole(AriaRole.Listitem);
            await Expect(rows).ToHaveCountAsync(3);
            await Expect(rows.Nth(0).Locator(".badge")).ToContainTextAsync("直播中");

            var widths = await page.EvaluateAsync<int[]>("() => [document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]");
            Assert.True(widths[0] <= widths[1], $"The page does not scroll sideways at 390 px (scrollWidth {widths[0]} > {widths[1]}).");
            var panelBox = await page.Locator("learnhub-recommendations").BoundingBoxAsync();
            Assert.NotNull(panelBox);
            Assert.True(panelBox.X >= 0 && panelBox.X + panelBox.Width <= 390, $"The panel fits the phone's width ({panelBox.X}+{panelBox.Width}).");

            var axe = await page.RunAxe();
            var failing = axe.Violations.Where(v => FailingImpacts.Contains(v.Impact)).Select(v => $"{v.Id} ({v.Impact}): {v.Help} at {string.Join(" | ", v.Nodes.Take(3).Select(n => n.Target))}").ToList();
            Assert.True(failing.Count == 0, "axe: no serious or critical violations:\n" + string.Join('\n', failing));
            Assert.True(problems.Count == 0, "No console errors (CSP violations among them):\n" + string.Join('\n', problems));
            Directory.CreateDirectory(ScreenshotsDirectory);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotsDirectory, "EmbedPanelTests-390.png"), FullPage = true });
        }
        finally
        {
            await context.CloseAsync();
        }
    }

    [Fact]
    public async Task A_failed_load_shows_a_short_message_and_the_panel_retries_by_itself()
    {
        // The API cannot be reached at first (every call aborted by the browser), then comes back.
        await Page.RouteAsync("**/learnhub.v1.SessionService/**", route => route.AbortAsync("connectionrefused"));
        await Page.GotoAsync(host.PageUrl);
        var panel = Page.Locator("learnhub-recommendations");
        await Expect(panel.GetByRole(AriaRole.Status)).ToHaveTextAsync("直播推荐暂时无法加载，正在重试…");
        await Expect(panel.GetByRole(AriaRole.Listitem)).ToHaveCountAsync(0);

        await Page.UnrouteAllAsync();
        // The first retry comes 1–2 s after the failure; no reload of the page.
        await Expect(panel.GetByRole(AriaRole.Listitem)).ToHaveCountAsync(3);
        await Expect(panel.GetByRole(AriaRole.Status)).ToBeHiddenAsync();
    }

    [Fact]
    public async Task The_script_is_served_for_other_sites_with_its_type_and_revalidation()
    {
        using var http = new HttpClient();
        using var script = await http.GetAsync(new Uri($"{host.WebUrl}/embed/learnhub-recommendations.js"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        Assert.Equal("cross-origin", script.Headers.GetValues("Cross-Origin-Resource-Policy").Single());
        Assert.True(script.Headers.CacheControl?.NoCache, "The unhashed name is revalidated on every load.");
        Assert.Contains("sourceMappingURL=learnhub-recommendations.js.map", await script.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        using var map = await http.GetAsync(new Uri($"{host.WebUrl}/embed/learnhub-recommendations.js.map"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, map.StatusCode);
        using var example = await http.GetAsync(new Uri($"{host.WebUrl}/embed/example.html"), TestContext.Current.CancellationToken);
        Assert.Equal("text/html", example.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("<script>", await example.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    /// <summary>What the server's own panel says for a viewer in the page's zone (Asia/Shanghai).</summary>
    private async Task<IReadOnlyList<Recommendation>> ServerRecommendationsAsync()
    {
        using var channel = GrpcChannel.ForAddress(host.GrpcUrl);
        var sessions = new SessionService.SessionServiceClient(channel);
        var answer = await sessions.ListRecommendationsAsync(new ListRecommendationsRequest { TimeZone = "Asia/Shanghai", PageSize = 3 },
            deadline: DateTime.UtcNow.AddSeconds(30));
        return answer.Items;
    }

    /// <summary>
    /// The class's server, which grants CORS to a second origin, and that origin: a tiny static host on another loopback
    /// port serving the server's own example page with a &lt;base&gt; pointing at the server's /embed/, so the page's
    /// document is of the other origin while its script (and so its default API address) comes from the server.
    /// A separate port on 127.0.0.1 rather than localhost vs 127.0.0.1: it needs no name resolution (localhost may be
    /// ::1, where the server does not listen) and is a different origin by the same rule as any other site.
    /// </summary>
    public sealed class EmbedHost : LearnHubServer
    {
        private readonly HttpListener listener = new();
        private readonly CancellationTokenSource stopping = new();
        private readonly int port = LoopbackPorts.FreePair().Web;
        private Task serving = Task.CompletedTask;
        private byte[] page = [];

        public string PageUrl => $"http://127.0.0.1:{port}/article.html";

        protected override IEnumerable<string> ExtraArguments() => [$"--Web:CorsOrigins:0=http://127.0.0.1:{port}"];

        public override async ValueTask InitializeAsync()
        {
            await base.InitializeAsync();
            using var http = new HttpClient();
            var html = await http.GetStringAsync(new Uri($"{WebUrl}/embed/example.html"));
            page = Encoding.UTF8.GetBytes(html.Replace("<head>", $"<head>\n  <base href=\"{WebUrl}/embed/\">", StringComparison.Ordinal));
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            listener.Start();
            serving = ServeAsync();
        }

        public override async ValueTask DisposeAsync()
        {
            await stopping.CancelAsync();
            if (listener.IsListening)
            {
                listener.Stop();
            }
            try
            {
                await serving;
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or OperationCanceledException)
            {
                // Stopped while waiting for a request.
            }
            listener.Close();
            stopping.Dispose();
            await base.DisposeAsync();
        }

        private async Task ServeAsync()
        {
            while (!stopping.IsCancellationRequested)
            {
                var context = await listener.GetContextAsync();
                context.Response.ContentType = "text/html; charset=utf-8";
                context.Response.ContentLength64 = page.Length;
                await context.Response.OutputStream.WriteAsync(page, stopping.Token);
                context.Response.Close();
            }
        }
    }
}
