namespace LearnHub.Server.Grpc;

public static class MalformedRequests
{
    /// <summary>
    /// Malformed input is INVALID_ARGUMENT naming the field: undecodable messages (see <see cref="UndecodableRequests"/>)
    /// and page tokens the server did not issue (<see cref="PageTokens"/>). Call after every AddGrpc* registration.
    /// </summary>
    public static IServiceCollection AddMalformedRequestRefusals(this IServiceCollection services)
    {
        services.AddSingleton<PageTokens>();
        return services.RefuseUndecodableRequests();
    }
}
