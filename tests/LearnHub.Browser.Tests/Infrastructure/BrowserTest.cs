using System.Text;

namespace LearnHub.Browser.Tests.Infrastructure;

/// <summary>
/// Base of every browser test: its own browser context (cookies) and page on the class's shared server, and a
/// screenshot of the page it checked saved when it ends (pass or fail) under the screenshots folder.
/// </summary>
public abstract class BrowserTest(LearnHubServer server) : IAsyncLifetime
{
    /// <summary>How long an <c>Expect(...)</c> assertion or an action waits; generous for a busy 2-core machine.</summary>
    public static readonly TimeSpan ExpectTimeout = TimeSpan.FromSeconds(15);

    public static readonly TimeSpan NavigationTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Where screenshots go: $LEARNHUB_SCREENSHOTS_DIR (scripts/test.sh points it into the results folder),
    /// else TestResults/screenshots under the test output folder.
    /// </summary>
    public static string ScreenshotsDirectory { get; } =
        Environment.GetEnvironmentVariable("LEARNHUB_SCREENSHOTS_DIR") is { Length: > 0 } configured
            ? configured
            : Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");

    protected LearnHubServer Server => server;

    protected IBrowserContext Context { get; private set; } = null!;

    /// <summary>The page the test checks; its screenshot is saved when the test ends.</summary>
    protected IPage Page { get; private set; } = null!;

    public virtual async ValueTask InitializeAsync()
    {
        Context = await server.NewContextAsync();
        Page = await Context.NewPageAsync();
    }

    public virtual async ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        try
        {
            if (Page is not null && !Page.IsClosed)
            {
                Directory.CreateDirectory(ScreenshotsDirectory);
                var path = Path.Combine(ScreenshotsDirectory, ScreenshotName() + ".png");
                await Page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true, Timeout = 10_000 });
                TestContext.Current.SendDiagnosticMessage($"Screenshot: {path}");
            }
        }
        catch (PlaywrightException e)
        {
            // A page that cannot be captured must not hide the test's own outcome.
            TestContext.Current.SendDiagnosticMessage($"No screenshot: {e.Message}");
        }
        finally
        {
            if (Context is not null)
            {
                await Context.CloseAsync();
            }
        }
    }

    /// <summary>Signs in through the sign-in form and waits for the interactive home page.</summary>
    protected async Task SignInAsync(TestAccount account, IPage? page = null)
    {
        page ??= Page;
        await page.GotoAsync("/account/login");
        await FillSignInAsync(page, account.Handle, account.Password);
        await page.InteractiveAfterAsync(() => page.GetByTestId("login-submit").ClickAsync());
        await Expect(page.GetByTestId("home-roles")).ToBeVisibleAsync();
    }

    /// <summary>Gives this test's browser a signed-in account's cookies (signed in through the form once per class) and opens a page.</summary>
    protected async Task OpenSignedInAsync(TestAccount account, string path = "/")
    {
        await UseSignedInCookiesAsync(account);
        await GotoInteractiveAsync(path);
    }

    /// <summary>Gives this test's browser a signed-in account's cookies without opening a page.</summary>
    protected async Task UseSignedInCookiesAsync(TestAccount account) =>
        await Context.AddCookiesAsync(await server.SignedInCookiesAsync(account));

    protected static async Task FillSignInAsync(IPage page, string handle, string password)
    {
        await page.GetByTestId("login-handle").FillAsync(handle);
        await page.GetByTestId("login-password").FillAsync(password);
    }

    /// <summary>Opens an app page (a full load) and waits until its circuit has rendered, so clicks reach the server.</summary>
    protected Task GotoInteractiveAsync(string path, IPage? page = null)
    {
        var target = page ?? Page;
        return target.InteractiveAfterAsync(() => target.GotoAsync(path));
    }

    protected async Task SignOutAsync(IPage? page = null)
    {
        page ??= Page;
        await page.GetByTestId("sign-out").ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/account/login"));
        await Expect(page.GetByTestId("login-handle")).ToBeVisibleAsync();
    }

    private static string ScreenshotName()
    {
        var test = TestContext.Current.Test;
        var name = test is null
            ? "unknown-" + Guid.NewGuid().ToString("N")[..8]
            : $"{test.TestCase.TestClassSimpleName}.{test.TestDisplayName.Split('.').Last()}";
        var safe = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            var kept = char.IsAsciiLetterOrDigit(c) || c is '.' or '-' ? c : '_';
            // Theory arguments such as (path: "/admin/users") become one readable run: _admin_users.
            if (kept != '_' || safe.Length == 0 || safe[^1] != '_')
            {
                safe.Append(kept);
            }
        }
        return safe.ToString().TrimEnd('_');
    }
}
