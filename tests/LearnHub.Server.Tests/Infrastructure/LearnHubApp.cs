using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using LearnHub.Api.V1;
using LearnHub.Server.Identity;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using Quartz;

namespace LearnHub.Server.Tests.Infrastructure;

/// <summary>
/// The real LearnHub host (gRPC, Quartz, its store: a SQLite file, or a PostgreSQL database with
/// <c>LEARNHUB_TEST_STORE=Postgres</c>, see <see cref="TestStore"/>) in process, on its own temporary data folder, with a
/// <see cref="FakeTimeProvider"/> that drives every clock read, Quartz's included.
/// </summary>
public sealed class LearnHubApp : IAsyncDisposable
{
    private readonly WebApplicationFactory<Program> factory;
    private readonly bool ownsDataDirectory;

    private LearnHubApp(WebApplicationFactory<Program> factory, string dataDirectory, FakeTimeProvider clock, bool ownsDataDirectory, RecentLogs logs)
    {
        this.factory = factory;
        this.ownsDataDirectory = ownsDataDirectory;
        DataDirectory = dataDirectory;
        Clock = clock;
        Logs = logs;
        Channel = GrpcChannel.ForAddress(factory.Server.BaseAddress, new GrpcChannelOptions { HttpHandler = factory.Server.CreateHandler() });
    }

    public static readonly TimeSpan TestTokenLifetime = TimeSpan.FromDays(3650);

    public string DataDirectory { get; }

    public FakeTimeProvider Clock { get; }

    /// <summary>The host's recent log lines, for timeout messages.</summary>
    public RecentLogs Logs { get; }

    public GrpcChannel Channel { get; }

    public IServiceProvider Services => factory.Services;

    /// <summary>The in-process server, for clients that need its handler (SignalR).</summary>
    public Microsoft.AspNetCore.TestHost.TestServer Server => factory.Server;

    /// <summary>
    /// Starts a host. Pass the <paramref name="dataDirectory"/> and <paramref name="clock"/> of a stopped host to
    /// "restart" it on the same store; settings override appsettings (e.g. "RateLimits:WriteBurst");
    /// <paramref name="services"/> changes the host's services after the product registered them.
    /// </summary>
    public static async Task<LearnHubApp> StartAsync(
        IDictionary<string, string?>? settings = null, string? dataDirectory = null, FakeTimeProvider? clock = null,
        Action<IServiceCollection>? services = null)
    {
        var owns = dataDirectory is null;
        dataDirectory ??= Directory.CreateTempSubdirectory("learnhub-test-").FullName;
        clock ??= new FakeTimeProvider(DateTimeOffset.UtcNow) { AutoAdvanceAmount = TimeSpan.Zero };
        var fakeClock = clock;
        var logs = new RecentLogs();
        var all = new Dictionary<string, string?>
        {
            ["Storage:DataDirectory"] = dataDirectory,
            ["Storage:SeedDemoData"] = "false",
            ["RateLimits:ReadsPerSecond"] = "100000",
            ["RateLimits:ReadBurst"] = "100000",
            ["RateLimits:WritesPerMinute"] = "100000",
            ["RateLimits:WriteBurst"] = "100000",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in await TestStore.SettingsForAsync(dataDirectory))
        {
            all[key] = value;
        }
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }
        var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            foreach (var (key, value) in all)
            {
                builder.UseSetting(key, value);
            }
            builder.ConfigureServices(collection =>
            {
                collection.Replace(ServiceDescriptor.Singleton<TimeProvider>(fakeClock));
                services?.Invoke(collection);
            });
            builder.ConfigureLogging(logging => RecentLogs.AddTo(logging, logs));
        });
        _ = factory.Server; // starts the host: migrations, Quartz, reconciler
        // Quartz starts the scheduler on a task of its own once the host has started (AwaitApplicationStarted); on the
        // clustered PostgreSQL store that takes a few round trips, and readiness rightly says "not ready" until then.
        // Tests begin where a load balancer would: with the node ready.
        try
        {
            var scheduler = await factory.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();
            await Wait.UntilAsync(async () => await scheduler.GetStatus(), status => status == SchedulerStatus.Running, TimeSpan.FromSeconds(60), "the scheduler to start");
        }
        catch
        {
            await factory.DisposeAsync();
            throw;
        }
        return new LearnHubApp(factory, dataDirectory, clock, owns, logs);
    }

    /// <summary>Creates a user with the given roles (viewer is implied) and a token for them; their display name is the handle.</summary>
    public Task<TestUser> CreateUserAsync(string handle, params string[] roles) => CreateNamedUserAsync(handle, handle, roles);

    /// <summary>Creates a user whose display name differs from the handle (e.g. 万红coco), with a token for them.</summary>
    public async Task<TestUser> CreateNamedUserAsync(string handle, string displayName, params string[] roles)
    {
        var store = Services.GetRequiredService<UserStore>();
        var user = await store.CreateAsync(handle, displayName, roles, "Asia/Shanghai", CancellationToken.None);
        // Scenarios move the fake clock by days; the server judges token lifetimes by that clock, so test tokens live long.
        var token = Services.GetRequiredService<TokenIssuer>().Issue(user, TestTokenLifetime);
        return new TestUser(user.Id, user.Handle, token, this);
    }

    /// <summary>A channel that sends <paramref name="token"/> as the bearer token (or nothing when null).</summary>
    public CallInvoker Invoker(string? token) => token is null
        ? Channel.CreateCallInvoker()
        : Channel.Intercept(metadata =>
        {
            metadata.Add("authorization", $"Bearer {token}");
            return metadata;
        });

    /// <summary>An HTTP/1 client of the host's web endpoints (admin pages, calendar feeds), in process.</summary>
    public HttpClient CreateWebClient() => factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

    /// <summary>Stops the host but keeps its data folder (for restart tests).</summary>
    public async Task StopAsync()
    {
        Channel.Dispose();
        await factory.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        if (ownsDataDirectory)
        {
            await TestStore.ForgetAsync(DataDirectory);
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(DataDirectory, recursive: true);
            }
            catch (IOException)
            {
                // A pooled handle may still be closing; the OS temp folder is cleaned eventually.
            }
        }
    }
}

public sealed record TestUser(string Id, string Handle, string Token, LearnHubApp App)
{
    public SessionService.SessionServiceClient Sessions => new(App.Invoker(Token));

    public CourseService.CourseServiceClient Courses => new(App.Invoker(Token));

    public NotificationService.NotificationServiceClient Notifications => new(App.Invoker(Token));

    public IdentityService.IdentityServiceClient Identity => new(App.Invoker(Token));

    public PresenceService.PresenceServiceClient Presence => new(App.Invoker(Token));

    public AdminService.AdminServiceClient Admin => new(App.Invoker(Token));

    public FollowService.FollowServiceClient Follows => new(App.Invoker(Token));

    public BroadcastService.BroadcastServiceClient Broadcasts => new(App.Invoker(Token));

    public InboxService.InboxServiceClient Inbox => new(App.Invoker(Token));
}
