using Grpc.Core;
using LearnHub.Api.V1;
using LearnHub.Core.Common;
using LearnHub.Core.Identity;
using LearnHub.Server.Data;
using LearnHub.Server.Grpc;
using LearnHub.Server.Identity;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.RateLimiting;

namespace LearnHub.Server.Broadcasts;

[Authorize]
[EnableRateLimiting(RateLimitPolicies.Reads)]
public sealed class FollowGrpcService(Database database, PageTokens pageTokens, TimeProvider clock) : FollowService.FollowServiceBase
{
    [EnableRateLimiting(RateLimitPolicies.Writes)]
    public override async Task<FollowState> Follow(FollowRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        RpcErrors.ThrowIfBadId(request.CreatorId, "creator_id");
        if (request.CreatorId == caller.UserId)
        {
            RpcErrors.ThrowInvalid("creator_id", LocalizedText.Pick("不能关注自己。", "You cannot follow yourself."));
        }
        var ct = context.CancellationToken;
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var counts = await InboxStore.CountsAsync(connection, request.CreatorId, ct, tx) ?? throw RpcErrors.NotFound("creator_id", "user", request.CreatorId);
        if (await InboxStore.FollowAsync(connection, tx, caller.UserId, request.CreatorId, clock.GetUtcNow().ToUnixTimeMilliseconds(), ct))
        {
            // The row is now locked by this transaction: what it holds counts every follow committed before.
            counts = (await InboxStore.CountsAsync(connection, request.CreatorId, ct, tx))!;
        }
        await tx.CommitAsync(ct);
        return new FollowState { CreatorId = request.CreatorId, Following = true, FollowerCount = counts.FollowerCount };
    }

    [EnableRateLimiting(RateLimitPolicies.Writes)]
    public override async Task<FollowState> Unfollow(UnfollowRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        RpcErrors.ThrowIfBadId(request.CreatorId, "creator_id");
        var ct = context.CancellationToken;
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var counts = await InboxStore.CountsAsync(connection, request.CreatorId, ct, tx) ?? throw RpcErrors.NotFound("creator_id", "user", request.CreatorId);
        if (await InboxStore.UnfollowAsync(connection, tx, caller.UserId, request.CreatorId, ct))
        {
            counts = (await InboxStore.CountsAsync(connection, request.CreatorId, ct, tx))!;
        }
        await tx.CommitAsync(ct);
        return new FollowState { CreatorId = request.CreatorId, Following = false, FollowerCount = counts.FollowerCount };
    }

    public override async Task<FollowCounts> GetFollowCounts(GetFollowCountsRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        var userId = string.IsNullOrEmpty(request.UserId) ? caller.UserId : request.UserId;
        RpcErrors.ThrowIfBadId(userId, "user_id");
        await using var connection = await database.OpenAsync(context.CancellationToken);
        var counts = await InboxStore.CountsAsync(connection, userId, context.CancellationToken) ?? throw RpcErrors.NotFound("user_id", "user", userId);
        return new FollowCounts { UserId = userId, Followers = counts.FollowerCount, Following = counts.FollowingCount };
    }

    public override async Task<ListFollowingResponse> ListFollowing(ListFollowingRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        var ct = context.CancellationToken;
        var size = PageToken.PageSize(request.PageSize);
        var after = pageTokens.Read(request.PageToken, nameof(ListFollowing), caller.UserId);
        await using var connection = await database.OpenAsync(ct);
        var rows = await InboxStore.ListFollowingAsync(connection, caller.UserId, after?.Number, after?.Key, size + 1, ct);
        var response = new ListFollowingResponse();
        response.Creators.AddRange(rows.Take(size).Select(r => new FollowedCreator
        {
            CreatorId = r.CreatorId,
            DisplayName = r.DisplayName,
            Certified = r.Certified,
            Muted = r.Muted,
            Blocked = r.Blocked,
            FollowedAt = ProtoTime.FromMs(r.CreatedAtMs),
        }));
        if (rows.Count > size)
        {
            response.NextPageToken = pageTokens.Issue(nameof(ListFollowing), caller.UserId, new(rows[size - 1].CreatedAtMs, rows[size - 1].CreatorId));
        }
        return response;
    }

    private const int MaxSearchResults = 20;

    public override async Task<SearchCreatorsResponse> SearchCreators(SearchCreatorsRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        // Checked after trimming (" COCO " is a search for coco); a control character ("\u0000") is refused, not matched.
        var query = request.Query.Trim();
        RpcErrors.ThrowIfAny(UserRules.CreatorQuery.Check(query));
        var size = PageToken.PageSize(request.PageSize, defaultSize: 10, max: MaxSearchResults);
        await using var connection = await database.OpenAsync(context.CancellationToken);
        var rows = await InboxStore.SearchCreatorsAsync(connection, caller.UserId, SearchKey.Of(query), size, context.CancellationToken);
        var response = new SearchCreatorsResponse();
        response.Creators.AddRange(rows.Select(r => new CreatorMatch
        {
            CreatorId = r.CreatorId,
            Handle = r.Handle,
            DisplayName = r.DisplayName,
            Following = r.Following,
            FollowerCount = r.FollowerCount,
        }));
        return response;
    }

    [EnableRateLimiting(RateLimitPolicies.Writes)]
    public override async Task<CreatorPreference> SetCreatorPreference(SetCreatorPreferenceRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        RpcErrors.ThrowIfBadId(request.CreatorId, "creator_id");
        RpcErrors.ThrowIfAny(
            !request.HasMuted && !request.HasBlocked ? new FieldError("muted", LocalizedText.Pick("请选择免打扰或屏蔽。", "Choose mute or block.")) : null,
            request.CreatorId == caller.UserId ? new FieldError("creator_id", LocalizedText.Pick("不能对自己设置免打扰或屏蔽。", "You cannot mute or block yourself.")) : null);
        var ct = context.CancellationToken;
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        _ = await InboxStore.CountsAsync(connection, request.CreatorId, ct, tx) ?? throw RpcErrors.NotFound("creator_id", "user", request.CreatorId);
        var preference = await InboxStore.SetPreferenceAsync(
            connection, tx, caller.UserId, request.CreatorId, request.HasMuted ? request.Muted : null, request.HasBlocked ? request.Blocked : null, ct);
        await tx.CommitAsync(ct);
        return new CreatorPreference { CreatorId = request.CreatorId, Muted = preference.Muted, Blocked = preference.Blocked };
    }
}
