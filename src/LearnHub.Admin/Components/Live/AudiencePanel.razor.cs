using Grpc.Core;
using LearnHub.Admin.Services;
using LearnHub.Admin.Services.Live;
using LearnHub.Api.Live;
using LearnHub.Api.V1;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Localization;
using MudBlazor;

namespace LearnHub.Admin.Components.Live;

/// <summary>
/// The audience of one session. Scheduled: the waiting count from the hub. Live: the current count and the
/// viewers-over-time chart, seeded from GetSessionStats and extended by hub pushes. Ended: the persisted figures
/// from GetSessionStats only (no hub). A status push (went live, ended) reloads the figures and tells the page.
/// </summary>
public sealed partial class AudiencePanel : ComponentBase, IAsyncDisposable
{
    private readonly ViewerTimeline timeline = new();
    private readonly ViewerCountOrder order = new();
    private SessionStatus status;
    private SessionStatus? parameterStatus;
    private bool watching;
    private bool joining;
    // One join per status: a refused join is shown, not retried on every render.
    private bool joinAttempted;
    private bool disposed;
    private bool loadingStats;
    private string? statsError;
    private string? liveError;
    private LiveConnectionState connectionState;
    private int currentViewers;
    private int waiting;
    private int peakViewers;
    private DateTimeOffset? peakAt;
    private int uniqueViewers;
    private long averageWatchSeconds;
    private int reservations;
    private int attendees;
    private List<ChartSeries<double>> chartSeries = [];
    private TimeSeriesChartOptions chartOptions = new();
    private ITimer? refreshTimer;
    private bool refreshing;

    /// <summary>
    /// While live, unique viewers and average watch time grow without any count changing (people keep watching): the
    /// figures are re-read at this interval, and at once when more people watch than the figures know of.
    /// </summary>
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(15);

    [Parameter, EditorRequired]
    public string SessionId { get; set; } = string.Empty;

    /// <summary>The session's status as the page knows it; between page loads the panel follows the hub's pushes.</summary>
    [Parameter]
    public SessionStatus Status { get; set; }

    /// <summary>A status push for this session (went live, extended, ended, cancelled): the page reloads the session.</summary>
    [Parameter]
    public EventCallback<LiveSessionView> OnSessionChanged { get; set; }

    [Inject]
    private LearnHubApi Api { get; set; } = null!;

    [Inject]
    private ILiveFeed Feed { get; set; } = null!;

    [Inject]
    private UserClock Clock { get; set; } = null!;

    [Inject]
    private TimeProvider Time { get; set; } = null!;

    [Inject]
    private IStringLocalizer<LiveStrings> S { get; set; } = null!;

    private string ScheduleSlug => Schedule.ScheduleText.Slug(status);

    private bool WantsFeed => status is SessionStatus.Scheduled or SessionStatus.Live;

    protected override void OnInitialized()
    {
        connectionState = Feed.State;
        Feed.ViewerCountChanged += OnViewerCountChanged;
        Feed.SessionStatusChanged += OnSessionStatusChanged;
        Feed.StateChanged += OnStateChanged;
        Feed.Resynchronized += OnResynchronized;
    }

    protected override async Task OnParametersSetAsync()
    {
        await Clock.ZoneAsync();
        // Only a new status from the page counts: a re-render with the status it already passed must not undo a push.
        if (parameterStatus == Status)
        {
            return;
        }
        var first = parameterStatus is null;
        parameterStatus = Status;
        if (first || Status != status)
        {
            await MoveToAsync(Status);
        }
    }

