namespace LearnHub.Browser.Tests.Infrastructure;

/// <summary>
/// Blazor Server sends a page's HTML first and makes it interactive once its circuit (a WebSocket to /_blazor) has
/// rendered; a click before that is lost. The router asks the browser to intercept navigation only after the browser
/// has applied its first render (OnAfterRender follows the client's acknowledgement), so that call marks the moment.
/// </summary>
public static class BlazorPage
{
    private const string RouterRendered = "enableNavigationInterception";
    private static readonly byte[] RouterRenderedUtf8 = "enableNavigationInterception"u8.ToArray();

    /// <summary>Runs an action that loads a page (navigation, a form post that redirects) and waits for that page's circuit to render.</summary>
    public static async Task InteractiveAfterAsync(this IPage page, Func<Task> loadPage)
    {
        ArgumentNullException.ThrowIfNull(page);
        ArgumentNullException.ThrowIfNull(loadPage);
        var rendered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnFrame(object? sender, IWebSocketFrame frame)
        {
            if (IsRouterRendered(frame))
            {
                rendered.TrySetResult();
            }
        }
        // Subscribed inside the socket event so that no frame can arrive before the handler.
        void OnSocket(object? sender, IWebSocket socket)
        {
            if (socket.Url.Contains("/_blazor", StringComparison.Ordinal))
            {
                socket.FrameReceived += OnFrame;
            }
        }
        page.WebSocket += OnSocket;
        try
        {
            await loadPage();
            try
            {
                await rendered.Task.WaitAsync(BrowserTest.NavigationTimeout);
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"The page {page.Url} did not become interactive (its Blazor circuit did not render) within {BrowserTest.NavigationTimeout}.");
            }
        }
        finally
        {
            page.WebSocket -= OnSocket;
        }
    }

    private static bool IsRouterRendered(IWebSocketFrame frame) =>
        frame.Binary is { } binary
            ? binary.AsSpan().IndexOf(RouterRenderedUtf8) >= 0
            : frame.Text?.Contains(RouterRendered, StringComparison.Ordinal) == true;
}
