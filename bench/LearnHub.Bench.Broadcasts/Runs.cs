using System.Diagnostics;
using System.Globalization;
using Grpc.Core;
using Grpc.Net.Client;
using LearnHub.Api.V1;
using LearnHub.Core.Broadcasts;
using Microsoft.Data.Sqlite;

namespace LearnHub.Bench.Broadcasts;

public sealed record RunOptions(Uri Url, string DatabasePath, string AdminToken, string BigToken, string SmallToken, string[] ReaderTokens)
{
    /// <summary>Timed Submit+Approve pairs per creator (after <see cref="WarmupPairs"/> untimed ones).</summary>
    public int Pairs { get; init; } = 200;

    public int WarmupPairs { get; init; } = 20;

    /// <summary>Timed steady-state check-ins and repeated first check-ins (each).</summary>
    public int CheckIns { get; init; } = 300;

    public int WarmupCheckIns { get; init; } = 30;

    public int? ServerPid { get; init; }
}

/// <summary>
/// The two issue-5 benchmarks over gRPC, one call at a time (latency, not throughput):
/// <list type="number">
/// <item>ApproveBroadcast of a creator with 1,000,000 followers vs one with 10, pairs interleaved (big, small, small, big, …) so
/// that drift in the machine's load hits both alike. The 2-a-week quota is reset between pairs by deleting the creator's
/// quota row straight in the store, untimed (the alternatives — hundreds of creators with 1,000,000 followers each, or
/// moving the server's clock a week per pair — cost far more or change the server).</item>
/// <item>CheckIn of a reader following 500 creators: steady state (nothing new: the reader already received everything due),
/// a first check-in by each reader that never checked in (real first check-ins, one per reader), and repeated first
/// check-ins by one reader whose inbox rows are deleted, untimed, before each.</item>
/// </list>
/// </summary>
public static class Runs
{
    private const double RatioTarget = 1.5;
    private const double CheckInP99TargetMs = 10;

