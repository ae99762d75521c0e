using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;
using Google.Rpc;
using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.Client.Web;
using LearnHub.Api.V1;
using LearnHub.Server.Tests.Presence;

namespace LearnHub.Server.Tests.Web;

/// <summary>
/// Refusals as a browser's gRPC-Web client reads them: answers written before gRPC runs (authentication, rate limits)
/// have gRPC-Web's content type, the status where gRPC-Web puts it and the CORS grant; undecodable bodies are
/// INVALID_ARGUMENT; an invalid token is refused even on the public reads.
/// </summary>
public sealed class GrpcWebRefusalTests(GrpcWebServer host) : IClassFixture<GrpcWebServer>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private static DateTime CallDeadline => DateTime.UtcNow.Add(Deadline);

    [Theory]
    [InlineData("application/grpc-web+proto")]
    [InlineData("application/grpc-web-text")]
    public async Task A_refusal_before_gRPC_runs_is_a_gRPC_Web_trailers_only_answer_a_browser_may_read(string contentType)
    {
        using var http = new HttpClient();
        using var request = RawCall(host.Server.WebAddress + "/learnhub.v1.SessionService/ListMyReservations", contentType, Frame([]));

        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // The gRPC-Web content type (application/grpc would fail a browser client's check).
        Assert.StartsWith(contentType.Replace("+proto", "", StringComparison.Ordinal), response.Content.Headers.ContentType?.MediaType ?? "", StringComparison.Ordinal);
        Assert.Equal("16", GrpcWebTests.Header(response, "grpc-status"));
        var details = Google.Rpc.Status.Parser.ParseFrom(Convert.FromBase64String(GrpcWebTests.Header(response, "grpc-status-details-bin")));
        Assert.Equal("TOKEN_MISSING", details.Details.Select(d => d.TryUnpack<ErrorInfo>(out var info) ? info.Reason : null).Single(r => r is not null));
        Assert.Empty(body);
        Assert.Equal(GrpcWebServer.AllowedOrigin, GrpcWebTests.Header(response, "Access-Control-Allow-Origin"));
    }

    [Theory]
    [MemberData(nameof(GrpcWebTests.Modes), MemberType = typeof(GrpcWebTests))]
    public async Task An_undecodable_message_is_INVALID_ARGUMENT_not_UNKNOWN(GrpcWebMode mode)
    {
        using var browser = host.Client(mode);
        var marshaller = Marshallers.Create(b => b, b => b);
        var method = new Method<byte[], byte[]>(MethodType.Unary, "learnhub.v1.SessionService", "GetSession", marshaller, marshaller);
        // Field 1 (session_id) says 100 bytes follow; two do.
        var refusal = await Assert.ThrowsAsync<RpcException>(() =>
            browser.Invoker().AsyncUnaryCall(method, null, new CallOptions(deadline: CallDeadline), [0x0A, 0x64, 0x41, 0x42]).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, refusal.StatusCode);
    }

    [Fact]
    public async Task A_gRPC_Web_text_body_that_is_not_base64_is_INVALID_ARGUMENT_not_UNKNOWN()
    {
        using var http = new HttpClient();
        using var request = RawCall(host.Server.WebAddress + "/learnhub.v1.SessionService/GetSession", "application/grpc-web-text", "@@@@ not base64 @@@@"u8.ToArray());

        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var status = GrpcWebTests.Header(response, "grpc-status") is { Length: > 0 } header ? header : TrailerStatus(body);
        Assert.True(status == "3", $"grpc-status {status}; body {body}");
    }

    [Fact]
    public async Task A_console_cookie_does_not_authenticate_a_gRPC_Web_call()
    {
        await using var app = await Infrastructure.LearnHubApp.StartAsync();
        var viewer = await app.CreateUserAsync("cookie-viewer");
        using var console = await ConsoleBrowser.SignedInAsync(app, viewer);
        var cookie = string.Join("; ", console.Cookies.Select(c => $"{c.Key}={c.Value}"));
        using var channel = GrpcChannel.ForAddress(app.Server.BaseAddress, new GrpcChannelOptions
        {
            HttpHandler = new GrpcWebHandler(GrpcWebMode.GrpcWeb, new CookieSender(cookie) { InnerHandler = app.Server.CreateHandler() }),
        });
        var sessions = new SessionService.SessionServiceClient(channel);

        var refusal = await Assert.ThrowsAsync<RpcException>(() => sessions.ListMyReservationsAsync(new ListMyReservationsRequest(), deadline: CallDeadline).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, refusal.StatusCode);
        Assert.Equal("TOKEN_MISSING", refusal.GetRpcStatus()?.GetDetail<ErrorInfo>()?.Reason);
        // With the token the same channel works: the cookie was the only thing missing.
        var withToken = new SessionService.SessionServiceClient(LiveServer.Authorized(channel, viewer.Token));
        await withToken.ListMyReservationsAsync(new ListMyReservationsRequest(), deadline: CallDeadline);
    }

    [Theory]
    [MemberData(nameof(GrpcWebTests.Modes), MemberType = typeof(GrpcWebTests))]
    public async Task A_public_read_with_an_invalid_token_is_UNAUTHENTICATED_not_served_anonymously(GrpcWebMode mode)
    {
        using var browser = host.Client(mode);

        var refusal = await Assert.ThrowsAsync<RpcException>(() =>
            browser.Sessions("not-a-token").ListRecommendationsAsync(new ListRecommendationsRequest(), deadline: CallDeadline).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, refusal.StatusCode);
        Assert.Equal("TOKEN_INVALID", refusal.GetRpcStatus()?.GetDetail<ErrorInfo>()?.Reason);
    }

    internal static HttpRequestMessage RawCall(string url, string contentType, byte[] body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Version = HttpVersion.Version11 };
        request.Headers.TryAddWithoutValidation("Origin", GrpcWebServer.AllowedOrigin);
        request.Headers.TryAddWithoutValidation("x-grpc-web", "1");
        // The answer's encoding follows Accept (gRPC-Web protocol): a -text caller asks for -text.
        request.Headers.TryAddWithoutValidation("Accept", contentType);
        request.Content = new ByteArrayContent(contentType.EndsWith("-text", StringComparison.Ordinal) && body.Length > 0 && body[0] == 0
            ? System.Text.Encoding.ASCII.GetBytes(Convert.ToBase64String(body))
            : body);
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return request;
    }

    /// <summary>A gRPC length-prefixed message frame.</summary>
    internal static byte[] Frame(byte[] message)
    {
        var frame = new byte[5 + message.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(1), message.Length);
        message.CopyTo(frame, 5);
        return frame;
    }

    /// <summary>grpc-status from a gRPC-Web trailer frame in a (text) body.</summary>
    private static string TrailerStatus(string body)
    {
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(body);
        }
        catch (FormatException)
        {
            bytes = System.Text.Encoding.ASCII.GetBytes(body);
        }
        var text = System.Text.Encoding.ASCII.GetString(bytes);
        var at = text.IndexOf("grpc-status:", StringComparison.Ordinal);
        return at < 0 ? "none" : text[(at + 12)..].Trim().Split('\r', '\n')[0].Trim();
    }

    private sealed class CookieSender(string cookie) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.TryAddWithoutValidation("Cookie", cookie);
            return base.SendAsync(request, cancellationToken);
        }
    }
}

