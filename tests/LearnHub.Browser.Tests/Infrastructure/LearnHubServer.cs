using LearnHub.Testing;
using System.Collections.Concurrent;
using System.Net;
using Cookie = Microsoft.Playwright.Cookie;

namespace LearnHub.Browser.Tests.Infrastructure;

/// <summary>
/// One real LearnHub server and one headless Chromium per test class: `dotnet LearnHub.Server.dll` (the build this
/// project references; nothing is built here) on two free loopback ports with its own temporary data folder and the
/// demo data, accounts given passwords through the operator CLI, Debian's Chromium driven by Playwright.
/// Disposing closes the browser, kills the server and deletes the folder.
/// </summary>
public class LearnHubServer : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan CliDeadline = TimeSpan.FromSeconds(60);

    private static readonly string[] ChromiumArgs =
        ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

    private readonly ConcurrentDictionary<string, Lazy<Task<IReadOnlyList<Cookie>>>> signedInCookies = new();
    private readonly Lazy<Task<TestAccount>> reviewer;
    private readonly Lazy<Task<TestAccount>> certifiedCreator;

    public LearnHubServer()
    {
        reviewer = new(() => CreateAccountAsync("reviewer", "reviewer", "viewer"));
        certifiedCreator = new(CreateCertifiedCreatorAsync);
    }
    private ChildProcess? server;
    private IPlaywright? playwright;

    /// <summary>Created by the first-run step (<c>user add --roles admin</c>).</summary>
    public static TestAccount Admin { get; } = new("admin", "管理员", "admin-pass-1234", "admin");

    /// <summary>The demo instructor (万红coco), who owns the demo course 经济基础 and its sessions.</summary>
    public static TestAccount Instructor { get; } = new("wanhongcoco", "万红coco", "coco-pass-1234", "instructor", "viewer");

    /// <summary>The demo viewer (学员小王).</summary>
    public static TestAccount Viewer { get; } = new("xiaowang", "学员小王", "wang-pass-1234", "viewer");

    /// <summary>The build of the server, copied next to this assembly by the project reference (with its appsettings.json).</summary>
    public static string ServerDll { get; } = Path.Combine(AppContext.BaseDirectory, "LearnHub.Server.dll");

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "learnhub-browser-" + Guid.NewGuid().ToString("N"));

    /// <summary>The admin console's HTTP/1 endpoint, e.g. http://127.0.0.1:41234 (no trailing slash).</summary>
    public string WebUrl { get; private set; } = "";

    /// <summary>The gRPC (HTTP/2) endpoint.</summary>
    public string GrpcUrl { get; private set; } = "";

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>What the server printed so far (for failure messages).</summary>
    public string Output => server?.Output ?? "";

    public virtual async ValueTask InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException(
                $"The browser tests drive Debian's Chromium at {ChromiumPath}, which is missing. Install it with `apt-get update && apt-get install -y chromium` " +
                "(scripts/test.sh and .ci/run do this when run as root). Do not run `playwright install`.");
        }
        if (!File.Exists(ServerDll))
        {
            throw new InvalidOperationException($"The server build is missing at {ServerDll}; build the test project (it references src/LearnHub.Server).");
        }
        Directory.CreateDirectory(DataDirectory);
        Assertions.SetDefaultExpectTimeout((float)BrowserTest.ExpectTimeout.TotalMilliseconds);

        // Server and browser start side by side: both take seconds on a busy machine.
        var browserLaunch = LaunchBrowserAsync();
        try
        {
            await StartServerAsync();
            await CreateAccountsAsync();
        }
        finally
        {
            // Keep the browser even when the server failed, so that DisposeAsync closes it.
            Browser = await browserLaunch;
        }
    }

    /// <summary>A fresh browser context (its own cookies) whose relative URLs go to this server.</summary>
    public async Task<IBrowserContext> NewContextAsync(int width = 1366, int height = 900)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = WebUrl,
            Locale = "zh-CN",
            TimezoneId = "Asia/Shanghai",
            ViewportSize = new ViewportSize { Width = width, Height = height },
        });
        context.SetDefaultTimeout((float)BrowserTest.ExpectTimeout.TotalMilliseconds);
        context.SetDefaultNavigationTimeout((float)BrowserTest.NavigationTimeout.TotalMilliseconds);
        return context;
    }

    /// <summary>
    /// The cookies of a signed-in browser for this account: signed in once through the sign-in form per class, then
    /// given to each test's fresh context (tests that are about signing in use the form themselves).
    /// </summary>
    public Task<IReadOnlyList<Cookie>> SignedInCookiesAsync(TestAccount account)
    {
        ArgumentNullException.ThrowIfNull(account);
        return signedInCookies.GetOrAdd(account.Handle, _ => new Lazy<Task<IReadOnlyList<Cookie>>>(() => SignInThroughFormAsync(account))).Value;
    }

    /// <summary>A reviewer (the demo data has none), created on first use and shared by the class's tests.</summary>
    public Task<TestAccount> ReviewerAsync() => reviewer.Value;

    /// <summary>An instructor whom the admin certified (认证用户, who may broadcast), created on first use and shared.</summary>
    public Task<TestAccount> CertifiedCreatorAsync() => certifiedCreator.Value;

    /// <summary>A bearer token for an account, from the operator CLI (for tests that set things up through the API).</summary>
    public async Task<string> TokenAsync(TestAccount account)
    {
        ArgumentNullException.ThrowIfNull(account);
        return (await RunCliAsync(null, "token", "--user", account.Handle)).Split('\n')[^1].Trim();
    }

    /// <summary>Creates a user with a password through the operator CLI (for tests that change what the user owns, e.g. their language).</summary>
    public async Task<TestAccount> CreateAccountAsync(string handlePrefix, params string[] roles)
    {
        var handle = $"{handlePrefix}-{Guid.NewGuid().ToString("N")[..8]}";
        var account = new TestAccount(handle, "测试" + handle, "test-pass-1234", roles);
        await RunCliAsync(null, "user", "add", "--handle", handle, "--name", account.DisplayName, "--roles", string.Join(',', roles));
        await SetPasswordAsync(account);
        return account;
    }

    /// <summary>Runs an operator command against this server's data folder; returns what it printed.</summary>
    public async Task<string> RunCliAsync(string? standardInput, params string[] arguments)
    {
        var (exitCode, output) = await ChildProcess.RunAsync(
            "dotnet", [ServerDll, .. arguments, "--data-dir", DataDirectory], Path.GetDirectoryName(ServerDll)!, CliDeadline, standardInput: standardInput);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"`LearnHub.Server {string.Join(' ', arguments)}` exited with {exitCode}:\n{output}");
        }
        return output.Trim();
    }

    /// <summary>Stops the server gracefully (SIGTERM) and returns how long it took to exit; past <paramref name="deadline"/>, a TimeoutException.</summary>
    public async Task<TimeSpan> TerminateAsync(TimeSpan deadline)
    {
        var child = server ?? throw new InvalidOperationException("The server is not running.");
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        child.Terminate();
        await child.WaitForExitAsync(deadline);
        return System.Diagnostics.Stopwatch.GetElapsedTime(started);
    }

    public virtual async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }
        playwright?.Dispose();
        if (server is not null)
        {
            await server.DisposeAsync();
            SaveServerLog();
        }
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Left in the temp folder; nothing holds it once the process is gone.
        }
    }

    /// <summary>The server's output next to the screenshots, to read when a page showed an error.</summary>
    private void SaveServerLog()
    {
        var folder = Path.Combine(BrowserTest.ScreenshotsDirectory, "server-logs");
        Directory.CreateDirectory(folder);
        var name = TestContext.Current.TestClass?.TestClassSimpleName ?? Path.GetFileName(DataDirectory);
        File.WriteAllText(Path.Combine(folder, name + ".log"), Output);
    }

    private async Task<IReadOnlyList<Cookie>> SignInThroughFormAsync(TestAccount account)
    {
        var context = await NewContextAsync();
        try
        {
            var page = await context.NewPageAsync();
            await page.GotoAsync("/account/login");
            await page.GetByTestId("login-handle").FillAsync(account.Handle);
            await page.GetByTestId("login-password").FillAsync(account.Password);
            await page.GetByTestId("login-submit").ClickAsync();
            await Assertions.Expect(page.GetByTestId("home-roles")).ToBeVisibleAsync();
            return (await context.CookiesAsync()).Select(c => new Cookie
            {
                Name = c.Name,
                Value = c.Value,
                Domain = c.Domain,
                Path = c.Path,
                Expires = c.Expires,
                HttpOnly = c.HttpOnly,
                Secure = c.Secure,
                SameSite = c.SameSite,
            }).ToList();
        }
        finally
        {
            await context.CloseAsync();
        }
    }

    private async Task<IBrowser> LaunchBrowserAsync()
    {
        playwright = await Playwright.CreateAsync();
        return await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ChromiumArgs,
            Timeout = (float)StartDeadline.TotalMilliseconds,
        });
    }

    /// <summary>More settings for the server's command line (e.g. <c>--Web:CorsOrigins:0=…</c>), for fixtures that need them.</summary>
    protected virtual IEnumerable<string> ExtraArguments() => [];

    private async Task StartServerAsync()
    {
        var (grpcPort, webPort) = LoopbackPorts.FreePair();
        GrpcUrl = $"http://127.0.0.1:{grpcPort}";
        WebUrl = $"http://127.0.0.1:{webPort}";
        var child = server = ChildProcess.Start("dotnet",
        [
            ServerDll,
            $"--Storage:DataDirectory={DataDirectory}",
            "--Storage:SeedDemoData=true",
            $"--Kestrel:Endpoints:Grpc:Url={GrpcUrl}",
            $"--Kestrel:Endpoints:Web:Url={WebUrl}",
            .. ExtraArguments(),
        ], DataDirectory);

        // Ready = the sign-in page answers 200: Kestrel listens only after the store is migrated and the demo seeded.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        using var deadline = new CancellationTokenSource(StartDeadline);
        while (true)
        {
            if (child.HasExited)
            {
                throw new InvalidOperationException($"The server exited with {child.ExitCode} while starting:\n{child.Output}");
            }
            try
            {
                using var response = await http.GetAsync(new Uri($"{WebUrl}/account/login"), deadline.Token);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException) when (!deadline.IsCancellationRequested)
            {
                // One slow answer; try again.
            }
            catch (OperationCanceledException)
            {
                break;
            }
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), deadline.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        throw new TimeoutException($"The server at {WebUrl} did not serve its sign-in page within {StartDeadline}. Its output:\n{child.Output}");
    }

    private async Task<TestAccount> CreateCertifiedCreatorAsync()
    {
        var creator = await CreateAccountAsync("creator", "instructor", "viewer");
        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(GrpcUrl);
        var creatorId = (await new LearnHub.Api.V1.IdentityService.IdentityServiceClient(channel)
            .GetMeAsync(new LearnHub.Api.V1.GetMeRequest(), Bearer(await TokenAsync(creator)))).Id;
        await new LearnHub.Api.V1.AdminService.AdminServiceClient(channel)
            .SetCertifiedAsync(new LearnHub.Api.V1.SetCertifiedRequest { UserId = creatorId, Certified = true }, Bearer(await TokenAsync(Admin)));
        return creator;
    }

    private static Grpc.Core.Metadata Bearer(string token) => new() { { "authorization", $"Bearer {token}" } };

    /// <summary>The documented first-run step (an admin and passwords through the CLI), against the running server's data folder.</summary>
    private async Task CreateAccountsAsync()
    {
        await RunCliAsync(null, "user", "add", "--handle", Admin.Handle, "--name", Admin.DisplayName, "--roles", string.Join(',', Admin.Roles));
        await Task.WhenAll(SetPasswordAsync(Admin), SetPasswordAsync(Instructor), SetPasswordAsync(Viewer));
    }

    private Task<string> SetPasswordAsync(TestAccount account) =>
        RunCliAsync(account.Password + "\n", "user", "set-password", "--handle", account.Handle);
}