    public static async Task<int> RunAsync(RunOptions o)
    {
        using var channel = GrpcChannel.ForAddress(o.Url);
        var broadcasts = new BroadcastService.BroadcastServiceClient(channel);
        var inbox = new InboxService.InboxServiceClient(channel);
        await using var store = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = o.DatabasePath, Mode = SqliteOpenMode.ReadWrite, DefaultTimeout = 30 }.ToString());
        store.Open();
        Loader.Exec(store, "PRAGMA busy_timeout=30000;");

        var approval = await ApprovalAsync(o, broadcasts, store);
        var checkIn = await CheckInAsync(o, inbox, store);
        Console.WriteLine();
        Console.WriteLine("== verdicts ==");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"approval big ÷ small creator: p50 {approval.P50Ratio:F2}, p99 {approval.P99Ratio:F2}, mean {approval.MeanRatio:F2} (target ≤ {RatioTarget}) → {(approval.P50Ratio <= RatioTarget && approval.P99Ratio <= RatioTarget ? "met" : "MISSED")}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"check-in p99: steady {checkIn.SteadyP99:F2} ms, first (distinct readers) {checkIn.FirstDistinctP99:F2} ms, first (repeated) {checkIn.FirstRepeatedP99:F2} ms (target ≤ {CheckInP99TargetMs} ms)"));
        return 0;
    }

    private sealed record ApprovalResult(double P50Ratio, double P99Ratio, double MeanRatio);

    private static async Task<ApprovalResult> ApprovalAsync(RunOptions o, BroadcastService.BroadcastServiceClient client, SqliteConnection store)
    {
        var admin = Bearer(o.AdminToken);
        var creators = new[]
        {
            (Name: "big creator", Id: BenchIds.BigCreator, Headers: Bearer(o.BigToken)),
            (Name: "small creator", Id: BenchIds.SmallCreator, Headers: Bearer(o.SmallToken)),
        };
        var approve = creators.Select(_ => new List<double>()).ToArray();
        var submit = creators.Select(_ => new List<double>()).ToArray();
        var eligible = new long[creators.Length];
        var cpu0 = ServerCpuSeconds(o.ServerPid);
        var runId = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var clock = new Stopwatch();
        Console.WriteLine($"approval: {o.WarmupPairs} untimed + {o.Pairs} timed Submit+Approve pairs per creator, interleaved");
        for (var i = 0; i < o.WarmupPairs + o.Pairs; i++)
        {
            // ABBA order: neither creator always goes first.
            var order = i % 2 == 0 ? new[] { 0, 1 } : [1, 0];
            foreach (var c in order)
            {
                var creator = creators[c];
                // Untimed: give the creator this week's quota back (the bench's own connection, between calls).
                using (var reset = store.CreateCommand())
                {
                    reset.CommandText = "DELETE FROM broadcast_quota_weeks WHERE creator_id = $id";
                    reset.Parameters.AddWithValue("$id", creator.Id);
                    reset.ExecuteNonQuery();
                }
                clock.Restart();
                var submitted = await client.SubmitBroadcastAsync(new SubmitBroadcastRequest
                {
                    RequestId = $"bench-{runId}-{i}",
                    Kind = BroadcastKind.Text,
                    Text = $"压测群发 {i}:今晚八点直播答疑,欢迎参加 🎉",
                    AgreedToAgreement = true,
                    AgreementVersion = BroadcastRules.AgreementVersion,
                }, creator.Headers);
                var submitMs = clock.Elapsed.TotalMilliseconds;
                clock.Restart();
                var approved = await client.ApproveBroadcastAsync(new ApproveBroadcastRequest { BroadcastId = submitted.Id }, admin);
                var approveMs = clock.Elapsed.TotalMilliseconds;
                if (approved.Status != BroadcastStatus.Approved)
                {
                    throw new InvalidOperationException($"broadcast {submitted.Id} is {approved.Status} after ApproveBroadcast");
                }
                eligible[c] = approved.Reach.EligibleAtApproval;
                if (i >= o.WarmupPairs)
                {
                    approve[c].Add(approveMs);
                    submit[c].Add(submitMs);
                }
            }
        }
        var cpu = ServerCpuSeconds(o.ServerPid) - cpu0;
        for (var c = 0; c < creators.Length; c++)
        {
            Console.WriteLine($"  {creators[c].Name}: eligible_at_approval {eligible[c]:N0} (followers)");
            Console.WriteLine($"    ApproveBroadcast {Stats.Line(approve[c])}");
            Console.WriteLine($"    SubmitBroadcast  {Stats.Line(submit[c])}");
        }
        if (cpu is { } seconds)
        {
            var calls = 2 * creators.Length * (o.WarmupPairs + o.Pairs);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  server CPU over the phase: {seconds:F2} s, {seconds * 1e6 / calls:F0} µs per call (Submit and Approve together)"));
        }
        var result = new ApprovalResult(
            Stats.Percentile(approve[0], 0.50) / Stats.Percentile(approve[1], 0.50),
            Stats.Percentile(approve[0], 0.99) / Stats.Percentile(approve[1], 0.99),
            approve[0].Average() / approve[1].Average());
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  ratio big ÷ small: p50 {result.P50Ratio:F2}, p99 {result.P99Ratio:F2}, mean {result.MeanRatio:F2}"));
        return result;
    }

    private sealed record CheckInResult(double SteadyP99, double FirstDistinctP99, double FirstRepeatedP99);

    private static async Task<CheckInResult> CheckInAsync(RunOptions o, InboxService.InboxServiceClient client, SqliteConnection store)
    {
        var due = DueCount(store);
        Console.WriteLine();
        Console.WriteLine($"check-in: readers follow the same creators; {due:N0} of their broadcasts are approved within the last 72 h (each reader's first check-in receives them)");
        var reader = Bearer(o.ReaderTokens[0]);
        var clock = new Stopwatch();

        // Warm-up on reader 0 (its first check-in is then done: later ones are steady state until its inbox is reset).
        var first = await client.CheckInAsync(new CheckInRequest(), reader);
        Console.WriteLine($"  reader 0 first check-in: newly_received {first.NewlyReceived}, unread {first.Unread}, total {first.Total}");
        for (var i = 0; i < o.WarmupCheckIns; i++)
        {
            await client.CheckInAsync(new CheckInRequest(), reader);
        }

        // Real first check-ins: each other reader once; interleaved with steady ones so load drift hits both.
        var firstDistinct = new List<double>();
        var received = new List<int>();
        var steady = new List<double>();
        var firstRepeated = new List<double>();
        var cpu0 = ServerCpuSeconds(o.ServerPid);
        for (var r = 1; r < o.ReaderTokens.Length; r++)
        {
            clock.Restart();
            var summary = await client.CheckInAsync(new CheckInRequest(), Bearer(o.ReaderTokens[r]));
            firstDistinct.Add(clock.Elapsed.TotalMilliseconds);
            received.Add(summary.NewlyReceived);
        }
        // Steady and repeated-first, alternating: reset reader 0's inbox (untimed), first check-in, then a steady one.
        for (var i = 0; i < o.CheckIns; i++)
        {
            using (var reset = store.CreateCommand())
            {
                // The window's messages only: an inbox history loaded before the window (INBOX_HISTORY_DAYS) stays.
                reset.CommandText = """
                    DELETE FROM inbox_messages WHERE follower_id = $id
                      AND broadcast_id IN (SELECT id FROM broadcasts WHERE status = 2 AND approved_at_ms > $windowStart)
                    """;
                reset.Parameters.AddWithValue("$id", BenchIds.Reader(0));
                reset.Parameters.AddWithValue("$windowStart", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - (long)BroadcastRules.DeliveryWindow.TotalMilliseconds);
                reset.ExecuteNonQuery();
            }
            clock.Restart();
            var again = await client.CheckInAsync(new CheckInRequest(), reader);
            firstRepeated.Add(clock.Elapsed.TotalMilliseconds);
            if (again.NewlyReceived != first.NewlyReceived)
            {
                Console.WriteLine($"  note: repeated first check-in {i} received {again.NewlyReceived} (the window moved)");
            }
            clock.Restart();
            var nothing = await client.CheckInAsync(new CheckInRequest(), reader);
            steady.Add(clock.Elapsed.TotalMilliseconds);
            if (nothing.NewlyReceived != 0)
            {
                throw new InvalidOperationException($"a steady-state check-in received {nothing.NewlyReceived}");
            }
        }
        var cpu = ServerCpuSeconds(o.ServerPid) - cpu0;
        Console.WriteLine($"  first check-in, {firstDistinct.Count} distinct readers (received {received.DefaultIfEmpty().Min()}–{received.DefaultIfEmpty().Max()} each): {Stats.Line(firstDistinct)}");
        Console.WriteLine($"  first check-in, reader 0 with its inbox reset ({first.NewlyReceived} received each): {Stats.Line(firstRepeated)}");
        Console.WriteLine($"  steady state, nothing new ({first.Total} in the inbox): {Stats.Line(steady)}");
        if (cpu is { } seconds)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  server CPU over the phase: {seconds:F2} s for {firstDistinct.Count + 2 * o.CheckIns} check-ins"));
        }
        return new CheckInResult(Stats.Percentile(steady, 0.99), Stats.Percentile(firstDistinct, 0.99), Stats.Percentile(firstRepeated, 0.99));
    }

    private static long DueCount(SqliteConnection store)
    {
        using var command = store.CreateCommand();
        command.CommandText = """
            SELECT COUNT(*) FROM follows f JOIN broadcasts b ON b.creator_id = f.creator_id AND b.status = 2 AND b.approved_at_ms > $from
            WHERE f.follower_id = $reader
            """;
        command.Parameters.AddWithValue("$reader", BenchIds.Reader(0));
        command.Parameters.AddWithValue("$from", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - (long)BroadcastRules.DeliveryWindow.TotalMilliseconds);
        return (long)command.ExecuteScalar()!;
    }

    private static Metadata Bearer(string token) => new() { { "authorization", "Bearer " + token } };

    /// <summary>utime + stime of a process (Linux /proc), in seconds; null elsewhere or without a pid.</summary>
    internal static double? ServerCpuSeconds(int? pid)
    {
        if (pid is null || !File.Exists($"/proc/{pid}/stat"))
        {
            return null;
        }
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // Fields 14 and 15 of stat (utime, stime) are the 12th and 13th after the command name; 100 ticks a second.
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }
}

public static class Stats
{
    /// <summary>Nearest rank.</summary>
    public static double Percentile(IReadOnlyList<double> values, double p)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }
        var sorted = values.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
    }

    public static string Line(IReadOnlyList<double> values) => string.Create(CultureInfo.InvariantCulture,
        $"n {values.Count}, p50 {Percentile(values, 0.5):F2} ms, p90 {Percentile(values, 0.9):F2} ms, p99 {Percentile(values, 0.99):F2} ms, max {(values.Count == 0 ? double.NaN : values.Max()):F2} ms, mean {(values.Count == 0 ? double.NaN : values.Average()):F2} ms");
}
