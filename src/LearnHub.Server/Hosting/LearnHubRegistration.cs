using LearnHub.Server.Courses;
using LearnHub.Server.Data;
using LearnHub.Server.Diagnostics;
using LearnHub.Server.Grpc;
using LearnHub.Server.Identity;
using LearnHub.Server.Notifications;
using LearnHub.Server.Presence;
using LearnHub.Server.Sessions;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Quartz;

namespace LearnHub.Server.Hosting;

/// <summary>Every registration of the LearnHub host, grouped by feature.</summary>
public static class LearnHubRegistration
{
    /// <summary>gRPC messages larger than this are refused before they reach a service.</summary>
    public const int MaxRequestBytes = 256 * 1024;

    public static WebApplicationBuilder AddLearnHub(this WebApplicationBuilder builder)
    {
        Dapper.DefaultTypeMap.MatchNamesWithUnderscores = true;
        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);

        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.Section);
        services.AddSingleton<Database>();
        services.AddSingleton<Migrator>();
        services.AddHostedService<StartupTasks>();

        builder.AddLearnHubIdentity();
        builder.AddSessionScheduling();
        services.AddSingleton<ILiveViewerCounts, InProcessViewerCounts>();

        services.AddPerUserRateLimits();
        services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = MaxRequestBytes;
            o.EnableDetailedErrors = false;
        });
        services.AddGrpcReflection();
        services.AddGrpcHealthChecks().AddCheck<DatabaseHealthCheck>("database");
        return builder;
    }

    private static void AddLearnHubIdentity(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<IdentityOptions>().BindConfiguration(IdentityOptions.Section);
        services.AddSingleton<SigningKeyStore>();
        services.AddSingleton<TokenIssuer>();
        services.AddSingleton<UserStore>();
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<TokenIssuer, TimeProvider>((options, issuer, clock) =>
            {
                options.MapInboundClaims = false;
                options.TokenValidationParameters = issuer.ValidationParameters();
                options.TimeProvider = clock;
            });
        services.AddAuthorizationBuilder()
            // Anything not marked otherwise needs a signed-in caller.
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
    }

    private static void AddSessionScheduling(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<SessionSchedulingOptions>().BindConfiguration(SessionSchedulingOptions.Section);
        services.AddSingleton<ISessionEvents, InProcessSessionEvents>();
        services.AddSingleton<SessionTriggers>();
        services.AddSingleton<SessionLifecycle>();
        services.AddTransient<SessionLifecycleJob>();

        var storage = builder.Configuration.GetSection(StorageOptions.Section).Get<StorageOptions>() ?? new StorageOptions();
        var quartz = builder.Configuration.GetSection(QuartzSettings.Section).Get<QuartzSettings>() ?? new QuartzSettings();
        services.AddQuartz(q =>
        {
            // The batch size follows the thread count: each acquisition round takes as many due triggers as can run.
            q.ConfigureScheduler(o => o.InstanceName = "LearnHub");
            q.UseDefaultThreadPool(quartz.ThreadCount);
            q.UsePersistentStore(store =>
            {
                store.UseSqlite(BusyWaitSqliteFactory.Instance, Database.BuildConnectionString(storage.DatabasePath));
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

    public static WebApplication MapLearnHub(this WebApplication app)
    {
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.MapGrpcService<SessionGrpcService>();
        app.MapGrpcService<CourseGrpcService>();
        app.MapGrpcService<NotificationGrpcService>();
        app.MapGrpcService<IdentityGrpcService>();
        app.MapGrpcService<DiagnosticsGrpcService>();
        app.MapGrpcHealthChecksService().AllowAnonymous();
        app.MapGrpcReflectionService().AllowAnonymous();
        app.MapGet("/", () => "LearnHub: gRPC API on the HTTP/2 endpoint; see README.md.").AllowAnonymous();
        return app;
    }
}

/// <summary>Scheduler sizing; the default fires a thousand sessions due in the same minute on time (docs/benchmarks.md).</summary>
public sealed class QuartzSettings
{
    public const string Section = "Quartz";

    public int ThreadCount { get; set; } = 10;
}