/// <summary>The per-address bucket of token-less reads: RESOURCE_EXHAUSTED with RetryInfo.</summary>
public sealed class GrpcWebRateLimitTests(GrpcWebRateLimitedServer host) : IClassFixture<GrpcWebRateLimitedServer>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private static DateTime CallDeadline => DateTime.UtcNow.Add(Deadline);

    [Fact]
    public async Task Token_less_reads_past_the_address_burst_are_refused_while_signed_in_reads_go_on()
    {
        using var browser = host.Client(GrpcWebMode.GrpcWeb);
        var sessions = browser.Sessions();
        RpcException? refusal = null;
        // Burst 5 at 1 per second: within a dozen quick calls one is refused.
        for (var i = 0; i < 12 && refusal is null; i++)
        {
            try
            {
                await sessions.GetSessionAsync(new GetSessionRequest { SessionId = "s_demo_ch19" }, deadline: CallDeadline);
            }
            catch (RpcException e)
            {
                refusal = e;
            }
        }

        Assert.NotNull(refusal);
        Assert.Equal(StatusCode.ResourceExhausted, refusal.StatusCode);
        var status = refusal.GetRpcStatus();
        Assert.Equal("RATE_LIMITED", status?.GetDetail<ErrorInfo>()?.Reason);
        Assert.NotNull(status?.GetDetail<RetryInfo>()?.RetryDelay);
        // The signed-in viewer's own bucket is untouched.
        await browser.Sessions(host.ViewerToken).GetSessionAsync(new GetSessionRequest { SessionId = "s_demo_ch19" }, deadline: CallDeadline);
    }

    [Fact]
    public async Task A_forwarded_address_from_a_proxy_the_server_does_not_trust_changes_nothing()
    {
        using var browser = host.Client(GrpcWebMode.GrpcWeb);
        Assert.Equal(StatusCode.ResourceExhausted, await GrpcWebBehindProxyTests.ExhaustAsync(browser));

        // The same client claiming to be someone else is still the same address.
        browser.ForwardedFor = "192.0.2.44";
        var refused = await Assert.ThrowsAsync<RpcException>(() => browser.Sessions().GetSessionAsync(new GetSessionRequest { SessionId = "s_demo_ch19" }, deadline: CallDeadline).ResponseAsync);
        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
    }

}

