using System.Net;
using Google.Protobuf.Reflection;
using Google.Rpc;
using Grpc.Core;
using Grpc.Net.Client.Web;
using LearnHub.Api.V1;
using LearnHub.Server.Hosting;
using LearnHub.Server.Tests.Infrastructure;
using LearnHub.Server.Tests.Presence;
using Microsoft.AspNetCore.Authorization;

namespace LearnHub.Server.Tests.Web;

/// <summary>
/// Browsers' access over gRPC-Web on the web port (HTTP/1.1) of the real server: the public reads without a token,
/// CORS for the configured origin only, and every other method still UNAUTHENTICATED.
/// </summary>
public sealed class GrpcWebTests(GrpcWebServer host) : IClassFixture<GrpcWebServer>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    /// <summary>The methods a token-less caller may call (docs/api.md "gRPC-Web and public reads").</summary>
    public static readonly string[] PublicMethods =
    [
        "/learnhub.v1.SessionService/GetSession",
        "/learnhub.v1.SessionService/ListRecommendations",
        "/learnhub.v1.PresenceService/WatchSession",
    ];

    public static TheoryData<GrpcWebMode> Modes => new(GrpcWebMode.GrpcWeb, GrpcWebMode.GrpcWebText);

    private static DateTime CallDeadline => DateTime.UtcNow.Add(Deadline);

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task AnonymousPanelIsTheDemoPanelWithPublicFieldsAndCorsHeaders(GrpcWebMode mode)
    {
        using var browser = host.Client(mode);

        var panel = await browser.Sessions().ListRecommendationsAsync(new ListRecommendationsRequest(), deadline: CallDeadline);

        Assert.Equal(["s_demo_test2", "s_demo_ch19", "s_demo_ch20"], panel.Items.Select(i => i.Session.Id));
        Assert.StartsWith("直播中 ", panel.Items[0].Badge, StringComparison.Ordinal);
        Assert.Matches(@"^\d\d-04 19:30 · 54$", panel.Items[1].Badge.Replace("05-", "00-", StringComparison.Ordinal));
        Assert.All(panel.Items, i =>
        {
            Assert.False(i.Session.ReservedByMe);
            Assert.Equal("万红coco", i.Session.InstructorName);
            Assert.Empty(i.Session.InstructorId);
            Assert.Equal(0, i.Session.Version);
        });
        var response = Assert.Single(browser.Responses);
        Assert.Equal(GrpcWebServer.AllowedOrigin, Header(response, "Access-Control-Allow-Origin"));
        Assert.Contains("grpc-status", Header(response, "Access-Control-Expose-Headers"), StringComparison.Ordinal);
        Assert.Contains("grpc-status-details-bin", Header(response, "Access-Control-Expose-Headers"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnonymousPanelPagesWithTokensBoundToAnonymousCallersInTheRequestedZone()
    {
        using var browser = host.Client(GrpcWebMode.GrpcWeb);
        var sessions = browser.Sessions();

        var first = await sessions.ListRecommendationsAsync(new ListRecommendationsRequest { PageSize = 2, TimeZone = "Europe/Berlin" }, deadline: CallDeadline);
        var second = await sessions.ListRecommendationsAsync(new ListRecommendationsRequest { PageSize = 2, PageToken = first.NextPageToken }, deadline: CallDeadline);
        Assert.Equal(["s_demo_test2", "s_demo_ch19"], first.Items.Select(i => i.Session.Id));
        Assert.Equal(["s_demo_ch20"], second.Items.Select(i => i.Session.Id));
        // 19:30 in Shanghai is 12:30 or 13:30 in Berlin.
        Assert.Matches(@"^\d\d-\d\d 1[23]:30$", first.Items[1].DisplayTime);

        // A signed-in user's token is no good anonymously, nor the anonymous one signed in.
        var signedIn = await browser.Sessions(host.ViewerToken).ListRecommendationsAsync(new ListRecommendationsRequest { PageSize = 2 }, deadline: CallDeadline);
        Assert.Equal(StatusCode.InvalidArgument, (await Assert.ThrowsAsync<RpcException>(() =>
            sessions.ListRecommendationsAsync(new ListRecommendationsRequest { PageSize = 2, PageToken = signedIn.NextPageToken }, deadline: CallDeadline).ResponseAsync)).StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, (await Assert.ThrowsAsync<RpcException>(() =>
            browser.Sessions(host.ViewerToken).ListRecommendationsAsync(new ListRecommendationsRequest { PageSize = 2, PageToken = first.NextPageToken }, deadline: CallDeadline).ResponseAsync)).StatusCode);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task AnonymousGetSessionOmitsPrivateFields(GrpcWebMode mode)
    {
        using var browser = host.Client(mode);

        var open = await browser.Sessions().GetSessionAsync(new GetSessionRequest { SessionId = "s_demo_ch19" }, deadline: CallDeadline);
        var signedIn = await browser.Sessions(host.ViewerToken).GetSessionAsync(new GetSessionRequest { SessionId = "s_demo_ch19" }, deadline: CallDeadline);

        Assert.Equal("经济基础第19章考点梳理", open.Title);
        Assert.Equal("万红coco", open.InstructorName);
        Assert.Equal(54, open.ReservationCount);
        Assert.Equal(signedIn.PlannedStart, open.PlannedStart);
        Assert.Equal(signedIn.Description, open.Description);
        Assert.Empty(open.InstructorId);
        Assert.Equal(0, open.Version);
        Assert.Null(open.CreateTime);
        Assert.Null(open.UpdateTime);
        Assert.Empty(open.CancelReason);
        Assert.False(open.ReservedByMe);
        // The same call with a token has them.
        Assert.Equal("u_demo_wanhongcoco", signedIn.InstructorId);
        Assert.NotEqual(0, signedIn.Version);
        Assert.NotNull(signedIn.CreateTime);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task AnonymousWatcherSeesCountsButIsNotCounted(GrpcWebMode mode)
    {
        using var browser = host.Client(mode);
        using var cancel = new CancellationTokenSource(Deadline);
        using var anonymous = browser.Presence().WatchSession(new WatchSessionRequest { SessionId = "s_demo_test2" }, cancellationToken: cancel.Token);
        var snapshot = await Next(anonymous, cancel.Token);
        Assert.Equal(WatchSessionUpdate.Types.Kind.Snapshot, snapshot.Kind);
        Assert.Equal(LearnHub.Api.V1.SessionStatus.Live, snapshot.State.Status);
        // The theory's other case used the same viewer on this host: wait for its stream to be gone from the count.
        var before = snapshot.State.Watching;
        while (before != 0)
        {
            if (await Next(anonymous, cancel.Token) is { Kind: WatchSessionUpdate.Types.Kind.Viewers } settled)
            {
                before = settled.State.Watching;
            }
        }

        // A signed-in viewer joins over native gRPC: the anonymous stream hears the count go up by one, not two.
        using var channel = host.NativeChannel();
        using var viewer = new PresenceService.PresenceServiceClient(LiveServer.Authorized(channel, host.ViewerToken))
            .WatchSession(new WatchSessionRequest { SessionId = "s_demo_test2" }, cancellationToken: cancel.Token);
        Assert.Equal(before + 1, (await Next(viewer, cancel.Token)).State.Watching);
        WatchSessionUpdate update;
        do
        {
            update = await Next(anonymous, cancel.Token);
        }
        while (update.Kind != WatchSessionUpdate.Types.Kind.Viewers || update.State.Watching != before + 1);

        // A second anonymous watcher sees the same count.
        using var another = browser.Presence().WatchSession(new WatchSessionRequest { SessionId = "s_demo_test2" }, cancellationToken: cancel.Token);
        Assert.Equal(before + 1, (await Next(another, cancel.Token)).State.Watching);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task EveryOtherMethodIsUnauthenticatedWithoutAToken(GrpcWebMode mode)
    {
        using var browser = host.Client(mode);
        var invoker = browser.Invoker();
        var checkedMethods = new List<string>();
        foreach (var service in ApiServices())
        {
            foreach (var method in service.Methods)
            {
                var path = $"/{service.FullName}/{method.Name}";
                if (PublicMethods.Contains(path))
                {
                    continue;
                }
                var refusal = await Assert.ThrowsAsync<RpcException>(() => CallWithEmptyRequest(invoker, service, method));
                Assert.True(refusal.StatusCode == StatusCode.Unauthenticated, $"{path}: {refusal.Status}");
                Assert.Equal("TOKEN_MISSING", refusal.GetRpcStatus()?.GetDetail<ErrorInfo>()?.Reason);
                checkedMethods.Add(path);
            }
        }
        Assert.Contains("/learnhub.v1.SessionService/CreateSession", checkedMethods);
        Assert.Contains("/learnhub.v1.PresenceService/GetSessionStats", checkedMethods);
        Assert.Contains("/learnhub.v1.SessionService/ListSessions", checkedMethods);
    }

    [Fact]
    public void PublicMethodsAreExactlyThoseMarkedAllowAnonymousOnAuthorizedServices()
    {
        // Every gRPC service of the server: a class deriving from a generated base ([BindServiceMethod]).
        var services = typeof(LearnHub.Server.Sessions.SessionGrpcService).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && t.BaseType?.GetCustomAttributes(typeof(BindServiceMethodAttribute), false).Length > 0)
            .ToList();
        Assert.Contains(typeof(LearnHub.Server.Presence.PresenceGrpcService), services);
        Assert.NotEmpty(services);
        var open = new List<string>();
        foreach (var service in services)
        {
            Assert.True(service.GetCustomAttributes(typeof(AuthorizeAttribute), true).Length > 0, $"{service.Name} declares no [Authorize]");
            Assert.Empty(service.GetCustomAttributes(typeof(AllowAnonymousAttribute), true));
            var descriptor = (ServiceDescriptor)service.BaseType!.DeclaringType!.GetProperty("Descriptor")!.GetValue(null)!;
            foreach (var method in service.GetMethods().Where(m => m.DeclaringType == service && m.GetCustomAttributes(typeof(AllowAnonymousAttribute), true).Length > 0))
            {
                open.Add($"/{descriptor.FullName}/{method.Name}");
            }
        }
        Assert.Equal(PublicMethods.Order(StringComparer.Ordinal), open.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task PreflightFromTheAllowedOriginIsAnsweredAndFromAnotherIsNot()
    {
        using var http = new HttpClient();
        using var allowed = await http.SendAsync(Preflight(host.Server.WebAddress, GrpcWebServer.AllowedOrigin));
        Assert.True(allowed.IsSuccessStatusCode, $"{allowed.StatusCode}");
        Assert.Equal(GrpcWebServer.AllowedOrigin, Header(allowed, "Access-Control-Allow-Origin"));
        Assert.Contains("POST", Header(allowed, "Access-Control-Allow-Methods"), StringComparison.Ordinal);
        var headers = Header(allowed, "Access-Control-Allow-Headers").Split(',', StringSplitOptions.TrimEntries);
        foreach (var header in GrpcWebAccess.AllowedHeaders)
        {
            Assert.Contains(header, headers, StringComparer.OrdinalIgnoreCase);
        }
        Assert.False(allowed.Headers.Contains("Access-Control-Allow-Credentials"), "cookies would be allowed");

        using var other = await http.SendAsync(Preflight(host.Server.WebAddress, "http://evil.example.test"));
        Assert.False(other.Headers.Contains("Access-Control-Allow-Origin"), "another origin was allowed");

        // And the call itself from another origin carries no CORS grant (a browser hides its answer).
        using var browser = host.Client(GrpcWebMode.GrpcWeb, "http://evil.example.test");
        await browser.Sessions().ListRecommendationsAsync(new ListRecommendationsRequest(), deadline: CallDeadline);
        Assert.False(Assert.Single(browser.Responses).Headers.Contains("Access-Control-Allow-Origin"));
    }

    internal static HttpRequestMessage Preflight(string webAddress, string origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, $"{webAddress}/learnhub.v1.SessionService/ListRecommendations");
        request.Headers.TryAddWithoutValidation("Origin", origin);
        request.Headers.TryAddWithoutValidation("Access-Control-Request-Method", "POST");
        request.Headers.TryAddWithoutValidation("Access-Control-Request-Headers", "content-type,x-grpc-web,x-user-agent,authorization,accept-language,grpc-timeout");
        return request;
    }

    internal static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values)
        : response.Content.Headers.TryGetValues(name, out var content) ? string.Join(",", content) : "";

    internal static async Task<WatchSessionUpdate> Next(AsyncServerStreamingCall<WatchSessionUpdate> call, CancellationToken ct)
    {
        Assert.True(await call.ResponseStream.MoveNext(ct), "the stream ended");
        return call.ResponseStream.Current;
    }

    internal static IEnumerable<ServiceDescriptor> ApiServices() =>
        new[]
        {
            SessionsReflection.Descriptor, PresenceReflection.Descriptor, IdentityReflection.Descriptor, NotificationsReflection.Descriptor,
            AdminReflection.Descriptor, BroadcastsReflection.Descriptor, DiagnosticsReflection.Descriptor,
        }.SelectMany(f => f.Services);

    /// <summary>Calls any method with an empty request (a valid message of every type) and reads its answer.</summary>
    internal static async Task CallWithEmptyRequest(CallInvoker invoker, ServiceDescriptor service, MethodDescriptor method)
    {
        var marshaller = Marshallers.Create(b => b, b => b);
        var type = method.IsServerStreaming ? MethodType.ServerStreaming : MethodType.Unary;
        var rpc = new Method<byte[], byte[]>(type, service.FullName, method.Name, marshaller, marshaller);
        var options = new CallOptions(deadline: CallDeadline);
        if (method.IsServerStreaming)
        {
            using var call = invoker.AsyncServerStreamingCall(rpc, null, options, []);
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
            }
            return;
        }
        using var unary = invoker.AsyncUnaryCall(rpc, null, options, []);
        await unary.ResponseAsync;
    }
}
