using System.Globalization;

namespace LearnHub.Bench.Watch;

/// <summary>A user of the run and its bearer token. Roles: holder, burst, toggler, stalled, dashboard.</summary>
public sealed record BenchUser(string Role, string Handle, string Token);

public sealed record WatchOptions
{
    public required Uri Grpc { get; init; }

    public required Uri Web { get; init; }

    public required IReadOnlyList<BenchUser> Users { get; init; }

    public string SessionId { get; init; } = "s_demo_test2";

    /// <summary>The server processes (one per node): memory and CPU figures are their sums.</summary>
    public IReadOnlyList<int> ServerPids { get; init; } = [];

    /// <summary>
    /// Where the held streams go: connection c to node c mod count (default: <see cref="Grpc"/>). With several nodes
    /// the held streams are split evenly over them.
    /// </summary>
    public IReadOnlyList<Uri> HoldGrpc { get; init; } = [];

    /// <summary>Where the join bursts go (default: <see cref="Grpc"/>); another node than the dashboard's = the cross-node path.</summary>
    public Uri? BurstGrpc { get; init; }

    /// <summary>Streams each holder user opens; holders × this = streams held.</summary>
    public int StreamsPerUser { get; init; } = 100;

    /// <summary>Streams per HTTP/2 connection (Kestrel allows 100 concurrent streams per connection).</summary>
    public int StreamsPerConnection { get; init; } = 100;

    /// <summary>How long the streams are held, from the moment the last one opened.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Streams each burst user opens in one burst.</summary>
    public int BurstStreams { get; init; } = 20;

    public int Bursts { get; init; } = 100;

    /// <summary>Holder connections opened at once (their streams all together), before waiting for their snapshots.</summary>
    public int OpenWave { get; init; } = 10;

    public int WarmupBursts { get; init; } = 3;

    /// <summary>Count changes per isolation phase (half joins, half leaves of the toggling viewer).</summary>
    public int Changes { get; init; } = 30;

    public TimeSpan ChangeInterval { get; init; } = TimeSpan.FromMilliseconds(2000);

    /// <summary>Baseline + stalled pairs.</summary>
    public int Rounds { get; init; } = 2;

    public IEnumerable<BenchUser> Role(string role) => Users.Where(u => u.Role == role);

    public static WatchOptions Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            values[args[i]] = args[i + 1];
        }
        int Int(string name, int fallback) => values.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        var users = File.ReadAllLines(values["--tokens"])
            .Where(l => l.Length > 0)
            .Select(l => l.Split('\t'))
            .Select(p => new BenchUser(p[0], p[1], p[2]))
            .ToList();
        var options = new WatchOptions
        {
            Grpc = new Uri(values["--grpc"]),
            Web = new Uri(values["--web"]),
            Users = users,
        };
        return options with
        {
            SessionId = values.GetValueOrDefault("--session", options.SessionId),
            ServerPids = values.TryGetValue("--server-pid", out var pids) ? pids.Split(',').Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToList() : [],
            HoldGrpc = values.TryGetValue("--hold-grpc", out var hold) ? hold.Split(',').Select(u => new Uri(u)).ToList() : [options.Grpc],
            BurstGrpc = values.TryGetValue("--burst-grpc", out var burst) ? new Uri(burst) : options.Grpc,
            StreamsPerUser = Int("--streams-per-user", options.StreamsPerUser),
            StreamsPerConnection = Int("--streams-per-connection", options.StreamsPerConnection),
            Duration = TimeSpan.FromSeconds(Int("--duration", (int)options.Duration.TotalSeconds)),
            BurstStreams = Int("--burst-streams", options.BurstStreams),
            Bursts = Int("--bursts", options.Bursts),
            OpenWave = Int("--open-wave", options.OpenWave),
            WarmupBursts = Int("--warmup-bursts", options.WarmupBursts),
            Changes = Int("--changes", options.Changes),
            ChangeInterval = TimeSpan.FromMilliseconds(Int("--change-interval-ms", (int)options.ChangeInterval.TotalMilliseconds)),
            Rounds = Int("--rounds", options.Rounds),
        };
    }
}
