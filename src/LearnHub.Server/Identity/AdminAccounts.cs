using System.Security.Claims;
using LearnHub.Admin.Services;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;

namespace LearnHub.Server.Identity;

/// <summary>The admin console's local accounts: ASP.NET Core's password hasher over the users table.</summary>
public sealed class AdminAccounts(UserStore users, TokenIssuer tokens, UserAccessCache access) : IAdminAccounts, IApiTokenSource, IUserPreferences
{
    /// <summary>The admin's calls to the API use tokens this short: they are minted per call, on the server.</summary>
    private static readonly TimeSpan ApiTokenLifetime = TimeSpan.FromMinutes(5);

    private readonly PasswordHasher<UserRecord> hasher = new();

    public async Task<SignInOutcome> SignInAsync(string handle, string password, CancellationToken cancellationToken)
    {
        var user = await users.FindByHandleAsync(handle, cancellationToken);
        var hash = user is null ? null : await users.FindPasswordHashAsync(user.Id, cancellationToken);
        if (user is null || hash is null)
        {
            // Same work as a real check, so timing does not tell which accounts exist.
            hasher.VerifyHashedPassword(null!, DummyHash, password);
            return new(null);
        }
        var result = hasher.VerifyHashedPassword(user, hash, password);
        if (result == PasswordVerificationResult.Failed)
        {
            return new(null);
        }
        if (!user.Active)
        {
            return new(null, Deactivated: true);
        }
        if (result == PasswordVerificationResult.SuccessRehashNeeded)
        {
            await users.RehashPasswordAsync(user.Id, hasher.HashPassword(user, password), cancellationToken);
        }
        return new(Principal(user));
    }

    public async Task<ClaimsPrincipal?> RefreshAsync(string userId, CancellationToken cancellationToken) =>
        await users.FindAsync(userId, cancellationToken) is { Active: true } user ? Principal(user) : null;

    public async ValueTask<ClaimsPrincipal?> RevalidateAsync(ClaimsPrincipal user, CancellationToken cancellationToken) =>
        (await PrincipalAccess.CheckAsync(access, user, cancellationToken)).Principal;

    public IDisposable OnAccessChanged(Action<string> listener) => access.OnChanged(listener);

    /// <summary>Sets a password (the operator's <c>user set-password</c>); a reset retires every earlier sign-in and token.</summary>
    public async Task SetPasswordAsync(UserRecord user, string password, CancellationToken cancellationToken) =>
        await users.ResetPasswordAsync(user.Id, hasher.HashPassword(user, password), cancellationToken);

    public string IssueFor(ClaimsPrincipal user)
    {
        var id = user.FindFirst(AdminClaims.Subject)?.Value ?? throw new InvalidOperationException("No signed-in user.");
        // The API checks the stamp and reads the roles afresh on every call: a retired cookie mints only refused tokens.
        var record = new UserRecord(id, user.FindFirst(AdminClaims.Handle)?.Value ?? "", user.FindFirst(AdminClaims.Name)?.Value ?? "",
            string.Join(',', user.FindAll(AdminClaims.Role).Select(c => c.Value)), "", "", false)
        {
            SecurityStamp = PrincipalAccess.StampOf(user),
        };
        return tokens.Issue(record, ApiTokenLifetime);
    }

    public async Task SaveLanguageAsync(string userId, string culture, CancellationToken cancellationToken)
    {
        await users.UpdateLanguageAsync(userId, culture, cancellationToken);
        // The API answers in the saved language, held with the cached access: this node forgets it at once (other
        // nodes when they read the change log, migration 0011).
        access.Invalidate(userId);
    }

    public static ClaimsPrincipal Principal(UserRecord user)
    {
        var claims = new List<Claim>
        {
            new(AdminClaims.Subject, user.Id),
            new(AdminClaims.Name, user.DisplayName),
            new(AdminClaims.Handle, user.Handle),
            new(AdminClaims.TimeZone, user.TimeZone),
            new(AdminClaims.Language, user.Language),
            new(AdminClaims.Stamp, user.SecurityStamp.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        };
        claims.AddRange(user.RoleList.Select(r => new Claim(AdminClaims.Role, r)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, CookieAuthenticationDefaults.AuthenticationScheme, AdminClaims.Name, AdminClaims.Role));
    }

    private static readonly string DummyHash = new PasswordHasher<UserRecord>().HashPassword(null!, "not-a-password");
}
