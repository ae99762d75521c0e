using System.Collections.Frozen;
using LearnHub.Server.Data;
using LearnHub.Server.Identity;
using Microsoft.Extensions.Options;
using Proto = LearnHub.Api.V1;

namespace LearnHub.Server.Sessions;

/// <summary>A session as GetSession serves it to anyone: the row, and its message with <c>reserved_by_me</c> unset.</summary>
public sealed class CachedSession(SessionRow row)
{
    public SessionRow Row { get; } = row;

    /// <summary>Shared by every call: never changed once built (a caller who reserved gets a copy).</summary>
    public Proto.Session Message { get; } = row.ToProto();

    public Proto.Session For(bool reservedByMe)
    {
        if (!reservedByMe)
        {
            return Message;
        }
        var copy = Message.Clone();
        copy.ReservedByMe = true;
        return copy;
    }
}

/// <summary>
/// What GetSession and 直播推荐 need per caller, without a store read per call: sessions by id, each user's reserved
/// session ids and each user's time zone. Every entry is dropped by the event that changes it, on every node: a
/// <see cref="SessionChanged"/> drops its session, a <see cref="ReservationChanged"/> its session (the count) and its
/// user's reserved ids, and a change in the user log (<see cref="UserAccessCache"/>, which a change of time zone also
/// enters) the user's zone. On the node that made a change the event runs before the call that made it returns, so the
/// caller's next read sees it; other nodes see it within the relay's delay, or within
/// <see cref="SessionReadOptions.MissedEventBound"/> if the relay lost it.
/// </summary>
public sealed class SessionReadCache : IDisposable
{
    private readonly Database database;
    private readonly GuardedCache<CachedSession> sessions;
    private readonly GuardedCache<FrozenSet<string>> reserved;
    private readonly GuardedCache<string> zones;
    private readonly IDisposable[] subscriptions;

    public SessionReadCache(Database database, ISessionEvents events, UserAccessCache access, IOptions<SessionReadOptions> options, TimeProvider clock)
    {
        this.database = database;
        var o = options.Value;
        sessions = new(o.MaxCachedSessions, o.MissedEventBound, clock);
        reserved = new(o.MaxCachedUsers, o.MissedEventBound, clock);
        zones = new(o.MaxCachedUsers, o.MissedEventBound, clock);
        subscriptions =
        [
            events.Subscribe(change => sessions.Invalidate(change.SessionId)),
            events.SubscribeReservations(change =>
            {
                sessions.Invalidate(change.SessionId);
                reserved.Invalidate(change.UserId);
            }),
            access.OnChanged(zones.Invalidate),
        ];
    }

    /// <summary>The session as anyone may see it (every signed-in user sees every session), or null when there is none.</summary>
    public ValueTask<CachedSession?> FindAsync(string sessionId, CancellationToken ct) =>
        sessions.GetAsync(sessionId, database, static async (id, database, ct) =>
        {
            await using var connection = await database.OpenAsync(ct);
            return await SessionStore.FindAsync(connection, id, null, ct) is { } row ? new CachedSession(row) : null;
        }, ct);

    /// <summary>The ids of the sessions <paramref name="userId"/> has reserved.</summary>
    public async ValueTask<FrozenSet<string>> ReservedByAsync(string userId, CancellationToken ct) =>
        await reserved.GetAsync(userId, database, static async (id, database, ct) =>
        {
            await using var connection = await database.OpenAsync(ct);
            return (await SessionStore.ListReservedSessionIdsAsync(connection, id, ct)).ToFrozenSet(StringComparer.Ordinal);
        }, ct) ?? FrozenSet<string>.Empty;

    /// <summary>The time zone in <paramref name="userId"/>'s profile; "" when there is no such user (the platform's zone applies).</summary>
    public async ValueTask<string> TimeZoneOfAsync(string userId, CancellationToken ct) =>
        await zones.GetAsync(userId, database, static async (id, database, ct) =>
        {
            await using var connection = await database.OpenAsync(ct);
            return await UserStore.TimeZoneOfAsync(connection, id, ct) ?? "";
        }, ct) ?? "";

    public void Dispose()
    {
        foreach (var subscription in subscriptions)
        {
            subscription.Dispose();
        }
    }
}
