namespace LearnHub.Server.Sessions;

public static class SessionReadRegistration
{
    /// <summary>GetSession and 直播推荐 from memory: <see cref="SessionReadCache"/> and <see cref="RecommendationsSnapshot"/>.</summary>
    public static IServiceCollection AddSessionReads(this IServiceCollection services)
    {
        services.AddOptions<SessionReadOptions>().BindConfiguration(SessionReadOptions.Section);
        services.AddSingleton<SessionReadCache>();
        services.AddSingleton<RecommendationsSnapshot>();
        services.AddHostedService(sp => sp.GetRequiredService<RecommendationsSnapshot>());
        return services;
    }
}
