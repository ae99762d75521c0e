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
public sealed class IdentityGrpcService(UserStore users, UserAccessChangeFeed accessChanges, CalendarFeedKeyVault feedKeys) : IdentityService.IdentityServiceBase
{
    /// <summary>The reason of GetMyCalendarFeedKey's refusal when the key can no longer be read back (a lost Data Protection key ring).</summary>
    public const string CalendarFeedKeyUnreadable = "CALENDAR_FEED_KEY_UNREADABLE";

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
        var reading = await users.GetOrCreateFeedKeyAsync(caller.UserId, request.Rotate, feedKeys, context.CancellationToken);
        if (!reading.Made)
        {
            throw RpcErrors.NotFound("sub", "user", caller.UserId);
        }
        // The key ring that protected it is gone. The key still opens the feeds, so it is not replaced behind the user's
        // back (their calendar apps would lose the subscription): a reset, their choice, gives links they can see.
        return reading.Key is { } key
            ? new CalendarFeedKey { Key = key }
            : throw RpcErrors.FailedPrecondition("key", LocalizedText.Pick(
                "订阅链接已无法显示（服务器的密钥已更换），但已订阅的日历仍可使用。如需查看，请重置链接。",
                "Your feed links can no longer be shown (the server's keys were replaced), though calendars already subscribed keep working. Reset the links to see new ones."),
                CalendarFeedKeyUnreadable);
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
