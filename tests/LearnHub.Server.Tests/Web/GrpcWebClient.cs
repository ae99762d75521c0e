using System.Collections.Concurrent;
using System.Net;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Grpc.Net.Client.Web;
using LearnHub.Api.V1;
using LearnHub.Server.Data;
using LearnHub.Server.Tests.Interop;

namespace LearnHub.Server.Tests.Web;

/// <summary>
/// The real server in a child process with the demo data, one allowed browser origin, and the demo viewer's token; its
/// web port (HTTP/1.1) is what browsers call over gRPC-Web.
/// </summary>
public class GrpcWebServer : IAsyncLifetime
{
    public const string AllowedOrigin = "http://panel.example.test:8080";

    private ServerChildProcess? server;

    public ServerChildProcess Server => server ?? throw new InvalidOperationException("not started");

    /// <summary>The demo viewer (学员小王), for signed-in calls.</summary>
    public string ViewerToken { get; private set; } = "";

    /// <summary>More `--Key=value` settings for a fixture with other limits.</summary>
    private readonly string[] extraSettings;

    public GrpcWebServer()
        : this([])
    {
    }

    private protected GrpcWebServer(string[] extraSettings)
    {
        this.extraSettings = extraSettings;
    }

    public async ValueTask InitializeAsync()
    {
        server = ServerChildProcess.Prepare();
        await server.StartAsync(["--Storage:SeedDemoData=true", $"--Web:CorsOrigins:0={AllowedOrigin}", .. extraSettings]);
        ViewerToken = await server.RunCliAsync("token", "--user", DemoData.ViewerHandle);
    }

    public async ValueTask DisposeAsync()
    {
        if (server is not null)
        {
            await server.DisposeAsync();
        }
    }

    /// <summary>A gRPC-Web channel to the web port over HTTP/1.1, as a page of <paramref name="origin"/> would call.</summary>
    public GrpcWebClient Client(GrpcWebMode mode, string? origin = AllowedOrigin) => new(Server.WebAddress, mode, origin);

    /// <summary>A native gRPC channel (HTTP/2) with the viewer's token.</summary>
    public GrpcChannel NativeChannel() => GrpcChannel.ForAddress($"http://{Server.GrpcAddress}");
}

/// <summary>A server with a small bucket of token-less reads (its refusals would disturb the other tests).</summary>
public sealed class GrpcWebRateLimitedServer() : GrpcWebServer(["--RateLimits:AnonymousReadsPerSecond=1", "--RateLimits:AnonymousReadBurst=5"]);

/// <summary>As <see cref="GrpcWebRateLimitedServer"/>, behind a reverse proxy on loopback that it trusts.</summary>
public sealed class GrpcWebBehindProxyServer() : GrpcWebServer(["--RateLimits:AnonymousReadsPerSecond=1", "--RateLimits:AnonymousReadBurst=5", "--Web:TrustedProxies:0=127.0.0.1"]);

/// <summary>A server that lets one address hold two token-less watch streams.</summary>
public sealed class GrpcWebStreamCappedServer() : GrpcWebServer(["--Presence:MaxAnonymousStreamsPerAddress=2"]);

/// <summary>
/// A gRPC-Web client (Grpc.Net.Client.Web) over HTTP/1.1 that sends the page's Origin (and any cookie) like a browser
/// would, and keeps the headers of each response (the CORS ones are what a browser checks).
/// </summary>
public sealed class GrpcWebClient : IDisposable
{
    private readonly BrowserHeaders browser;

    /// <param name="inner">The transport; a socket to <paramref name="address"/> by default (an in-process host's handler otherwise).</param>
    public GrpcWebClient(string address, GrpcWebMode mode, string? origin, HttpMessageHandler? inner = null)
    {
        browser = new BrowserHeaders(origin) { InnerHandler = inner ?? new SocketsHttpHandler() };
        Channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = new GrpcWebHandler(mode, browser),
            HttpVersion = HttpVersion.Version11,
            HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        });
    }

    public GrpcChannel Channel { get; }

    /// <summary>Response headers of every call, in order.</summary>
    public IReadOnlyCollection<HttpResponseMessage> Responses => browser.Responses;

    /// <summary>Sent as the Cookie header on every call (a signed-in console's cookie).</summary>
    public string? Cookie
    {
        get => browser.Cookie;
        set => browser.Cookie = value;
    }

    /// <summary>Sent as X-Forwarded-For on every call (as a reverse proxy in front of the server would add it).</summary>
    public string? ForwardedFor
    {
        get => browser.ForwardedFor;
        set => browser.ForwardedFor = value;
    }

    public CallInvoker Invoker(string? token = null) => token is null
        ? Channel.CreateCallInvoker()
        : Channel.Intercept(metadata =>
        {
            metadata.Add("authorization", $"Bearer {token}");
            return metadata;
        });

    public SessionService.SessionServiceClient Sessions(string? token = null) => new(Invoker(token));

    public PresenceService.PresenceServiceClient Presence(string? token = null) => new(Invoker(token));

    public void Dispose() => Channel.Dispose();

    private sealed class BrowserHeaders(string? origin) : DelegatingHandler
    {
        private readonly ConcurrentQueue<HttpResponseMessage> responses = new();

        public IReadOnlyCollection<HttpResponseMessage> Responses => responses;

        public string? Cookie { get; set; }

        public string? ForwardedFor { get; set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (origin is not null)
            {
                request.Headers.TryAddWithoutValidation("Origin", origin);
            }
            if (Cookie is not null)
            {
                request.Headers.TryAddWithoutValidation("Cookie", Cookie);
            }
            if (ForwardedFor is not null)
            {
                request.Headers.TryAddWithoutValidation("X-Forwarded-For", ForwardedFor);
            }
            var response = await base.SendAsync(request, cancellationToken);
            responses.Enqueue(response);
            return response;
        }
    }
}
