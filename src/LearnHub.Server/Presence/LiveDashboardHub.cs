using LearnHub.Api.Live;
using LearnHub.Core.Common;
using LearnHub.Core.Sessions;
using LearnHub.Server.Data;
using LearnHub.Server.Identity;
using LearnHub.Server.Sessions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace LearnHub.Server.Presence;

/// <summary>
/// The live dashboard hub (<see cref="LiveHub.Path"/>): instructors, reviewers and admins join the live-sessions feed
/// and single sessions' feeds; <see cref="LivePublisher"/> pushes to those groups. An instructor only ever joins
/// their own sessions' groups.
/// </summary>
[Authorize(Roles = $"{Roles.Instructor},{Roles.Reviewer},{Roles.Admin}")]
public sealed class LiveDashboardHub(Database database, LiveSessionDirectory directory, ILiveViewerCounts counts, OpenConnections connections, Telemetry.LearnHubMetrics metrics)
    : Hub<ILiveHubClient>, ILiveHubServer
{
    private static readonly LearnHub.Core.Common.TextRule SessionIdRule = LearnHub.Core.Common.TextRule.Id("session_id");

    /// <summary>
    /// The connection ends when its user's access changes: the groups it joined were allowed by the roles it had, so a
    /// demoted admin stops receiving every session's counts; the client reconnects under its current roles.
    /// </summary>
    public override Task OnConnectedAsync()
    {
        var open = connections.Open(CurrentCaller(), endsOnRoleChange: true);
        var context = Context;
        open.Ended.Register(context.Abort);
        context.Items[typeof(OpenConnections)] = open;
        metrics.HubConnected();
        return Task.CompletedTask;
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        if (Context.Items.TryGetValue(typeof(OpenConnections), out var open))
        {
            ((IDisposable)open!).Dispose();
            metrics.HubDisconnected();
        }
        return Task.CompletedTask;
    }

    public async Task<IReadOnlyList<LiveSessionView>> WatchLiveSessions()
    {
        var caller = CurrentCaller();
        var seesAll = caller.IsAdmin || caller.IsReviewer;
        // Join first, then read: a session going live in between is pushed rather than missed.
        await Groups.AddToGroupAsync(Context.ConnectionId, seesAll ? LiveViews.Groups.AllLive : LiveViews.Groups.LiveOf(caller.UserId), Context.ConnectionAborted);
        await using var connection = await database.OpenAsync(Context.ConnectionAborted);
        var live = await SessionStore.ListLiveAsync(connection, caller.UserId, Context.ConnectionAborted);
        return live
            .Where(s => seesAll || s.InstructorId == caller.UserId)
            .Select(s => s.ToView(counts.CurrentViewers(s.Id)))
            .OrderByDescending(v => v.Viewers)
            .ThenBy(v => v.LiveAt)
            .ToList();
    }

    public async Task<LiveSessionView> WatchSession(string sessionId)
    {
        var caller = CurrentCaller();
        if (SessionIdRule.Check(sessionId) is { } error)
        {
            throw new HubException(error.Message);
        }
        var row = await directory.GetFreshAsync(sessionId, Context.ConnectionAborted)
            ?? throw new HubException(LocalizedText.Pick("未找到该直播。", "The session was not found."));
        if (!(caller.IsAdmin || caller.IsReviewer || row.InstructorId == caller.UserId))
        {
            throw new HubException(LocalizedText.Pick("无权查看其他讲师的直播。", "You can view only your own sessions."));
        }
        await Groups.AddToGroupAsync(Context.ConnectionId, LiveViews.Groups.Session(sessionId), Context.ConnectionAborted);
        // Re-read after joining so a change in between is either in this answer or pushed.
        return (directory.TryGet(sessionId) ?? row).ToView(counts.CurrentViewers(sessionId));
    }

    public Task StopWatchingSession(string sessionId) =>
        SessionIdRule.Check(sessionId) is not null
            ? Task.CompletedTask
            : Groups.RemoveFromGroupAsync(Context.ConnectionId, LiveViews.Groups.Session(sessionId), Context.ConnectionAborted);

    private Caller CurrentCaller() =>
        Identity.Caller.From(Context.User ?? new System.Security.Claims.ClaimsPrincipal())
        ?? throw new HubException(LocalizedText.Pick("请先登录。", "Please sign in first."));
}
