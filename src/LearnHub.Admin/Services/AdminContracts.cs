using System.Security.Claims;

namespace LearnHub.Admin.Services;

/// <summary>Local accounts, implemented by the host: the admin never reads the user store itself.</summary>
public interface IAdminAccounts
{
    /// <summary>
    /// The cookie principal for a correct handle and password; otherwise no principal, and whether the account is
    /// deactivated (told only to someone who knows the password; unknown user and wrong password look alike).
    /// </summary>
    Task<SignInOutcome> SignInAsync(string handle, string password, CancellationToken cancellationToken);

    /// <summary>The cookie principal for a signed-in user as their record now stands (after a settings change), or null if the user is gone.</summary>
    Task<ClaimsPrincipal?> RefreshAsync(string userId, CancellationToken cancellationToken);

    /// <summary>
    /// <paramref name="user"/> as their account stands now: the same principal, one with their current roles, or
    /// null when the account was deleted or deactivated or the sign-in was retired (e.g. by a password reset).
    /// </summary>
    ValueTask<ClaimsPrincipal?> RevalidateAsync(ClaimsPrincipal user, CancellationToken cancellationToken);

    /// <summary>Calls <paramref name="listener"/> with the id of each user whose access may have changed (roles, deactivation, password).</summary>
    IDisposable OnAccessChanged(Action<string> listener);
}

/// <summary>A sign-in attempt's result: the principal to sign in, or none (and whether the account is deactivated).</summary>
public sealed record SignInOutcome(ClaimsPrincipal? Principal, bool Deactivated = false);

/// <summary>Mints the short-lived bearer token with which the admin calls the gRPC API on the signed-in user's behalf.</summary>
public interface IApiTokenSource
{
    string IssueFor(ClaimsPrincipal user);
}

/// <summary>Claims the admin's cookie carries besides the standard ones.</summary>
public static class AdminClaims
{
    public const string Subject = "sub";
    public const string Name = "name";
    public const string Role = "role";
    public const string Handle = "handle";
    public const string TimeZone = "tz";
    public const string Language = "lang";

    /// <summary>The security stamp the sign-in was issued under (see the host's UserAccess).</summary>
    public const string Stamp = "stamp";
}

/// <summary>Saves a user's language choice so it follows them to their next sign-in.</summary>
public interface IUserPreferences
{
    Task SaveLanguageAsync(string userId, string culture, CancellationToken cancellationToken);
}
