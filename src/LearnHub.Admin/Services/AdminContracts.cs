using System.Security.Claims;

namespace LearnHub.Admin.Services;

/// <summary>Local accounts, implemented by the host: the admin never reads the user store itself.</summary>
public interface IAdminAccounts
{
    /// <summary>The cookie principal for a correct handle and password, or null (same answer for unknown user and wrong password).</summary>
    Task<ClaimsPrincipal?> SignInAsync(string handle, string password, CancellationToken cancellationToken);

    /// <summary>The cookie principal for a signed-in user as their record now stands (after a settings change), or null if the user is gone.</summary>
    Task<ClaimsPrincipal?> RefreshAsync(string userId, CancellationToken cancellationToken);
}

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
}

/// <summary>Saves a user's language choice so it follows them to their next sign-in.</summary>
public interface IUserPreferences
{
    Task SaveLanguageAsync(string userId, string culture, CancellationToken cancellationToken);
}
