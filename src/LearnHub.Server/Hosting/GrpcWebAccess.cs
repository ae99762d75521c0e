using System.IO.Pipelines;
using Grpc.AspNetCore.Server;
using Grpc.AspNetCore.Web;
using LearnHub.Server.Grpc;
using Microsoft.AspNetCore.Http.Features;

namespace LearnHub.Server.Hosting;

/// <summary>Browsers' access to the API (section "Web").</summary>
public sealed class WebAccessOptions
{
    public const string Section = "Web";

    /// <summary>
    /// Exact origins (scheme, host and port, e.g. https://www.example.com) whose pages may call the API over gRPC-Web.
    /// Empty: no cross-origin calls (same-origin pages and non-browser clients still can).
    /// </summary>
    public string[] CorsOrigins { get; set; } = [];
}

/// <summary>
/// gRPC-Web on every gRPC service, and CORS for the configured origins. A gRPC-Web call is an API call like any other
/// (bearer token or anonymous, never the console cookie: see <see cref="GrpcTrailersOnly.IsGrpcRequest"/>), so both
/// run first: a preflight is answered before anything else, and every later refusal written by hand (shutdown, store
/// faults, authentication, rate limits) goes through the gRPC-Web translation and carries the CORS headers.
/// </summary>
public static class GrpcWebAccess
{
    public const string CorsPolicy = "grpc-web";

    /// <summary>What a browser client must be able to read: the status of a trailers-only answer travels in headers.</summary>
    public static readonly string[] ExposedHeaders = ["grpc-status", "grpc-message", "grpc-status-details-bin"];

    public static readonly string[] AllowedHeaders = ["content-type", "x-grpc-web", "x-user-agent", "authorization", "accept-language", "grpc-timeout"];

    public static WebApplicationBuilder AddGrpcWebAccess(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var origins = ReadOrigins(builder.Configuration);
        ThrowIfLimitsInvalid(builder.Configuration);
        builder.Services.AddOptions<WebAccessOptions>().BindConfiguration(WebAccessOptions.Section);
        // No AllowCredentials: the API never reads cookies, and a browser then sends none cross-origin.
        builder.Services.AddCors(cors => cors.AddPolicy(CorsPolicy, policy => policy
            .WithOrigins(origins)
            .WithMethods(HttpMethods.Post)
            .WithHeaders(AllowedHeaders)
            .WithExposedHeaders(ExposedHeaders)
            .SetPreflightMaxAge(TimeSpan.FromHours(1))));
        return builder;
    }

    /// <summary>Call first in the pipeline (see the class remarks).</summary>
    public static WebApplication UseGrpcWebAccess(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseWhen(IsGrpcCall, api => api.UseCors(CorsPolicy));
        // Every service: the public reads are what browsers call, and any other method gets its UNAUTHENTICATED or its
        // answer in a form a browser can read. A -text body that is not base64 is INVALID_ARGUMENT (grpc-dotnet would
        // answer UNKNOWN for the decoder's exception); the branch rejoins the pipeline as a plain gRPC request.
        var options = new GrpcWebOptions { DefaultEnabled = true };
        app.UseWhen(IsGrpcWebText, text => text.UseGrpcWeb(options).Use(RefuseUndecodableText));
        app.UseGrpcWeb(options);
        return app;
    }

    private static bool IsGrpcWebText(HttpContext http) =>
        http.Request.ContentType?.StartsWith("application/grpc-web-text", StringComparison.OrdinalIgnoreCase) ?? false;

    private static Task RefuseUndecodableText(HttpContext http, RequestDelegate next)
    {
        if (http.Features.Get<IRequestBodyPipeFeature>() is { } body)
        {
            http.Features.Set<IRequestBodyPipeFeature>(new Base64Guard(body.Reader));
        }
        return next(http);
    }

    /// <summary>gRPC-Web's base64 decoder, its failures (not base64, cut short) turned into INVALID_ARGUMENT.</summary>
    private sealed class Base64Guard(PipeReader decoder) : PipeReader, IRequestBodyPipeFeature
    {
        public PipeReader Reader => this;

        public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
        {
            try
            {
                return await decoder.ReadAsync(cancellationToken);
            }
            catch (InvalidOperationException)
            {
                throw RpcErrors.Invalid([new LearnHub.Core.Common.FieldError("", LearnHub.Core.Common.LocalizedText.Pick(
                    "请求无法解码：application/grpc-web-text 的正文不是有效的 base64。", "The request could not be read: its application/grpc-web-text body is not valid base64."))]);
            }
        }

        public override bool TryRead(out ReadResult result) => decoder.TryRead(out result);

        public override void AdvanceTo(SequencePosition consumed) => decoder.AdvanceTo(consumed);

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => decoder.AdvanceTo(consumed, examined);

        public override void CancelPendingRead() => decoder.CancelPendingRead();

        public override void Complete(Exception? exception = null) => decoder.Complete(exception);
    }

    /// <summary>A gRPC or gRPC-Web request, or a CORS preflight for a gRPC method (routing matched it to the method).</summary>
    private static bool IsGrpcCall(HttpContext http) =>
        GrpcTrailersOnly.IsGrpcRequest(http) || http.GetEndpoint()?.Metadata.GetMetadata<GrpcMethodMetadata>() is not null;

    private static void ThrowIfLimitsInvalid(IConfiguration configuration)
    {
        var rates = configuration.GetSection(RateLimitOptions.Section).Get<RateLimitOptions>() ?? new RateLimitOptions();
        var presence = configuration.GetSection(Presence.PresenceOptions.Section).Get<Presence.PresenceOptions>() ?? new Presence.PresenceOptions();
        if (rates.AnonymousReadsPerSecond < 1 || rates.AnonymousReadBurst < 1 || presence.MaxAnonymousStreamsPerAddress < 0)
        {
            throw new StartupRefusedException("RateLimits:AnonymousReadsPerSecond and RateLimits:AnonymousReadBurst must each be at least 1, Presence:MaxAnonymousStreamsPerAddress at least 0 (0: no token-less watch streams).");
        }
    }

    /// <summary>The configured origins; anything but an exact http(s) origin stops the start with one line.</summary>
    public static string[] ReadOrigins(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection($"{WebAccessOptions.Section}:{nameof(WebAccessOptions.CorsOrigins)}");
        // A single value (an environment variable Web__CorsOrigins) counts as a list of one; an empty JSON array reads
        // as an empty value.
        var values = section.Value is { Length: > 0 } single ? [single]
            : section.GetChildren().Select(c => c.Value ?? "").Where(v => v.Length > 0).ToArray();
        var origins = new List<string>(values.Length);
        foreach (var value in values)
        {
            var origin = value.Trim();
            if (origin == "*")
            {
                throw new StartupRefusedException("Web:CorsOrigins contains '*'; list each site's exact origin instead, like https://www.example.com (any origin would let every page on the web call the API with its visitors' addresses).");
            }
            if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")
                || uri.UserInfo.Length > 0 || uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.AbsolutePath != "/"
                || origin.EndsWith('/') || origin.Contains('*', StringComparison.Ordinal))
            {
                throw new StartupRefusedException($"Web:CorsOrigins has '{value}', not an origin: write the scheme, host and port only, like https://www.example.com or http://localhost:8080.");
            }
            origins.Add(uri.GetLeftPart(UriPartial.Authority));
        }
        return [.. origins];
    }
}
