namespace LearnHub.Server.ScaleOut;

/// <summary>Redis scale-out settings (section "Redis"). Without <see cref="Configuration"/> everything stays in process.</summary>
public sealed class RedisSettings
{
    public const string Section = "Redis";

    /// <summary>A StackExchange.Redis configuration string (e.g. <c>127.0.0.1:6379</c>); empty: one node, no Redis.</summary>
    public string? Configuration { get; set; }

    /// <summary>Prefixes every key and channel, so several clusters (or test runs) can share one Redis.</summary>
    public string ChannelPrefix { get; set; } = "learnhub";

    /// <summary>A node whose heartbeat is older than this is dead: any other node removes its viewers.</summary>
    public TimeSpan NodeTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How often a node refreshes its heartbeat and looks for dead nodes.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(5);

    public static bool IsConfigured(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration[$"{Section}:{nameof(Configuration)}"]);
}

/// <summary>This process's name in the cluster (setting "Cluster:NodeId"; by default machine, process id and a random suffix).</summary>
public sealed class NodeIdentity(string id)
{
    public string Id { get; } = id;

    public static NodeIdentity From(IConfiguration configuration)
    {
        var id = configuration["Cluster:NodeId"] is { Length: > 0 } configured
            ? configured
            : $"{Environment.MachineName}-{Environment.ProcessId}-{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3))}";
        // The id travels inside space-separated pub/sub messages and Redis key names.
        if (id.Any(c => char.IsWhiteSpace(c) || c == ':') || id.Length > 100)
        {
            throw new InvalidOperationException($"Cluster:NodeId '{id}' must be at most 100 characters without spaces or ':'.");
        }
        return new(id);
    }
}
