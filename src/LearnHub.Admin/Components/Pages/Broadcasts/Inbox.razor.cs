using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using LearnHub.Admin.Components.Broadcasts;
using LearnHub.Admin.Components.Schedule;
using LearnHub.Admin.Services;
using LearnHub.Api.V1;
using MudBlazor;

namespace LearnHub.Admin.Components.Pages.Broadcasts;

/// <summary>
/// 消息中心: opening it checks in (which is when broadcasts approved in the last 72 hours arrive), then lists the
/// caller's messages newest first; a broadcast delivered while the page is open (through the circuit's
/// <see cref="InboxWatch"/>) goes on top at once. Read, delete, report, and per creator 消息免打扰 / 拉黑.
/// </summary>
public partial class Inbox : IDisposable
{
    private const int PageSize = 20;

    private readonly Dictionary<string, CreatorPreference> preferences = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource closing = new();
    private readonly List<InboxMessage> arrived = [];
    private List<InboxMessage> messages = [];
    private InboxSummary? summary;
    private string? nextPageToken;
    private bool unreadOnly;
    private bool loading = true;
    private bool loaded;
    private bool busy;
    private string? error;
    private string? preferencesError;
    // Until the preferences loaded, no mute or block state is shown as if it were known.
    private bool preferencesLoaded;
    private string? expandedId;

    protected override async Task OnInitializedAsync()
    {
        await Clock.ZoneAsync();
        Watch.MessageArrived += OnMessageArrived;
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        // Not while prerendering: checking in receives messages, so it happens once, in the live circuit.
        if (firstRender)
        {
            await OpenAsync();
            StateHasChanged();
        }
    }

    private async Task OpenAsync()
    {
        loading = true;
        error = null;
        Badge.CheckedIn = true;
        try
        {
            var checkIn = await Api.Inbox.CheckInAsync(new CheckInRequest(), cancellationToken: closing.Token);
            Summarize(checkIn);
            // After this check-in, so what it delivered is counted in its notice rather than taken by the stream's own.
            Watch.Start();
            if (checkIn.NewlyReceived > 0)
            {
                Snackbar.Add(string.Format(CultureInfo.CurrentCulture, S["NewlyReceived"], checkIn.NewlyReceived), Severity.Info);
            }
        }
        catch (RpcException e)
        {
            error = RpcProblem.From(e).Message;
            loading = false;
            return;
        }
        await LoadPreferencesAsync();
        await LoadAsync(append: false);
    }

    private async Task RetryPreferencesAsync()
    {
        await LoadPreferencesAsync();
        StateHasChanged();
    }

    /// <summary>ListFollowing's largest page.</summary>
    private const int FollowingPageSize = 100;

    private const int MaxFollowingPages = 10;

    /// <summary>Mute and block flags of the creators the caller follows (messages carry only their own muted flag).</summary>
    private async Task LoadPreferencesAsync()
    {
        try
        {
            // Page by page at the API's largest page size, up to a bound: a follower of thousands still opens at once.
            var pageToken = "";
            for (var pages = 0; pages < MaxFollowingPages; pages++)
            {
                var following = await Api.Follows.ListFollowingAsync(
                    new ListFollowingRequest { PageSize = FollowingPageSize, PageToken = pageToken }, cancellationToken: closing.Token);
                foreach (var creator in following.Creators)
                {
                    preferences[creator.CreatorId] = new CreatorPreference { CreatorId = creator.CreatorId, Muted = creator.Muted, Blocked = creator.Blocked };
                }
                pageToken = following.NextPageToken;
                if (pageToken.Length == 0)
                {
                    break;
                }
            }
        }
        catch (RpcException e)
        {
            // The inbox still works (muted comes with each message), but the switches would show the wrong state: say so.
            preferencesError = string.Format(System.Globalization.CultureInfo.CurrentCulture, S["PreferencesFailed"], RpcProblem.From(e).Message);
            return;
        }
        preferencesError = null;
        preferencesLoaded = true;
    }

    private async Task LoadAsync(bool append)
    {
        loading = true;
        error = null;
        try
        {
            var page = await Api.Inbox.ListInboxAsync(new ListInboxRequest
            {
                UnreadOnly = unreadOnly,
                PageSize = PageSize,
                PageToken = append ? nextPageToken ?? string.Empty : string.Empty,
            }, cancellationToken: closing.Token);
            messages = append
                ? [.. messages, .. page.Messages.Where(m => messages.All(x => x.Id != m.Id))]
                : [.. ArrivedNotIn(page.Messages), .. page.Messages];
            nextPageToken = page.NextPageToken;
            loaded = true;
        }
        catch (RpcException e)
        {
            error = RpcProblem.From(e).Message;
        }
        finally
        {
            loading = false;
        }
    }

    /// <summary>
    /// A broadcast pushed while the page is open goes on top at once. It is also kept aside, so a list that was being
    /// read when it arrived (and may not have it yet) still shows it.
    /// </summary>
    private void OnMessageArrived(InboxMessage message, InboxSummary? next) =>
        _ = InvokeAsync(() =>
        {
            if (closing.IsCancellationRequested)
            {
                return;
            }
            arrived.RemoveAll(m => m.Id == message.Id);
            arrived.Add(message);
            if (messages.All(m => m.Id != message.Id))
            {
                messages.Insert(0, message);
                loaded = true;
            }
            if (next is not null)
            {
                summary = next;
            }
            StateHasChanged();
        });

