using Grpc.Core;
using LearnHub.Api.V1;
using Microsoft.Extensions.Logging;

namespace LearnHub.Admin.Services;

/// <summary>
/// The circuit's <c>WatchInbox</c> stream, so the 消息中心 badge follows approvals while the console is open: holding it
/// counts as being online, and each broadcast pushed to it comes with the new unread count (and is listed at once by an
/// open 消息中心 page). A dropped stream is opened
/// again after a growing pause (1 s up to a minute); a refused one (signed out, too many streams) is not.
/// </summary>
public sealed partial class InboxWatch(LearnHubApi api, InboxBadge badge, TimeProvider clock, ILogger<InboxWatch> logger) : IAsyncDisposable, IDisposable
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LastRetry = TimeSpan.FromMinutes(1);

    private readonly CancellationTokenSource closing = new();
    private Task? running;

    /// <summary>A broadcast delivered while the console is open (raised on the stream's thread).</summary>
    public event Action<InboxMessage, InboxSummary?>? MessageArrived;

    /// <summary>Opens the stream once per circuit; later calls do nothing.</summary>
    public void Start() => running ??= Task.Run(() => RunAsync(closing.Token));

    private async Task RunAsync(CancellationToken ct)
    {
        var retry = FirstRetry;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                using var call = api.Inbox.WatchInbox(new WatchInboxRequest(), cancellationToken: ct);
                await foreach (var update in call.ResponseStream.ReadAllAsync(ct))
                {
                    retry = FirstRetry;
                    if (update.Summary is { } summary)
                    {
                        badge.Set(summary.Unread);
                    }
                    badge.SetLive(true);
                    if (update.Message is { } message)
                    {
                        MessageArrived?.Invoke(message, update.Summary);
                    }
                }
                badge.SetLive(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (RpcException e) when (ct.IsCancellationRequested || e.StatusCode is StatusCode.Unauthenticated or StatusCode.PermissionDenied or StatusCode.ResourceExhausted)
            {
                if (!ct.IsCancellationRequested)
                {
                    badge.SetLive(false);
                    LogRefused(logger, e.StatusCode);
                }
                return;
            }
            catch (RpcException e)
            {
                badge.SetLive(false);
                LogDropped(logger, e.StatusCode, retry);
            }
            try
            {
                await Task.Delay(retry, clock, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            retry = retry * 2 > LastRetry ? LastRetry : retry * 2;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await closing.CancelAsync();
        if (running is not null)
        {
            await running;
        }
    }

    /// <summary>For a container disposed synchronously: ends the stream without waiting for it.</summary>
    public void Dispose() => closing.Cancel();

    [LoggerMessage(EventId = 4201, Level = LogLevel.Information, Message = "The inbox stream was refused ({Status}); the badge stays as it is until the next page load")]
    private static partial void LogRefused(ILogger logger, StatusCode status);

    [LoggerMessage(EventId = 4202, Level = LogLevel.Warning, Message = "The inbox stream dropped ({Status}); opening it again in {Retry}")]
    private static partial void LogDropped(ILogger logger, StatusCode status, TimeSpan retry);
}
