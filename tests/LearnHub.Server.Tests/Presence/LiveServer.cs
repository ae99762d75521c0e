using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using LearnHub.Api.V1;
using LearnHub.Server.Tests.Interop;

namespace LearnHub.Server.Tests.Presence;

/// <summary>
/// The real server in a child process (<see cref="ServerChildProcess"/>) with an instructor whose session is Live and a
/// plain viewer, both with tokens minted by the operator CLI. Disposing kills the server and deletes its data.
/// </summary>
public sealed class LiveServer : IAsyncDisposable
{
    private static readonly TimeSpan CallDeadline = TimeSpan.FromSeconds(30);

    private LiveServer(ServerChildProcess server, string instructorToken, string viewerToken)
    {
        Server = server;
        InstructorToken = instructorToken;
        ViewerToken = viewerToken;
        Channel = GrpcChannel.ForAddress($"http://{server.GrpcAddress}");
    }

    public ServerChildProcess Server { get; }

    /// <summary>A direct channel to the gRPC endpoint (no relay in between).</summary>
    public GrpcChannel Channel { get; }

    public string InstructorToken { get; }

    public string ViewerToken { get; }

    /// <summary>The instructor's session, Live since <see cref="StartAsync"/> returned.</summary>
    public string SessionId { get; private set; } = "";

    /// <param name="settings">More `--Key=value` settings for the server (e.g. short HTTP/2 keepalive pings).</param>
    public static async Task<LiveServer> StartAsync(params string[] settings)
    {
        var server = ServerChildProcess.Prepare();
        try
        {
            await server.RunCliAsync("user", "add", "--handle", "live-instructor", "--name", "直播讲师", "--roles", "instructor");
            await server.RunCliAsync("user", "add", "--handle", "live-viewer", "--name", "观众小王", "--roles", "viewer");
            var instructorToken = await server.RunCliAsync("token", "--user", "live-instructor");
            var viewerToken = await server.RunCliAsync("token", "--user", "live-viewer");
            await server.StartAsync(settings);
            var live = new LiveServer(server, instructorToken, viewerToken);
            var sessions = new SessionService.SessionServiceClient(Authorized(live.Channel, instructorToken));
            // Going live is allowed up to 30 minutes before the planned start.
            var session = await sessions.CreateSessionAsync(
                new CreateSessionRequest
                {
                    Title = "经济基础直播在线人数",
                    PlannedStart = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddMinutes(10)),
                    DurationMinutes = 60,
                },
                deadline: DateTime.UtcNow.Add(CallDeadline));
            await sessions.GoLiveAsync(new GoLiveRequest { SessionId = session.Id }, deadline: DateTime.UtcNow.Add(CallDeadline));
            live.SessionId = session.Id;
            return live;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Sends <paramref name="token"/> as the bearer token on every call made through <paramref name="channel"/>.</summary>
    public static CallInvoker Authorized(ChannelBase channel, string token) => channel.Intercept(metadata =>
    {
        metadata.Add("authorization", $"Bearer {token}");
        return metadata;
    });

    public PresenceService.PresenceServiceClient Presence(string token) => new(Authorized(Channel, token));

    public async Task<SessionStats> StatsAsync() =>
        await Presence(InstructorToken).GetSessionStatsAsync(
            new GetSessionStatsRequest { SessionId = SessionId }, deadline: DateTime.UtcNow.Add(CallDeadline));

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await Server.DisposeAsync();
    }
}
