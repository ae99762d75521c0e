using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Security.Claims;
using LearnHub.Server.Hosting;

namespace LearnHub.Server.Identity;

/// <summary>
/// What a user may do right now, as their row stands: whether they exist, are active, their roles and stamp, and the
/// language they chose, null when they never chose one (every call's refusals are in it, read here rather than from the
/// store on each call).
/// </summary>
public sealed record UserAccess(string UserId, bool Exists, bool Active, long SecurityStamp, FrozenSet<string> Roles, string? Language = null)
{
    public static UserAccess Missing(string userId) => new(userId, false, false, 0, FrozenSet<string>.Empty);

    /// <summary>Why a credential issued under <paramref name="issuedStamp"/> no longer stands, or null when it does.</summary>
    public AccessRefusal? Refuses(long issuedStamp) =>
        !Exists ? AccessRefusal.Deleted
        : !Active ? AccessRefusal.Deactivated
        : issuedStamp != SecurityStamp ? AccessRefusal.Revoked
        : null;
}

/// <summary>Why a token or console cookie that was valid when issued is refused now.</summary>
public enum AccessRefusal
{
    /// <summary>The account no longer exists.</summary>
    Deleted,

    /// <summary>An admin deactivated the account.</summary>
    Deactivated,

    /// <summary>The account's security stamp moved on (password reset, deactivation): every earlier sign-in is retired.</summary>
    Revoked,
}

/// <summary>
/// Every node's copy of <see cref="UserAccess"/> for the users it has seen, so each call checks its caller's current
/// state without a query. Entries never expire by age: <see cref="UserAccessChangeFeed"/> drops a user's entry as soon
/// as the store logs a change to their roles, activity or stamp (made on any node, by any means), and tells the
/// listeners that hold long-lived connections (streams, hub connections, console circuits) to check again.
/// </summary>
public sealed class UserAccessCache(UserStore users)
{
    /// <summary>More entries than this and the cache starts over: a bound on memory, not a working-set size.</summary>
    private const int MaxEntries = 200_000;

    private readonly ConcurrentDictionary<string, UserAccess> entries = new(StringComparer.Ordinal);
    private readonly Listeners<string> changed = new();

    // Raised by every invalidation: a load that started before one must not store what it read.
    private long generation;

    public ValueTask<UserAccess> GetAsync(string userId, CancellationToken cancellationToken) =>
        entries.TryGetValue(userId, out var access) ? ValueTask.FromResult(access) : LoadAsync(userId, cancellationToken);

    /// <summary>Forgets what is known of <paramref name="userId"/> and tells the listeners.</summary>
    public void Invalidate(string userId)
    {
        Interlocked.Increment(ref generation);
        entries.TryRemove(userId, out _);
        changed.Publish(userId);
    }

    /// <summary>Forgets everyone (the change log was pruned past what this node read); listeners are not told.</summary>
    public void Clear()
    {
        Interlocked.Increment(ref generation);
        entries.Clear();
    }

    /// <summary>Calls <paramref name="listener"/> with the id of each user whose access may have changed. It must be quick.</summary>
    public IDisposable OnChanged(Action<string> listener) => changed.Subscribe(listener);

    private async ValueTask<UserAccess> LoadAsync(string userId, CancellationToken cancellationToken)
    {
        var before = Volatile.Read(ref generation);
        var access = await users.FindAccessAsync(userId, cancellationToken) ?? UserAccess.Missing(userId);
        if (Volatile.Read(ref generation) == before)
        {
            if (entries.Count >= MaxEntries)
            {
                entries.Clear();
            }
            entries[userId] = access;
        }
        return access;
    }
}

/// <summary>Checks a principal (from a bearer token or the console cookie) against its user's current access.</summary>
public static class PrincipalAccess
{
    /// <summary>The outcome: refused (and why), or allowed with the principal to use (its roles are the current ones).</summary>
    public readonly record struct Outcome(AccessRefusal? Refusal, ClaimsPrincipal? Principal);

    public static async ValueTask<Outcome> CheckAsync(UserAccessCache cache, ClaimsPrincipal principal, CancellationToken cancellationToken)
    {
        if (principal.FindFirst(TokenClaims.Subject)?.Value is not { Length: > 0 } userId)
        {
            return new(AccessRefusal.Deleted, null);
        }
        var access = await cache.GetAsync(userId, cancellationToken);
        if (access.Refuses(StampOf(principal)) is { } refusal)
        {
            return new(refusal, null);
        }
        return new(null, HasRoles(principal, access.Roles) ? principal : WithRoles(principal, access.Roles));
    }

    /// <summary>The security stamp a credential was issued under; credentials from before stamps existed carry none (0).</summary>
    public static long StampOf(ClaimsPrincipal principal) => ParseStamp(principal.FindFirst(TokenClaims.Stamp)?.Value);

    /// <summary>A <c>stamp</c> claim's value; 0 when there is none (credentials from before stamps existed).</summary>
    public static long ParseStamp(string? value) =>
        long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var stamp) ? stamp : 0;

    /// <summary><paramref name="claims"/> with their role claims replaced by <paramref name="roles"/> (in a stable order).</summary>
    public static IEnumerable<Claim> WithRoleClaims(IEnumerable<Claim> claims, FrozenSet<string> roles) =>
        claims.Where(c => c.Type != TokenClaims.Role).Concat(roles.Order(StringComparer.Ordinal).Select(role => new Claim(TokenClaims.Role, role)));

    private static bool HasRoles(ClaimsPrincipal principal, FrozenSet<string> roles)
    {
        var count = 0;
        foreach (var claim in principal.FindAll(TokenClaims.Role))
        {
            if (!roles.Contains(claim.Value))
            {
                return false;
            }
            count++;
        }
        return count == roles.Count;
    }

    /// <summary>The same identity with its role claims replaced by <paramref name="roles"/>.</summary>
    private static ClaimsPrincipal WithRoles(ClaimsPrincipal principal, FrozenSet<string> roles)
    {
        var source = principal.Identities.First();
        var claims = WithRoleClaims(source.Claims.Where(c => c.Type != source.RoleClaimType), roles);
        return new ClaimsPrincipal(new ClaimsIdentity(claims, source.AuthenticationType, source.NameClaimType, TokenClaims.Role));
    }
}