/// <summary>Behind a trusted reverse proxy each visitor has a bucket of their own; elsewhere the header changes nothing.</summary>
public sealed class GrpcWebBehindProxyTests(GrpcWebBehindProxyServer host) : IClassFixture<GrpcWebBehindProxyServer>
{
    private static DateTime CallDeadline => DateTime.UtcNow.AddSeconds(30);

    [Fact]
    public async Task Visitors_forwarded_by_a_trusted_proxy_are_limited_each_by_their_own_address()
    {
        using var first = host.Client(GrpcWebMode.GrpcWeb);
        first.ForwardedFor = "203.0.113.7";
        Assert.Equal(StatusCode.ResourceExhausted, await ExhaustAsync(first));

        // Another visitor through the same proxy still reads; so does an IPv6 visitor.
        using var second = host.Client(GrpcWebMode.GrpcWeb);
        second.ForwardedFor = "198.51.100.9";
        await second.Sessions().GetSessionAsync(new GetSessionRequest { SessionId = "s_demo_ch19" }, deadline: CallDeadline);
        using var third = host.Client(GrpcWebMode.GrpcWebText);
        third.ForwardedFor = "2001:db8::1";
        await third.Sessions().GetSessionAsync(new GetSessionRequest { SessionId = "s_demo_ch19" }, deadline: CallDeadline);
    }

    /// <summary>Reads until one is refused (burst 5 at 1 per second: within a dozen quick calls); its status.</summary>
    internal static async Task<StatusCode> ExhaustAsync(GrpcWebClient client)
    {
        for (var i = 0; i < 12; i++)
        {
            try
            {
                await client.Sessions().GetSessionAsync(new GetSessionRequest { SessionId = "s_demo_ch19" }, deadline: CallDeadline);
            }
            catch (RpcException e)
            {
                return e.StatusCode;
            }
        }
        return StatusCode.OK;
    }
}

/// <summary>The per-address cap of token-less watch streams: RESOURCE_EXHAUSTED with RetryInfo.</summary>
public sealed class GrpcWebStreamCapTests(GrpcWebStreamCappedServer host) : IClassFixture<GrpcWebStreamCappedServer>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Token_less_watch_streams_past_the_address_cap_are_refused_and_a_closed_one_frees_its_slot()
    {
        using var browser = host.Client(GrpcWebMode.GrpcWebText);
        using var cancel = new CancellationTokenSource(Deadline);
        var request = new WatchSessionRequest { SessionId = "s_demo_test2" };
        using var first = browser.Presence().WatchSession(request, cancellationToken: cancel.Token);
        await GrpcWebTests.Next(first, cancel.Token);
        using var secondCancel = CancellationTokenSource.CreateLinkedTokenSource(cancel.Token);
        var second = browser.Presence().WatchSession(request, cancellationToken: secondCancel.Token);
        await GrpcWebTests.Next(second, cancel.Token);

        using var third = browser.Presence().WatchSession(request, cancellationToken: cancel.Token);
        var refusal = await Assert.ThrowsAsync<RpcException>(() => third.ResponseStream.MoveNext(cancel.Token));
        Assert.Equal(StatusCode.ResourceExhausted, refusal.StatusCode);
        Assert.Equal("TOO_MANY_STREAMS", refusal.GetRpcStatus()?.GetDetail<ErrorInfo>()?.Reason);
        Assert.NotNull(refusal.GetRpcStatus()?.GetDetail<RetryInfo>());

        // A signed-in viewer is not held by the address's cap.
        using var channel = host.NativeChannel();
        using var viewer = new PresenceService.PresenceServiceClient(LiveServer.Authorized(channel, host.ViewerToken)).WatchSession(request, cancellationToken: cancel.Token);
        await GrpcWebTests.Next(viewer, cancel.Token);

        // Closing one anonymous stream frees its slot (the server hears the cancel when the connection closes).
        await secondCancel.CancelAsync();
        second.Dispose();
        await Infrastructure.Wait.UntilAsync(
            async () =>
            {
                using var again = browser.Presence().WatchSession(request, cancellationToken: cancel.Token);
                try
                {
                    return (await GrpcWebTests.Next(again, cancel.Token)).Kind;
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.ResourceExhausted)
                {
                    return WatchSessionUpdate.Types.Kind.Unspecified;
                }
            },
            kind => kind == WatchSessionUpdate.Types.Kind.Snapshot,
            Deadline,
            "an anonymous stream after one closed");
    }
}
