using Grpc.Core;
using LearnHub.Api.V1;
using LearnHub.Core.Common;
using LearnHub.Core.Sessions;
using LearnHub.Server.Grpc;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.RateLimiting;

namespace LearnHub.Server.Identity;

[Authorize]
[EnableRateLimiting(RateLimitPolicies.Reads)]
public sealed class IdentityGrpcService(UserStore users, UserAccessChangeFeed accessChanges) : IdentityService.IdentityServiceBase
{
    public override async Task<User> GetMe(GetMeRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        var user = await users.FindAsync(caller.UserId, context.CancellationToken)
            ?? throw RpcErrors.NotFound("sub", "user", caller.UserId);
        return ToProto(user);
    }

    [EnableRateLimiting(RateLimitPolicies.Writes)]
    public override async Task<User> UpdateMyTimeZone(UpdateMyTimeZoneRequest request, ServerCallContext context)
    {
        RpcErrors.ThrowIfAny(SessionRules.CheckTimeZone(request.TimeZone));
        var caller = context.Caller();
        var user = await users.UpdateTimeZoneAsync(caller.UserId, request.TimeZone, context.CancellationToken)
            ?? throw RpcErrors.NotFound("sub", "user", caller.UserId);
        // The zone is in the change log (migration 0010): every node's cached zone for this user is dropped, this node's at once.
        await accessChanges.ChangedHereAsync(context.CancellationToken);
        return ToProto(user);
    }

    [EnableRateLimiting(RateLimitPolicies.Writes)]
    public override async Task<User> UpdateMyLanguage(UpdateMyLanguageRequest request, ServerCallContext context)
    {
        if (!UserStore.Languages.Contains(request.Language))
        {
            RpcErrors.ThrowInvalid("language", LocalizedText.Pick($"不支持该语言，可选：{string.Join("、", UserStore.Languages)}。", $"Unsupported language; choose one of {string.Join(", ", UserStore.Languages)}."));
        }
        var caller = context.Caller();
        var user = await users.UpdateLanguageAsync(caller.UserId, request.Language, context.CancellationToken)
            ?? throw RpcErrors.NotFound("sub", "user", caller.UserId);
        // The language is in the change log (migration 0011): every node's cached access (which carries it) is dropped.
        await accessChanges.ChangedHereAsync(context.CancellationToken);
        return ToProto(user);
    }

    [EnableRateLimiting(RateLimitPolicies.Writes)]
    public override async Task<CalendarFeedKey> GetMyCalendarFeedKey(GetMyCalendarFeedKeyRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        return new CalendarFeedKey { Key = await users.GetOrCreateFeedKeyAsync(caller.UserId, request.Rotate, context.CancellationToken) };
    }

    internal static User ToProto(UserRecord user) => new()
    {
        Id = user.Id,
        Handle = user.Handle,
        DisplayName = user.DisplayName,
        Roles = { user.RoleList },
        TimeZone = user.TimeZone,
        Language = user.Language,
        Certified = user.Certified,
        Active = user.Active,
    };
}
