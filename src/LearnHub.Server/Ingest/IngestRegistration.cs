namespace LearnHub.Server.Ingest;

/// <summary>RTMP ingest: settings, the publish callbacks nginx calls on the web port.</summary>
public static class IngestRegistration
{
    public const string OnPublishPath = "/ingest/rtmp/on_publish";
    public const string OnPublishDonePath = "/ingest/rtmp/on_publish_done";

    public static WebApplicationBuilder AddRtmpIngest(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        IngestSettings.ThrowIfInvalid(builder.Configuration);
        builder.Services.AddOptions<IngestOptions>().BindConfiguration(IngestOptions.Section);
        builder.Services.AddSingleton<IngestCallbacks>();
        builder.Services.AddSingleton<StreamKeyVault>();
        return builder;
    }

    /// <summary>Anonymous endpoints: nginx sends no credentials; the secret in the URL (and the allow-list) say who calls.</summary>
    public static IEndpointRouteBuilder MapRtmpIngest(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapPost(OnPublishPath, (HttpContext http, IngestCallbacks callbacks, CancellationToken ct) => callbacks.OnPublishAsync(http, ct))
            .AllowAnonymous().DisableAntiforgery();
        app.MapPost(OnPublishDonePath, (HttpContext http, IngestCallbacks callbacks, CancellationToken ct) => callbacks.OnPublishDoneAsync(http, ct))
            .AllowAnonymous().DisableAntiforgery();
        return app;
    }
}