    /// <summary>Pushed messages a freshly read first page does not have yet (newest first), as the filter allows.</summary>
    private IEnumerable<InboxMessage> ArrivedNotIn(IEnumerable<InboxMessage> page)
    {
        var listed = page.Select(m => m.Id).ToHashSet(StringComparer.Ordinal);
        return arrived.Where(m => !listed.Contains(m.Id) && !(unreadOnly && m.Read)).Reverse().ToList();
    }

    private CreatorPreference PreferenceOf(InboxMessage message) =>
        preferences.TryGetValue(message.Broadcast.CreatorId, out var known)
            ? known
            : new CreatorPreference { CreatorId = message.Broadcast.CreatorId, Muted = message.Muted };

    private string Format(Timestamp? instant) => instant is null ? "—" : Clock.Format(instant.ToDateTimeOffset());

    private void Summarize(InboxSummary next)
    {
        summary = next;
        Badge.Set(next.Unread);
    }

    private async Task UnreadOnlyChanged(bool value)
    {
        unreadOnly = value;
        await LoadAsync(append: false);
    }

    private Task OpenMessageAsync(InboxMessage message) => message.Read ? Task.CompletedTask : MarkReadAsync(message);

    private async Task MarkReadAsync(InboxMessage message)
    {
        var request = new MarkInboxReadRequest();
        request.MessageIds.Add(message.Id);
        if (await RunAsync(() => Api.Inbox.MarkInboxReadAsync(request).ResponseAsync) is { } next)
        {
            message.Read = true;
            Summarize(next);
        }
    }

    private async Task MarkAllReadAsync()
    {
        if (await RunAsync(() => Api.Inbox.MarkInboxReadAsync(new MarkInboxReadRequest { All = true }).ResponseAsync) is { } next)
        {
            foreach (var message in messages)
            {
                message.Read = true;
            }
            Summarize(next);
            Snackbar.Add(S["AllRead"], Severity.Success);
        }
    }

    private async Task DeleteAsync(InboxMessage message)
    {
        if (!await ConfirmDialog.AskAsync(Dialogs, S["Delete"], S["DeleteConfirm"], S["Delete"]))
        {
            return;
        }
        if (await RunAsync(() => Api.Inbox.DeleteInboxMessageAsync(new DeleteInboxMessageRequest { MessageId = message.Id }).ResponseAsync) is { } next)
        {
            messages.Remove(message);
            arrived.RemoveAll(m => m.Id == message.Id);
            Summarize(next);
            Snackbar.Add(S["Deleted"], Severity.Success);
        }
    }

    private async Task ReportAsync(InboxMessage message)
    {
        var report = await ReasonDialog.AskAsync(Dialogs, S["Report"], "report", S["ReportReason"], S["Report"],
            string.Format(CultureInfo.CurrentCulture, S["ReportIntro"], message.Broadcast.CreatorName),
            reason => Api.Inbox.ReportBroadcastAsync(new ReportBroadcastRequest { MessageId = message.Id, Reason = reason }).ResponseAsync);
        if (report is not null)
        {
            message.Reported = true;
            Snackbar.Add(S["ReportSent"], Severity.Success);
        }
    }

    private async Task SetMutedAsync(string creatorId, bool muted)
    {
        if (await RunAsync(() => Api.Follows.SetCreatorPreferenceAsync(new SetCreatorPreferenceRequest { CreatorId = creatorId, Muted = muted }).ResponseAsync) is { } preference)
        {
            await PreferenceChangedAsync(preference);
            Snackbar.Add(preference.Muted ? S["MutedDone"] : S["UnmutedDone"], Severity.Success);
        }
    }

    private async Task SetBlockedAsync(Broadcast from, bool blocked)
    {
        if (blocked && !await ConfirmDialog.AskAsync(Dialogs, S["Block"], string.Format(CultureInfo.CurrentCulture, S["BlockConfirm"], from.CreatorName), S["Block"]))
        {
            return;
        }
        if (await RunAsync(() => Api.Follows.SetCreatorPreferenceAsync(new SetCreatorPreferenceRequest { CreatorId = from.CreatorId, Blocked = blocked }).ResponseAsync) is { } preference)
        {
            await PreferenceChangedAsync(preference);
            Snackbar.Add(preference.Blocked ? S["BlockedDone"] : S["UnblockedDone"], Severity.Success);
        }
    }

    private async Task PreferenceChangedAsync(CreatorPreference preference)
    {
        preferences[preference.CreatorId] = preference;
        foreach (var message in messages.Where(m => m.Broadcast.CreatorId == preference.CreatorId))
        {
            message.Muted = preference.Muted;
        }
        // Muting changes what counts as unread (the badge).
        if (await RunAsync(() => Api.Inbox.GetInboxSummaryAsync(new GetInboxSummaryRequest()).ResponseAsync) is { } next)
        {
            Summarize(next);
        }
    }

    /// <summary>Runs one call with the page busy; its refusal goes to a snackbar, readable, and the result is null.</summary>
    private async Task<T?> RunAsync<T>(Func<Task<T>> call)
        where T : class
    {
        busy = true;
        try
        {
            return await call();
        }
        catch (RpcException e)
        {
            Snackbar.Add(RpcProblem.From(e).Message, Severity.Error);
            return null;
        }
        finally
        {
            busy = false;
        }
    }

    public void Dispose()
    {
        Watch.MessageArrived -= OnMessageArrived;
        closing.Cancel();
        closing.Dispose();
    }
}
