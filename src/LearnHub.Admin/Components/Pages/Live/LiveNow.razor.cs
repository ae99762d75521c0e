using LearnHub.Admin.Components.Live;
using LearnHub.Admin.Services;
using LearnHub.Admin.Services.Live;
using LearnHub.Api.Live;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Localization;

namespace LearnHub.Admin.Components.Pages.Live;

/// <summary>
/// The live dashboard: every live session the user may see with its viewer count, all from hub pushes (the list
/// once on connect, then ViewerCountChanged / SessionStatusChanged). Nothing is polled.
/// </summary>
public sealed partial class LiveNow : ComponentBase, IAsyncDisposable
{
    private readonly LiveSessionBoard board = new();
    private LiveConnectionState connectionState;
    private bool loading;
    private bool loaded;
    private string? error;
    private bool disposed;

    [Inject]
    private ILiveFeed Feed { get; set; } = null!;

    [Inject]
    private UserClock Clock { get; set; } = null!;

    [Inject]
    private IStringLocalizer<LiveStrings> S { get; set; } = null!;

    protected override async Task OnInitializedAsync()
    {
        await Clock.ZoneAsync();
        connectionState = Feed.State;
        Feed.ViewerCountChanged += OnViewerCountChanged;
        Feed.SessionStatusChanged += OnSessionStatusChanged;
        Feed.StateChanged += OnStateChanged;
        Feed.Resynchronized += OnResynchronized;
    }

    // The hub connection starts after the first interactive render, never during prerendering.
    protected override Task OnAfterRenderAsync(bool firstRender) => firstRender ? ConnectAsync() : Task.CompletedTask;

    private async Task ConnectAsync()
    {
        loading = true;
        error = null;
        StateHasChanged();
        try
        {
            board.Reset(await Feed.WatchLiveSessionsAsync(), Clock.Now);
            loaded = true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            error = LiveText.Problem(S, e);
        }
        finally
        {
            loading = false;
            connectionState = Feed.State;
        }
        StateHasChanged();
    }

    /// <summary>"近 10 分钟：3 → 6 人" — the trend in words: the count at the window's start and now.</summary>
    private string TrendText(LiveSessionView session)
    {
        var trend = board.Trend(session.SessionId);
        var from = trend.Count > 0 ? trend[0].Viewers : session.Viewers;
        return string.Format(System.Globalization.CultureInfo.CurrentCulture, S["TrendText"], (int)LiveSessionBoard.TrendWindow.TotalMinutes, from, session.Viewers);
    }

    private Task OnViewerCountChanged(ViewerCountChange change) =>
        Update(() => board.Apply(change));

    private Task OnSessionStatusChanged(LiveSessionView session) =>
        Update(() => board.Apply(session));

    private Task OnStateChanged(LiveConnectionState state) =>
        Update(() =>
        {
            connectionState = state;
            if (state == LiveConnectionState.Disconnected && loaded)
            {
                // Automatic reconnection gave up or the server closed the connection: the counts on screen are frozen.
                error = S["ConnectionLost"];
            }
            return true;
        });

    private Task OnResynchronized(LiveFeedSnapshot snapshot) =>
        Update(() =>
        {
            if (snapshot.LiveSessions is { } live)
            {
                board.Reset(live, Clock.Now);
                loaded = true;
                error = null;
            }
            connectionState = Feed.State;
            return true;
        });

    /// <summary>Applies a push on the renderer's thread (pushes arrive on the connection's) and re-renders if it changed anything.</summary>
    private Task Update(Func<bool> apply) =>
        disposed ? Task.CompletedTask : InvokeAsync(() =>
        {
            if (!disposed && apply())
            {
                StateHasChanged();
            }
        });

    public ValueTask DisposeAsync()
    {
        disposed = true;
        Feed.ViewerCountChanged -= OnViewerCountChanged;
        Feed.SessionStatusChanged -= OnSessionStatusChanged;
        Feed.StateChanged -= OnStateChanged;
        Feed.Resynchronized -= OnResynchronized;
        return ValueTask.CompletedTask;
    }
}
