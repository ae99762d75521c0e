using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace LearnHub.Bench.Watch;

/// <summary>
/// Update latency on the measured streams during one phase. The toggling viewer records each count change (wall
/// clock, UTC ticks, taken just before it opens or cancels its stream) and the count it leads to; a received update is
/// attributed to the latest change made before the server took it (<c>observed_at</c>, same machine clock) and must
/// carry that change's count. Two figures per delivery: change → arrival (end to end, what a viewer sees) and
/// observed_at → arrival (the server's fan-out and delivery only).
/// </summary>
public sealed class UpdateLatency(string name, int capacity, int maxChanges)
{
    private readonly long[] changeTicks = new long[maxChanges];
    private readonly int[] expected = new int[maxChanges];
    private readonly float[] endToEnd = new float[capacity];
    private readonly float[] fanOut = new float[capacity];
    private int changes;
    private int samples;
    private int mismatched;
    private int unattributed;

    public string Name => name;

    public int Changes => Volatile.Read(ref changes);

    public int Samples => Math.Min(Volatile.Read(ref samples), capacity);

    public int Mismatched => Volatile.Read(ref mismatched);

    public int Unattributed => Volatile.Read(ref unattributed);

    public double ServerCpuPercent { get; set; }

    public double ClientCpuPercent { get; set; }

    public double LoadAverage { get; set; }

    /// <summary>Single writer (the toggler).</summary>
    public void AddChange(long ticks, int expectedCount)
    {
        var i = changes;
        changeTicks[i] = ticks;
        expected[i] = expectedCount;
        Volatile.Write(ref changes, i + 1);
    }

    public void Observe(int watching, long observedTicks, long arrivedTicks)
    {
        var i = Volatile.Read(ref changes) - 1;
        while (i >= 0 && changeTicks[i] > observedTicks)
        {
            i--;
        }
        if (i < 0)
        {
            Interlocked.Increment(ref unattributed);
            return;
        }
        if (expected[i] != watching)
        {
            Interlocked.Increment(ref mismatched);
            return;
        }
        var k = Interlocked.Increment(ref samples) - 1;
        if (k < capacity)
        {
            endToEnd[k] = (arrivedTicks - changeTicks[i]) / (float)TimeSpan.TicksPerMillisecond;
            fanOut[k] = (arrivedTicks - observedTicks) / (float)TimeSpan.TicksPerMillisecond;
        }
    }

    public Percentiles EndToEnd() => Percentiles.Of(endToEnd.AsSpan(0, Samples));

    public Percentiles FanOut() => Percentiles.Of(fanOut.AsSpan(0, Samples));
}

public readonly record struct Percentiles(int Count, double P50, double P90, double P99, double Max)
{
    public static Percentiles Of(ReadOnlySpan<float> values)
    {
        if (values.IsEmpty)
        {
            return new Percentiles(0, double.NaN, double.NaN, double.NaN, double.NaN);
        }
        var sorted = values.ToArray();
        Array.Sort(sorted);
        return new Percentiles(sorted.Length, Rank(sorted, 0.50), Rank(sorted, 0.90), Rank(sorted, 0.99), sorted[^1]);
    }

    public static Percentiles Of(IEnumerable<double> values) => Of(values.Select(v => (float)v).ToArray());

    /// <summary>Nearest rank.</summary>
    private static double Rank(float[] sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"n={Count:N0} p50 {P50:F1} ms, p90 {P90:F1} ms, p99 {P99:F1} ms, max {Max:F1} ms");
}

/// <summary>Stream failures by kind (a stream the benchmark did not cancel that ended, or failed to open).</summary>
public sealed class ErrorTally
{
    private readonly ConcurrentDictionary<string, int> counts = new(StringComparer.Ordinal);

    private readonly ConcurrentDictionary<string, string> firstDetail = new(StringComparer.Ordinal);

    public void Add(string kind, string? detail = null)
    {
        counts.AddOrUpdate(kind, 1, (_, n) => n + 1);
        if (detail is not null && firstDetail.TryAdd(kind, detail))
        {
            Console.WriteLine($"first {kind}: {detail}");
        }
    }

    public int Total => counts.Values.Sum();

    public override string ToString() => counts.IsEmpty ? "none" : string.Join(", ", counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} {c.Value}"));
}

/// <summary>
/// The server processes seen from outside (Linux /proc) and the machine's load. Several pids (the nodes of a cluster):
/// memory and CPU are their sums.
/// </summary>
public sealed class ServerProbe(IReadOnlyList<int> pids)
{
    private static readonly double ClockTicks = 100.0; // USER_HZ on Linux
    private readonly List<double> loadSamples = [];
    private readonly Lock gate = new();

    /// <summary>VmRSS in KiB, summed over the pids (0 without any).</summary>
    public long RssKib() => pids.Sum(RssKibOf);

    public static long RssKibOf(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            }
        }
        return 0;
    }

    public IReadOnlyList<int> Pids => pids;

    public double CpuSeconds() => pids.Sum(CpuSecondsOf);

    private static double CpuSecondsOf(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // After the command: state is field 3, utime 14 and stime 15 (1-based in proc(5)).
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / ClockTicks;
    }

    public bool Alive => pids.All(p => File.Exists($"/proc/{p}/status"));

    public static double LoadAverage1() => double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);

    public static string LoadAverages() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

    public void SampleLoad()
    {
        lock (gate)
        {
            loadSamples.Add(LoadAverage1());
        }
    }

    public (double Min, double Max, int Samples) LoadRange()
    {
        lock (gate)
        {
            return loadSamples.Count == 0 ? (double.NaN, double.NaN, 0) : (loadSamples.Min(), loadSamples.Max(), loadSamples.Count);
        }
    }

    /// <summary>Several VmRSS readings a second apart, summed over the pids.</summary>
    public async Task<long[]> RssReadingsAsync(int count) => (await RssReadingsPerPidAsync(count)).Select(r => r.Sum()).ToArray();

    /// <summary>Several readings a second apart; each reading holds one VmRSS per pid.</summary>
    public async Task<long[][]> RssReadingsPerPidAsync(int count)
    {
        var readings = new long[count][];
        for (var i = 0; i < count; i++)
        {
            if (i > 0)
            {
                await Task.Delay(TimeSpan.FromSeconds(1));
            }
            readings[i] = pids.Select(RssKibOf).ToArray();
        }
        return readings;
    }

    public static double ClientCpuSeconds() => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
}
