using LearnHub.Api.V1;
using LearnHub.Server.Tests.Infrastructure;
using LearnHub.Testing;
using Microsoft.Extensions.Time.Testing;

namespace LearnHub.Server.Tests.Ingest;

/// <summary>
/// A LearnHub host with RTMP ingest, a real nginx-rtmp whose callbacks reach it (through <see cref="CallbackRelay"/>),
/// an instructor, another instructor, a viewer and an admin. The host's fake clock starts on <see cref="Scenario.Start"/>.
/// </summary>
public sealed class IngestWorld : IAsyncDisposable
{
    public const string Secret = "ingest-test-secret-0123456789";

    private IngestWorld(LearnHubApp app, NginxRtmpServer nginx, CallbackRelay relay)
    {
        App = app;
        Nginx = nginx;
        Relay = relay;
    }

    public LearnHubApp App { get; }

    public NginxRtmpServer Nginx { get; }

    public CallbackRelay Relay { get; }

    public TestUser Instructor { get; private set; } = null!;

    public TestUser OtherInstructor { get; private set; } = null!;

    public TestUser Viewer { get; private set; } = null!;

    public TestUser Admin { get; private set; } = null!;

    public static async Task<IngestWorld> StartAsync()
    {
        var nginx = NginxRtmpServer.Prepare();
        LearnHubApp? app = null;
        CallbackRelay? relay = null;
        try
        {
            app = await LearnHubApp.StartAsync(Settings(nginx.RtmpUrl, nginx.HlsBaseUrl), clock: new FakeTimeProvider(Scenario.Start) { AutoAdvanceAmount = TimeSpan.Zero });
            relay = await CallbackRelay.StartAsync(app.CreateWebClient());
            await nginx.StartAsync(relay.BaseUrl, Secret);
            var world = new IngestWorld(app, nginx, relay)
            {
                Instructor = await app.CreateNamedUserAsync("wanhong", "万红coco", "instructor"),
                OtherInstructor = await app.CreateUserAsync("lilaoshi", "instructor"),
                Viewer = await app.CreateUserAsync("xiaowang"),
                Admin = await app.CreateUserAsync("admin", "admin"),
            };
            return world;
        }
        catch
        {
            await nginx.DisposeAsync();
            if (relay is not null)
            {
                await relay.DisposeAsync();
            }
            if (app is not null)
            {
                await app.DisposeAsync();
            }
            throw;
        }
    }

    public static Dictionary<string, string?> Settings(string rtmpUrl, string? hlsBaseUrl = null) => new()
    {
        ["Ingest:RtmpUrl"] = rtmpUrl,
        ["Ingest:CallbackSecret"] = Secret,
        ["Ingest:HlsBaseUrl"] = hlsBaseUrl,
    };

    /// <summary>A session of the instructor starting <paramref name="startsIn"/> from now, and its stream key.</summary>
    public async Task<(Session Session, string Key)> SessionWithKeyAsync(TimeSpan startsIn, TestUser? instructor = null)
    {
        instructor ??= Instructor;
        var session = await instructor.ScheduleAsync(App.Now() + startsIn);
        var key = await instructor.Sessions.GetStreamKeyAsync(new GetStreamKeyRequest { SessionId = session.Id });
        return (session, key.Key);
    }

    /// <summary>The session as its instructor sees it, once <paramref name="done"/> holds.</summary>
    public Task<Session> UntilAsync(string sessionId, Func<Session, bool> done, TimeSpan? deadline = null, TestUser? as_ = null) =>
        Wait.UntilAsync(() => (as_ ?? Instructor).GetAsync(sessionId), done, deadline, $"session {sessionId}; nginx log:\n{Nginx.ErrorLog}");

    public async ValueTask DisposeAsync()
    {
        await Nginx.DisposeAsync();
        await Relay.DisposeAsync();
        await App.DisposeAsync();
    }
}