    // The hub is joined after the first interactive render (never while prerendering), and whenever the session is
    // scheduled or live but not yet watched (e.g. the page's go-live button).
    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (WantsFeed && !watching && !joining && !joinAttempted && !disposed)
        {
            await JoinAsync();
        }
    }

    private async Task MoveToAsync(SessionStatus next)
    {
        status = next;
        joinAttempted = false;
        if (next is SessionStatus.Live or SessionStatus.Ended)
        {
            await LoadStatsAsync();
        }
        if (next == SessionStatus.Live)
        {
            refreshTimer ??= Time.CreateTimer(_ => _ = Update(RefreshStatsAsync), null, RefreshInterval, RefreshInterval);
        }
        else
        {
            refreshTimer?.Dispose();
            refreshTimer = null;
        }
        if (!WantsFeed && watching)
        {
            await StopWatchingAsync();
        }
    }

    private async Task JoinAsync()
    {
        joining = true;
        joinAttempted = true;
        try
        {
            var view = await Feed.WatchSessionAsync(SessionId);
            watching = true;
            liveError = null;
            if (LiveStatuses.ToSessionStatus(view.Status) != status)
            {
                // It went live (or ended) between the page's load and joining the feed.
                await ApplyStatusAsync(view, reloadStats: false);
            }
            else
            {
                ApplyView(view);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            liveError = LiveText.Problem(S, e);
        }
        finally
        {
            joining = false;
            connectionState = Feed.State;
        }
        StateHasChanged();
    }

    private async Task StopWatchingAsync()
    {
        watching = false;
        try
        {
            await Feed.StopWatchingSessionAsync(SessionId);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Leaving a feed is best effort: the server drops the group with the connection anyway.
            liveError = null;
        }
    }

    /// <summary>Re-reads the figures while live, without a spinner; one read at a time.</summary>
    private async Task<bool> RefreshStatsAsync()
    {
        if (status != SessionStatus.Live || refreshing || loadingStats || disposed)
        {
            return false;
        }
        refreshing = true;
        try
        {
            await LoadStatsAsync(quiet: true);
        }
        finally
        {
            refreshing = false;
        }
        return true;
    }

    private async Task LoadStatsAsync(bool quiet = false)
    {
        loadingStats = !quiet;
        statsError = null;
        try
        {
            var stats = await Api.Presence.GetSessionStatsAsync(new GetSessionStatsRequest { SessionId = SessionId });
            currentViewers = stats.CurrentViewers;
            peakViewers = stats.PeakViewers;
            peakAt = stats.PeakAt?.ToDateTimeOffset();
            uniqueViewers = stats.UniqueViewers;
            averageWatchSeconds = stats.AverageWatchSeconds;
            reservations = stats.ReservationCount;
            attendees = stats.Attendees;
            timeline.Seed(stats.Samples.Select(s => new ViewerPoint(s.At.ToDateTimeOffset(), s.Viewers)));
            if (stats.Status == SessionStatus.Live)
            {
                // The chart ends at the count now, not at the last sample (up to one sampling interval old).
                timeline.Add(Clock.Now, stats.CurrentViewers);
            }
            RebuildChart();
        }
        catch (RpcException e)
        {
            statsError = string.Format(System.Globalization.CultureInfo.CurrentCulture, S["StatsFailed"], RpcProblem.From(e).Message);
        }
        finally
        {
            loadingStats = false;
        }
    }

    private void ApplyView(LiveSessionView view)
    {
        if (view.Status == LiveStatuses.Live && status == SessionStatus.Live)
        {
            SetCurrent(view.Viewers, Clock.Now);
        }
        else if (view.Status == LiveStatuses.Scheduled)
        {
            waiting = view.Viewers;
        }
    }

    private void SetCurrent(int viewers, DateTimeOffset at)
    {
        currentViewers = viewers;
        if (viewers > peakViewers)
        {
            peakViewers = viewers;
            peakAt = at;
        }
        timeline.Add(at, viewers);
        RebuildChart();
    }

    /// <summary>The chart in words, for screen readers: its time range, lowest, highest and latest count.</summary>
    private string ChartSummary
    {
        get
        {
            var points = timeline.Points;
            return points.Count == 0 ? string.Empty : string.Format(
                System.Globalization.CultureInfo.CurrentCulture, S["ChartSummary"], Clock.Format(points[0].At, "HH:mm"), Clock.Format(points[^1].At, "HH:mm"),
                points.Min(p => p.Viewers), points.Max(p => p.Viewers), points[^1].Viewers);
        }
    }

    private void RebuildChart()
    {
        var points = timeline.Points;
        // Points sit at their real times (a 22-minute gap is 22 minutes wide); labels keep a spacing that fits about
        // six across, so they never overlap, and the y axis follows the data.
        var span = points.Count > 1 ? points[^1].At - points[0].At : TimeSpan.Zero;
        chartOptions = new TimeSeriesChartOptions
        {
            TimeLabelFormat = span < TimeSpan.FromMinutes(3) ? "HH:mm:ss" : "HH:mm",
            TooltipTimeLabelFormat = "HH:mm:ss",
            TimeLabelSpacing = LiveText.LabelSpacing(span),
            TimeLabelSpacingRounding = true,
            MaxNumYAxisTicks = 6,
            YAxisTicks = LiveText.YStep(points.Count == 0 ? 0 : points.Max(p => p.Viewers)),
            YAxisFormat = "0",
            ShowDataMarkers = points.Count <= 60,
        };
        chartSeries =
        [
            new ChartSeries<double>
            {
                Name = S["ViewersSeries"],
                Data = points.Select(p => new MudBlazor.Charts.TimeValue<double>(Clock.ToLocal(p.At), p.Viewers)).ToList(),
            },
        ];
    }

    private Task OnViewerCountChanged(ViewerCountChange change) =>
        change.SessionId != SessionId ? Task.CompletedTask : Update(() =>
        {
            if (!order.Accept(change))
            {
                return Task.FromResult(false);
            }
            if (change.Status == LiveStatuses.Live && status == SessionStatus.Live)
            {
                SetCurrent(change.Viewers, change.At);
                if (change.Viewers > uniqueViewers)
                {
                    // More are watching than the figures know of: every one of them is a unique viewer already.
                    _ = Update(RefreshStatsAsync);
                }
            }
            else if (change.Status == LiveStatuses.Scheduled)
            {
                waiting = change.Viewers;
            }
            return Task.FromResult(true);
        });

    private Task OnSessionStatusChanged(LiveSessionView view) =>
        view.SessionId != SessionId ? Task.CompletedTask : Update(() => ApplyStatusAsync(view, reloadStats: false));

    private Task OnStateChanged(LiveConnectionState state) =>
        Update(() =>
        {
            connectionState = state;
            if (state == LiveConnectionState.Disconnected && watching)
            {
                // The connection is closed for good (not reconnecting): the count on screen is frozen until a retry.
                watching = false;
                liveError = S["ConnectionLost"];
            }
            return Task.FromResult(true);
        });

    private async Task RetryAsync()
    {
        liveError = null;
        await JoinAsync();
    }

    /// <summary>After a reconnect: counts pushed while disconnected are lost, so the persisted figures fill the gap.</summary>
    private Task OnResynchronized(LiveFeedSnapshot snapshot) =>
        snapshot.Sessions.FirstOrDefault(s => s.SessionId == SessionId) is not { } view ? Task.CompletedTask : Update(() =>
        {
            order.Forget(SessionId);
            connectionState = Feed.State;
            return ApplyStatusAsync(view, reloadStats: true);
        });

    private async Task<bool> ApplyStatusAsync(LiveSessionView view, bool reloadStats)
    {
        var next = LiveStatuses.ToSessionStatus(view.Status);
        if (next != status)
        {
            await MoveToAsync(next);
        }
        else if (reloadStats && status == SessionStatus.Live)
        {
            await LoadStatsAsync();
        }
        ApplyView(view);
        await OnSessionChanged.InvokeAsync(view);
        return true;
    }

    /// <summary>Applies a push on the renderer's thread and re-renders when it changed anything.</summary>
    private Task Update(Func<Task<bool>> apply) =>
        disposed ? Task.CompletedTask : InvokeAsync(async () =>
        {
            if (!disposed && await apply())
            {
                StateHasChanged();
            }
        });

    public async ValueTask DisposeAsync()
    {
        disposed = true;
        refreshTimer?.Dispose();
        Feed.ViewerCountChanged -= OnViewerCountChanged;
        Feed.SessionStatusChanged -= OnSessionStatusChanged;
        Feed.StateChanged -= OnStateChanged;
        Feed.Resynchronized -= OnResynchronized;
        if (watching)
        {
            await StopWatchingAsync();
        }
    }
}
