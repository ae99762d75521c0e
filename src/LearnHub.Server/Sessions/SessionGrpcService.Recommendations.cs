using System.Globalization;
using Grpc.Core;
using LearnHub.Api.V1;
using LearnHub.Core.Common;
using LearnHub.Core.Sessions;
using LearnHub.Server.Grpc;
using LearnHub.Server.Identity;

namespace LearnHub.Server.Sessions;

public sealed partial class SessionGrpcService
{
    private const int RecommendationsDefaultPageSize = 10;
    private const int RecommendationsMaxPageSize = 50;

    /// <summary>
    /// 直播推荐: live sessions by current viewers (most first), then Scheduled ones by start (soonest first).
    /// Pages by position; live counts move between pages, which a panel tolerates.
    /// </summary>
    public override async Task<ListRecommendationsResponse> ListRecommendations(ListRecommendationsRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        var ct = context.CancellationToken;
        var pageSize = PageToken.PageSize(request.PageSize, RecommendationsDefaultPageSize, RecommendationsMaxPageSize);
        var offset = pageTokens.Read(request.PageToken, nameof(ListRecommendations), caller.UserId)?.Number ?? 0;
        if (offset is < 0 or > int.MaxValue)
        {
            RpcErrors.ThrowInvalid("page_token", "无效的分页标记 (invalid page_token).");
        }
        if (request.TimeZone.Length > 0)
        {
            RpcErrors.ThrowIfAny(SessionRules.CheckTimeZone(request.TimeZone));
        }
        // One connection for the whole panel: this is the busiest read of the product.
        await using var connection = await database.OpenAsync(ct);
        var zoneId = request.TimeZone.Length > 0
            ? request.TimeZone
            : await UserStore.TimeZoneOfAsync(connection, caller.UserId, ct);
        var zone = TimeZones.FindOrDefault(zoneId);
        var live = (await SessionStore.ListLiveAsync(connection, caller.UserId, ct))
            .Select(s => (Session: s, Viewers: viewers.CurrentViewers(s.Id)))
            .OrderByDescending(x => x.Viewers).ThenBy(x => x.Session.PlannedStartMs).ThenBy(x => x.Session.Id, StringComparer.Ordinal)
            .ToList();
        var response = new ListRecommendationsResponse();
        var position = (int)offset;
        foreach (var (session, count) in live.Skip(position).Take(pageSize))
        {
            response.Items.Add(new Recommendation
            {
                Session = PanelSession(session),
                ViewerCount = count,
                Badge = string.Create(CultureInfo.InvariantCulture, $"直播中 {count}"),
            });
        }
        var wanted = pageSize - response.Items.Count;
        var upcomingOffset = Math.Max(0, position - live.Count);
        var upcoming = await SessionStore.ListUpcomingAsync(connection, caller.UserId, upcomingOffset, wanted + 1, ct);
        foreach (var session in upcoming.Take(wanted))
        {
            var local = TimeZoneInfo.ConvertTime(session.PlannedStart, zone).ToString("MM-dd HH:mm", CultureInfo.InvariantCulture);
            response.Items.Add(new Recommendation
            {
                Session = PanelSession(session),
                DisplayTime = local,
                Badge = string.Create(CultureInfo.InvariantCulture, $"{local} · {session.ReservationCount}"),
            });
        }
        if (live.Count > position + pageSize || upcoming.Count > wanted)
        {
            response.NextPageToken = pageTokens.Issue(nameof(ListRecommendations), caller.UserId, new(position + pageSize));
        }
        return response;
    }

    /// <summary>
    /// A session as the panel shows it: without its description (up to 2,000 characters the panel never shows), so that
    /// 直播推荐, which every user loads, stays a few kilobytes whatever instructors write. GetSession has the description.
    /// </summary>
    private static Session PanelSession(SessionRow row)
    {
        var session = row.ToProto();
        session.Description = "";
        return session;
    }
}
