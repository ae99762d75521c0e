using LearnHub.Admin;
using LearnHub.Admin.Services;
using LearnHub.Server.Broadcasts;
using LearnHub.Server.Calendar;
using LearnHub.Server.Courses;
using LearnHub.Server.Data;
using LearnHub.Server.Diagnostics;
using LearnHub.Server.Faults;
using LearnHub.Server.Grpc;
using LearnHub.Server.Identity;
using LearnHub.Server.Ingest;
using LearnHub.Server.Notifications;
using LearnHub.Server.Platform;
using LearnHub.Server.Presence;
using LearnHub.Server.ScaleOut;
using LearnHub.Server.Sessions;
using LearnHub.Server.Telemetry;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Quartz;

namespace LearnHub.Server.Hosting;

/// <summary>Every registration of the LearnHub host, grouped by feature.</summary>
public static class LearnHubRegistration
{
    /// <summary>gRPC messages larger than this are refused before they reach a service.</summary>
    public const int MaxRequestBytes = 256 * 1024;

    /// <summary>
    /// Reads the appsettings.json shipped beside the binary first (lowest precedence), so the server listens on its
    /// two endpoints whatever folder it is started from; the working folder's settings, environment and command line
    /// still override it.
    /// </summary>
    public static WebApplicationBuilder UseBinaryFolderSettings(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Json.JsonConfigurationSource
        {
            Path = "appsettings.json",
            Optional = true,
            FileProvider = new Microsoft.Extensions.FileProviders.PhysicalFileProvider(AppContext.BaseDirectory),
        });
        return builder;
    }

    public static WebApplicationBuilder AddLearnHub(this WebApplicationBuilder builder)
    {
        StartupRefusal.ThrowIfInvalid(builder.Configuration);
        Dapper.DefaultTypeMap.MatchNamesWithUnderscores = true;
        builder.UseLogLineConsoleFormat();
        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);

        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.Section);
        // First hosted service: the data folder is checked and locked before anything uses it.
        services.AddSingleton<DataFolderLock>();
        services.AddSingleton<StartupGuard>();
        services.AddHostedService(sp => sp.GetRequiredService<StartupGuard>());
        services.AddStoreFaultHandling();
        services.AddSingleton<Database>();
        services.AddSingleton<Migrator>();
        services.AddHostedService<StartupTasks>();

        builder.AddLearnHubIdentity();
        services.AddSingleton<PlatformSettingsStore>();
        builder.AddSessionScheduling();
        builder.AddRtmpIngest();
        services.AddBroadcasts();
        builder.AddCalendarFeeds();
        services.AddLivePresence();
        builder.AddRedisScaleOut();
        builder.AddDataProtectionKeyRing();
        // Kestrel reads only its endpoints from the "Kestrel" section by itself: its limits, among them the HTTP/2
        // keepalive pings that drop vanished viewers, must be bound here or the settings do nothing.
        services.Configure<KestrelServerOptions>(kestrel => builder.Configuration.GetSection("Kestrel:Limits").Bind(kestrel.Limits));

        services.AddPerUserRateLimits();
        services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = MaxRequestBytes;
            o.EnableDetailedErrors = false;
        });
        services.AddGrpcReflection();
        builder.AddGrpcWebAccess();
        services.AddLearnHubHealth(builder.Configuration);
        // After every AddGrpc*: undecodable requests and foreign page tokens are INVALID_ARGUMENT naming the field.
        services.AddMalformedRequestRefusals();

        services.AddLearnHubAdmin();
        services.AddSingleton<AdminAccounts>();
        services.AddSingleton<IAdminAccounts>(sp => sp.GetRequiredService<AdminAccounts>());
        services.AddSingleton<IApiTokenSource>(sp => sp.GetRequiredService<AdminAccounts>());
        services.AddSingleton<IUserPreferences>(sp => sp.GetRequiredService<AdminAccounts>());
        // The admin calls the gRPC endpoint this host listens on.
        services.PostConfigure<AdminOptions>(o =>
        {
            if (builder.Configuration["Kestrel:Endpoints:Grpc:Url"] is { Length: > 0 } grpcUrl && builder.Configuration[$"{AdminOptions.Section}:GrpcAddress"] is null)
            {
                o.GrpcAddress = grpcUrl.Replace("://0.0.0.0", "://127.0.0.1", StringComparison.Ordinal).Replace("://*", "://127.0.0.1", StringComparison.Ordinal).Replace("://+", "://127.0.0.1", StringComparison.Ordinal);
            }
            // The admin's live pages connect to this host's SignalR hub on the HTTP/1 endpoint.
            if (builder.Configuration["Kestrel:Endpoints:Web:Url"] is { Length: > 0 } webUrl && builder.Configuration[$"{AdminOptions.Section}:WebAddress"] is null)
            {
                o.WebAddress = webUrl.Replace("://0.0.0.0", "://127.0.0.1", StringComparison.Ordinal).Replace("://*", "://127.0.0.1", StringComparison.Ordinal).Replace("://+", "://127.0.0.1", StringComparison.Ordinal);
            }
        });
        // Static web assets (MudBlazor's files) are served from the packages when running the built dll unpublished.
        builder.WebHost.UseStaticWebAssets();
        builder.Services.AddTrustedProxies(builder.Configuration);
        builder.AddLearnHubTelemetry();
        return builder;
    }

    private static void AddLearnHubIdentity(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<IdentityOptions>().BindConfiguration(IdentityOptions.Section);
        services.AddSingleton<SigningKeyStore>();
        services.AddSingleton<TokenIssuer>();
        services.AddSingleton<UserStore>();
        services.AddSingleton<CalendarFeedKeyVault>();
        services.AddSingleton<UserAccessCache>();
        services.AddSingleton<UserAccessChangeFeed>();
        services.AddHostedService(sp => sp.GetRequiredService<UserAccessChangeFeed>());
        services.AddSingleton<OpenConnections>();
        services.AddSingleton<ValidatedTokens>();
        services.AddSingleton<ApiTokenAuthenticator>();
        // Bearer tokens for API clients, the cookie for the admin console; one scheme picks between them per request.
        services.AddAuthentication(AuthSchemes.ApiOrCookie)
            .AddPolicyScheme(AuthSchemes.ApiOrCookie, "Bearer token or admin cookie", o => o.ForwardDefaultSelector = AuthSchemes.Select)
            .AddScheme<ApiTokenOptions, ApiTokenHandler>(ApiTokenDefaults.Scheme, null)
            .AddCookie(o =>
            {
                o.Cookie.Name = AuthSchemes.AdminCookieName;
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Lax;
                o.LoginPath = "/account/login";
                o.AccessDeniedPath = "/account/denied";
                o.ExpireTimeSpan = TimeSpan.FromHours(8);
                o.SlidingExpiration = true;
                o.Events.OnValidatePrincipal = CurrentAccessEvents.OnValidatePrincipal;
            });
        // Every gRPC service and admin page declares [Authorize] itself (a test checks each service).
        services.AddAuthorization();
    }

    private static void AddSessionScheduling(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<SessionSchedulingOptions>().BindConfiguration(SessionSchedulingOptions.Section);
        services.AddSingleton<ISessionEvents, InProcessSessionEvents>();
        services.AddSessionReads();
        services.AddSingleton<SessionTriggers>();
        services.AddSingleton<SessionLifecycle>();
        services.AddSingleton<LateStarts>(); // its IngestOptions are bound (and checked) by AddRtmpIngest
        services.AddTransient<SessionLifecycleJob>();

        var storage = builder.Configuration.GetSection(StorageOptions.Section).Get<StorageOptions>() ?? new StorageOptions();
        var quartz = builder.Configuration.GetSection(QuartzSettings.Section).Get<QuartzSettings>() ?? new QuartzSettings();
        services.AddQuartz(q =>
        {
            // The batch size follows the thread count: each acquisition round takes as many due triggers as can run.
            // One scheduler name for every node; in a PostgreSQL cluster each node gets its own instance id. On SQLite the
            // id stays fixed: a restarted process recovers the in-flight jobs recorded under it.
            q.ConfigureScheduler(o =>
            {
                o.InstanceName = "LearnHub";
                if (storage.Provider == StorageProvider.Postgres)
                {
                    o.InstanceId = "AUTO";
                }
            });
            q.UseDefaultThreadPool(quartz.ThreadCount);
            q.UsePersistentStore(store =>
            {
                if (storage.Provider == StorageProvider.Postgres)
                {
                    store.UsePostgres(storage.RequirePostgresConnectionString());
                    // Nodes check in every 5 s; one silent for 10 s more is taken as dead and its in-flight and
                    // recoverable jobs are taken over by the others (well within 20 s of a kill).
                    store.UseClustering(c =>
                    {
                        c.CheckinInterval = TimeSpan.FromSeconds(5);
                        c.CheckinMisfireThreshold = TimeSpan.FromSeconds(10);
                    });
                }
                else
                {
                    store.UseSqlite(BusyWaitSqliteFactory.Instance, Database.BuildConnectionString(storage.DatabasePath));
                }
                store.ProvisionSchema();
                store.UseSystemTextJsonSerializer();
            });
        });
        services.AddQuartzHostedService(o => o.WaitForJobsToComplete = true);
        // After Quartz's hosted service: the demo sessions need a running scheduler for their triggers.
        services.AddSingleton<DemoData>();
        services.AddHostedService<DemoDataSeeder>();
        services.AddSingleton<SessionTriggerReconciler>();
        services.AddHostedService(sp => sp.GetRequiredService<SessionTriggerReconciler>());
    }

    /// <summary>Anything but a gRPC call: console pages, account endpoints, the hub, calendar feeds.</summary>
    private static bool IsBrowserRequest(HttpContext context) => !GrpcTrailersOnly.IsGrpcRequest(context);

    private const string AuthenticationMiddlewareSetKey = "__AuthenticationMiddlewareSet";
    private const string AuthorizationMiddlewareSetKey = "__AuthorizationMiddlewareSet";

    public static WebApplication MapLearnHub(this WebApplication app)
    {
        // Browser requests (console pages, account endpoints, the hub, calendar feeds) get the web side's middleware;
        // gRPC calls skip it, as they skip everything only the console needs (docs/benchmarks.md: the call pipeline).
        app.UseTrustedProxies(); // the client's address, behind a trusted reverse proxy, for everything after
        app.UseLearnHubHealth(); // then: anonymous, outside the console's middleware, answering while stopping
        // gRPC-Web and CORS next: preflights are answered before anything else, and every later answer reaches browsers.
        app.UseGrpcWebAccess();
        app.UseMiddleware<ShutdownDraining>();
        app.UseLearnHubTelemetry();
        app.UseWhen(IsBrowserRequest, web => web.UseWebSecurityHeaders());
        app.UseStoreFaultHandling();
        app.UseWatchStreamBodyRate();
        // gRPC calls are authenticated by the token cache directly and authorized by their services' [Authorize];
        // browser requests go through ASP.NET Core's middleware (cookie or token, through the ApiOrCookie scheme).
        // WebApplication adds that middleware to the whole pipeline by itself unless the app marks it as placed (the
        // keys UseAuthentication and UseAuthorization set on the outer builder): without the marks, every gRPC call
        // would be authenticated and authorized twice.
        app.UseWhen(GrpcTrailersOnly.IsGrpcRequest, api => api.UseMiddleware<GrpcCallAuthentication>().UseMiddleware<GrpcCallAuthorization>());
        app.UseWhen(IsBrowserRequest, web => web.UseAuthentication().UseAuthorization());
        ((IApplicationBuilder)app).Properties[AuthenticationMiddlewareSetKey] = true;
        ((IApplicationBuilder)app).Properties[AuthorizationMiddlewareSetKey] = true;
        app.UseRateLimiter();
        app.UseWhen(IsBrowserRequest, web => web.UseLearnHubAdmin());
        app.MapGrpcService<SessionGrpcService>();
        app.MapGrpcService<CourseGrpcService>();
        app.MapGrpcService<NotificationGrpcService>();
        app.MapGrpcService<IdentityGrpcService>();
        app.MapGrpcService<DiagnosticsGrpcService>();
        app.MapGrpcService<AdminGrpcService>();
        app.MapLivePresence();
        app.MapBroadcasts();
        app.MapGrpcHealthChecksService().AllowAnonymous();
        app.MapGrpcReflectionService().AllowAnonymous();
        app.MapCalendarFeeds();
        app.MapRtmpIngest();
        app.MapEmbedFiles();
        app.MapLearnHubAdmin();
        return app;
    }
}

/// <summary>Scheduler sizing; the default fires a thousand sessions due in the same minute on time (docs/benchmarks.md).</summary>
public sealed class QuartzSettings
{
    public const string Section = "Quartz";

    public int ThreadCount { get; set; } = 10;
}
