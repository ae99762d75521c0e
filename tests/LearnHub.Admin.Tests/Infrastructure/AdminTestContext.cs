using LearnHub.Admin.Services;
using LearnHub.Admin.Services.Live;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using MudBlazor;
using MudBlazor.Services;

namespace LearnHub.Admin.Tests.Infrastructure;

/// <summary>
/// A bUnit context with MudBlazor, the admin's services, a signed-in user (roles and time zone of your choosing),
/// the fake API in place of the gRPC endpoint and a fake clock.
/// </summary>
public class AdminTestContext : BunitContext
{
    public AdminTestContext(string timeZone = "Asia/Shanghai", params string[] roles)
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddLocalization(o => o.ResourcesPath = "Resources");
        Services.AddSingleton<TimeProvider>(Clock);
        Services.AddScoped<UserClock>();
        Services.AddScoped<InboxBadge>();
        Services.AddScoped<InboxWatch>();
        Services.AddScoped(_ => new LearnHubApi(Api));
        Services.AddSingleton<ILiveFeed>(Live);
        var roleList = roles.Length == 0 ? ["instructor"] : roles;
        var auth = AddAuthorization();
        auth.SetAuthorized("tester");
        // Roles first: bUnit's SetRoles re-creates the principal without the claims set before it.
        auth.SetRoles(roleList);
        // The cookie names roles "role" (AdminClaims.Role); bUnit's IsInRole uses its own role claim type, so both.
        auth.SetRoles(roleList);
        auth.SetClaims([
            new System.Security.Claims.Claim(AdminClaims.Subject, "u_tester"),
            new System.Security.Claims.Claim(AdminClaims.Name, "tester"),
            new System.Security.Claims.Claim(AdminClaims.TimeZone, timeZone),
            .. roleList.Select(r => new System.Security.Claims.Claim(AdminClaims.Role, r)),
        ]);
        System.Globalization.CultureInfo.CurrentUICulture = new System.Globalization.CultureInfo("zh-CN");
    }

    public FakeApi Api { get; } = new();

    /// <summary>The live hub: pages join feeds through it, tests push through it.</summary>
    public FakeLiveFeed Live { get; } = new();

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 5, 1, 2, 0, 0, TimeSpan.Zero));

    /// <summary>Renders <typeparamref name="T"/> under MudBlazor's providers, as the layout does.</summary>
    public IRenderedComponent<MudPopoverProvider> RenderProviders() => Render<MudPopoverProvider>();
}
