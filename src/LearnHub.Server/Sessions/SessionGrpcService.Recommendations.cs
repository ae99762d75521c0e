using System.Collections.Frozen;
using Grpc.Core;
using LearnHub.Api.V1;
using LearnHub.Core.Common;
using LearnHub.Core.Sessions;
using LearnHub.Server.Grpc;
using LearnHub.Server.Identity;
using Microsoft.AspNetCore.Authorization;

namespace LearnHub.Server.Sessions;

public sealed partial class SessionGrpcService
{
    private const int RecommendationsDefaultPageSize = 10;
    private const int RecommendationsMaxPageSize = 50;

    /// <summary>
    /// 直播推荐: live sessions by current viewers (most first), then Scheduled ones by start (soonest first).
    /// Pages by position; live counts move between pages, which a panel tolerates. Served from
    /// <see cref="RecommendationsSnapshot"/>: per call only the page, the caller's zone and their reserved_by_me flags.
    /// </summary>
    [AllowAnonymous]
    public override async Task<ListRecommendationsResponse> ListRecommendations(ListRecommendationsRequest request, ServerCallContext context)
    {
        // Public: without a token the panel is the one every visitor sees (default zone, nothing reserved, public fields).
        var caller = context.CallerOrAnonymous();
        var subject = caller?.UserId ?? CallerExtensions.AnonymousSubject;
        var ct = context.CancellationToken;
        var pageSize = PageToken.PageSize(request.PageSize, RecommendationsDefaultPageSize, RecommendationsMaxPageSize);
        var offset = pageTokens.Read(request.PageToken, nameof(ListRecommendations), subject)?.Number ?? 0;
        if (offset is < 0 or > int.MaxValue)
        {
            RpcErrors.ThrowInvalid("page_token", LocalizedText.Pick("无效的分页标记，请从第一页重新开始。", "This page link is no longer valid. Start again from the first page."));
        }
        if (request.TimeZone.Length > 0)
        {
            RpcErrors.ThrowIfAny(SessionRules.CheckTimeZone(request.TimeZone));
        }
        var zone = TimeZones.FindOrDefault(request.TimeZone.Length > 0 ? request.TimeZone : caller is null ? null : await reads.TimeZoneOfAsync(caller.UserId, ct));
        var reserved = caller is null ? null : await reads.ReservedByAsync(caller.UserId, ct);
        var panel = await recommendations.GetAsync(ct);
        var live = recommendations.LiveOf(panel);

        var response = new ListRecommendationsResponse();
        var position = (int)offset;
        for (var i = position; i < live.Length && response.Items.Count < pageSize; i++)
        {
            response.Items.Add(ForCaller(live[i], reserved));
        }
        var wanted = pageSize - response.Items.Count;
        var upcomingOffset = Math.Max(0, position - live.Length);
        bool more;
        if (panel.UpcomingComplete || upcomingOffset + wanted < panel.Upcoming.Length)
        {
            var end = Math.Min(panel.Upcoming.Length, upcomingOffset + wanted);
            for (var i = upcomingOffset; i < end; i++)
            {
                response.Items.Add(ForCaller(panel.UpcomingIn(zone, i), reserved));
            }
            more = live.Length > position + pageSize || panel.Upcoming.Length > upcomingOffset + wanted;
        }
        else
        {
            // 更多 > past the sessions the panel keeps: this page reads the store.
            await using var connection = await database.OpenAsync(ct);
            var upcoming = await SessionStore.ListUpcomingAsync(connection, caller?.UserId ?? "", upcomingOffset, wanted + 1, ct);
            foreach (var session in upcoming.Take(wanted))
            {
                response.Items.Add(ForCaller(RecommendationPanel.Format(new SessionRowEntry(session), zone), reserved));
            }
            more = live.Length > position + pageSize || upcoming.Count > wanted;
        }
        if (more)
        {
            response.NextPageToken = pageTokens.Issue(nameof(ListRecommendations), subject, new(position + pageSize));
        }
        return response;
    }

    /// <summary>
    /// A panel item as this caller sees it: shared unless they reserved the session (then a copy saying so); without a
    /// token (<paramref name="reserved"/> null), a copy holding the session's public fields only.
    /// </summary>
    private static Recommendation ForCaller(Recommendation item, FrozenSet<string>? reserved)
    {
        if (reserved is null)
        {
            return PublicSession.Of(item);
        }
        if (!reserved.Contains(item.Session.Id))
        {
            return item;
        }
        var copy = item.Clone();
        copy.Session.ReservedByMe = true;
        return copy;
    }
}
