using System.Diagnostics;

namespace LearnHub.Server.Telemetry;

/// <summary>The product's spans (activity source <c>LearnHub</c>): scheduler jobs and store calls.</summary>
public static class LearnHubTracing
{
    public const string SourceName = "LearnHub";

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>Marks <paramref name="activity"/> failed with the exception's type (its message may carry user text).</summary>
    public static void Fail(this Activity? activity, Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        activity?.SetStatus(ActivityStatusCode.Error, exception.GetType().Name);
        activity?.SetTag("error.type", exception.GetType().FullName);
    }
}
