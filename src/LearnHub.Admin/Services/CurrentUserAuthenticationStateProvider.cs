using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.Extensions.Logging;

namespace LearnHub.Admin.Services;

/// <summary>
/// A console circuit's signed-in user, kept current for as long as the circuit lives: when the host says the user's
/// access changed, the circuit takes their current roles (menus and pages follow at once) or, for a deleted or
/// deactivated account or a retired sign-in, becomes anonymous and is sent to the sign-in page. Without this a
/// circuit would keep the roles its cookie had when the page was opened.
/// </summary>
public sealed partial class CurrentUserAuthenticationStateProvider : ServerAuthenticationStateProvider, IDisposable
{
    private readonly IAdminAccounts accounts;
    private readonly ILogger<CurrentUserAuthenticationStateProvider> logger;
    private readonly CancellationTokenSource disposed = new();
    private readonly IDisposable subscription;

    public CurrentUserAuthenticationStateProvider(IAdminAccounts accounts, ILogger<CurrentUserAuthenticationStateProvider> logger)
    {
        this.accounts = accounts;
        this.logger = logger;
        subscription = accounts.OnAccessChanged(userId => _ = RevalidateAsync(userId));
    }

    public void Dispose()
    {
        subscription.Dispose();
        disposed.Cancel();
        disposed.Dispose();
    }

    private async Task RevalidateAsync(string changedUserId)
    {
        try
        {
            var signedIn = (await GetAuthenticationStateAsync()).User;
            if (signedIn.FindFirst(AdminClaims.Subject)?.Value != changedUserId)
            {
                return;
            }
            var current = await accounts.RevalidateAsync(signedIn, disposed.Token);
            if (!ReferenceEquals(current, signedIn))
            {
                SetAuthenticationState(Task.FromResult(new AuthenticationState(current ?? new ClaimsPrincipal(new ClaimsIdentity()))));
            }
        }
        catch (OperationCanceledException)
        {
            // The circuit closed.
        }
        catch (ObjectDisposedException)
        {
            // The circuit closed.
        }
        catch (Exception e) when (e is InvalidOperationException or System.Data.Common.DbException or TimeoutException)
        {
            // No state yet (the circuit is starting) or the store is away: the next request's cookie check still applies.
            LogRevalidationFailed(logger, e);
        }
    }

    [LoggerMessage(EventId = 3101, Level = LogLevel.Warning, Message = "Bringing a console circuit's user up to date failed")]
    private static partial void LogRevalidationFailed(ILogger logger, Exception exception);
}
