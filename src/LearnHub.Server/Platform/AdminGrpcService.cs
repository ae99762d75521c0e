using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using LearnHub.Api.V1;
using LearnHub.Core.Common;
using LearnHub.Core.Identity;
using LearnHub.Core.Sessions;
using LearnHub.Server.Grpc;
using LearnHub.Server.Identity;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.RateLimiting;

namespace LearnHub.Server.Platform;

/// <summary>Users, roles, certification and platform settings: admins only (checked first in every call, on the server).</summary>
[Authorize]
[EnableRateLimiting(RateLimitPolicies.Reads)]
public sealed class AdminGrpcService(UserStore users, UserAccessChangeFeed accessChanges, PlatformSettingsStore settings, PageTokens pageTokens) : AdminService.AdminServiceBase
{
    public override async Task<ListUsersResponse> ListUsers(ListUsersRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        caller.EnsureAdmin();
        var pageSize = PageToken.PageSize(request.PageSize);
        RpcErrors.ThrowIfAny(UserRules.UserQuery.Check(request.Query));
        var after = pageTokens.Read(request.PageToken, nameof(ListUsers), caller.UserId)?.Key;
        var rows = await users.ListAsync(request.Query, after, pageSize + 1, context.CancellationToken);
        var response = new ListUsersResponse { Users = { rows.Take(pageSize).Select(IdentityGrpcService.ToProto) } };
        if (rows.Count > pageSize)
        {
            response.NextPageToken = pageTokens.Issue(nameof(ListUsers), caller.UserId, new(0, rows[pageSize - 1].Handle));
        }
        return response;
    }

    [EnableRateLimiting(RateLimitPolicies.Writes)]
    public override async Task<User> SetUserRoles(SetUserRolesRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        caller.EnsureAdmin();
        RpcErrors.ThrowIfBadId(request.UserId, "user_id");
        if (request.Roles.Count > Roles.All.Count)
        {
            RpcErrors.ThrowInvalid("roles", LocalizedText.Pick($"最多 {Roles.All.Count} 个角色。", $"At most {Roles.All.Count} roles: {string.Join(", ", Roles.All)}."));
        }
        if (request.Roles.FirstOrDefault(r => !Roles.IsKnown(r)) is { } unknown)
        {
            RpcErrors.ThrowInvalid("roles", LocalizedText.Pick($"未知角色「{Core.Common.TextRule.Quote(unknown, 32)}」，可选：{string.Join("、", Roles.All)}。", $"Unknown role “{Core.Common.TextRule.Quote(unknown, 32)}”; choose from {string.Join(", ", Roles.All)}."));
        }
        if (request.UserId == caller.UserId && !request.Roles.Contains(Roles.Admin))
        {
            throw RpcErrors.FailedPrecondition("roles", LocalizedText.Pick("不能移除自己的管理员角色。", "You cannot remove your own admin role."));
        }
        _ = await users.FindAsync(request.UserId, context.CancellationToken) ?? throw RpcErrors.NotFound("user_id", "user", request.UserId);
        var updated = await users.SetRolesAsync(request.UserId, request.Roles, context.CancellationToken)
            ?? throw RpcErrors.NotFound("user_id", "user", request.UserId);
        // Before answering: the user's very next call, on this node, is judged by the new roles.
        await accessChanges.ChangedHereAsync(context.CancellationToken);
        return IdentityGrpcService.ToProto(updated);
    }

    [EnableRateLimiting(RateLimitPolicies.Writes)]
    public override async Task<User> SetUserActive(SetUserActiveRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        caller.EnsureAdmin();
        RpcErrors.ThrowIfBadId(request.UserId, "user_id");
        if (request.UserId == caller.UserId && !request.Active)
        {
            throw RpcErrors.FailedPrecondition("active", LocalizedText.Pick("不能停用自己的账号。", "You cannot deactivate your own account."));
        }
        var updated = await users.SetActiveAsync(request.UserId, request.Active, context.CancellationToken)
            ?? throw RpcErrors.NotFound("user_id", "user", request.UserId);
        await accessChanges.ChangedHereAsync(context.CancellationToken);
        return IdentityGrpcService.ToProto(updated);
    }

    [EnableRateLimiting(RateLimitPolicies.Writes)]
    public override async Task<User> SetCertified(SetCertifiedRequest request, ServerCallContext context)
    {
        context.Caller().EnsureAdmin();
        RpcErrors.ThrowIfBadId(request.UserId, "user_id");
        _ = await users.FindAsync(request.UserId, context.CancellationToken) ?? throw RpcErrors.NotFound("user_id", "user", request.UserId);
        return IdentityGrpcService.ToProto((await users.SetCertifiedAsync(request.UserId, request.Certified, context.CancellationToken))!);
    }

    public override async Task<PlatformSettings> GetPlatformSettings(GetPlatformSettingsRequest request, ServerCallContext context)
    {
        context.Caller().EnsureAdmin();
        return ToProto(await settings.GetAsync(context.CancellationToken));
    }

    [EnableRateLimiting(RateLimitPolicies.Writes)]
    public override async Task<PlatformSettings> UpdatePlatformSettings(UpdatePlatformSettingsRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        caller.EnsureAdmin();
        RpcErrors.ThrowIfAny(
            request.HasReminderLeadMinutes && request.ReminderLeadMinutes is < 1 or > 1440
                ? new("reminder_lead_minutes", LocalizedText.Pick("开播提醒提前量须在 1–1440 分钟之间。", "The reminder lead time must be 1–1440 minutes.")) : null,
            request.HasReviewTimeoutHours && request.ReviewTimeoutHours is < 1 or > 720
                ? new("review_timeout_hours", LocalizedText.Pick("审核超时须在 1–720 小时之间。", "The review timeout must be 1–720 hours.")) : null,
            request.HasPlatformTimeZone ? SessionRules.CheckTimeZone(request.PlatformTimeZone, "platform_time_zone") : null);
        var updated = await settings.UpdateAsync(
            request.HasReminderLeadMinutes ? request.ReminderLeadMinutes : null,
            request.HasReviewTimeoutHours ? request.ReviewTimeoutHours : null,
            request.HasPlatformTimeZone ? request.PlatformTimeZone : null,
            caller.UserId, context.CancellationToken);
        return ToProto(updated);
    }

    private static PlatformSettings ToProto(PlatformSettingsValues values) => new()
    {
        ReminderLeadMinutes = (int)values.ReminderLead.TotalMinutes,
        ReviewTimeoutHours = (int)values.ReviewTimeout.TotalHours,
        PlatformTimeZone = values.PlatformTimeZone,
        UpdateTime = values.UpdatedAtMs > 0 ? ProtoTime.FromMs(values.UpdatedAtMs) : null,
        UpdatedBy = values.UpdatedBy ?? "",
    };
}
