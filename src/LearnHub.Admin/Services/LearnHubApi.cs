using System.Collections.Concurrent;
using System.Globalization;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using LearnHub.Api.V1;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.Options;

namespace LearnHub.Admin.Services;

/// <summary>The HTTP/2 connection pool from the admin to the host's gRPC endpoint, shared by every circuit.</summary>
public sealed class AdminGrpcConnection(IOptions<AdminOptions> options) : IDisposable
{
    public SocketsHttpHandler Handler { get; } = new() { EnableMultipleHttp2Connections = true, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) };

    public Uri Address { get; } = new(options.Value.GrpcAddress);

    public void Dispose() => Handler.Dispose();
}

/// <summary>
/// The gRPC clients of one circuit, calling as its signed-in user: each call carries a fresh short-lived token, so
/// the API's own authentication, authorization and validation decide — the UI holds no second copy of the rules.
/// </summary>
public sealed class LearnHubApi : IDisposable
{
    /// <summary>A page waits at most this long for the API before it shows an error.</summary>
    public static readonly TimeSpan CallDeadline = TimeSpan.FromSeconds(15);

    private readonly GrpcChannel? channel;
    private readonly CallInvoker invoker;

    /// <summary>For component tests: calls go to <paramref name="invoker"/> (e.g. a fake that answers per method).</summary>
    internal LearnHubApi(CallInvoker invoker) => this.invoker = invoker;

    public LearnHubApi(AdminGrpcConnection connection, AuthenticationStateProvider authentication, IApiTokenSource tokens)
    {
        var bearer = CallCredentials.FromInterceptor(async (_, metadata) =>
        {
            var state = await authentication.GetAuthenticationStateAsync();
            metadata.Add("authorization", $"Bearer {tokens.IssueFor(state.User)}");
        });
        channel = GrpcChannel.ForAddress(connection.Address, new GrpcChannelOptions
        {
            HttpHandler = connection.Handler,
            DisposeHttpClient = false,
            Credentials = ChannelCredentials.Create(ChannelCredentials.Insecure, bearer),
            // Loopback to our own process: the token never leaves the machine.
            UnsafeUseInsecureChannelCallCredentials = true,
        });
        invoker = channel.Intercept(new DeadlineInterceptor());
    }

    public SessionService.SessionServiceClient Sessions => new(invoker);

    public CourseService.CourseServiceClient Courses => new(invoker);

    public NotificationService.NotificationServiceClient Notifications => new(invoker);

    public IdentityService.IdentityServiceClient Identity => new(invoker);

    public AdminService.AdminServiceClient Admin => new(invoker);

    public PresenceService.PresenceServiceClient Presence => new(invoker);

    public FollowService.FollowServiceClient Follows => new(invoker);

    public BroadcastService.BroadcastServiceClient Broadcasts => new(invoker);

    public InboxService.InboxServiceClient Inbox => new(invoker);

    public void Dispose() => channel?.Dispose();

    /// <summary>
    /// Gives every call without a deadline the admin's default one, and the circuit's language as <c>accept-language</c>
    /// so that the API's refusals come back in it (a user's saved language wins on the server anyway).
    /// </summary>
    private sealed class DeadlineInterceptor : Interceptor
    {
        // One entry per culture, shared by every call: a header costs no allocation beyond the call's own metadata.
        private static readonly ConcurrentDictionary<string, Metadata.Entry> LanguageEntries = new(StringComparer.Ordinal);

        public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(
            TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncUnaryCallContinuation<TRequest, TResponse> continuation) =>
            continuation(request, Prepare(context, withDeadline: true));

        public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(
            TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncServerStreamingCallContinuation<TRequest, TResponse> continuation) =>
            continuation(request, Prepare(context, withDeadline: false));

        private static ClientInterceptorContext<TRequest, TResponse> Prepare<TRequest, TResponse>(ClientInterceptorContext<TRequest, TResponse> context, bool withDeadline)
            where TRequest : class
            where TResponse : class
        {
            var options = context.Options;
            if (withDeadline && options.Deadline is null)
            {
                options = options.WithDeadline(DateTime.UtcNow + CallDeadline);
            }
            var headers = options.Headers ?? [];
            if (headers.Get("accept-language") is null)
            {
                var culture = CultureInfo.CurrentUICulture.Name;
                headers.Add(LanguageEntries.GetOrAdd(culture.Length == 0 ? "zh-CN" : culture, name => new Metadata.Entry("accept-language", name)));
            }
            return new ClientInterceptorContext<TRequest, TResponse>(context.Method, context.Host, options.WithHeaders(headers));
        }
    }
}
