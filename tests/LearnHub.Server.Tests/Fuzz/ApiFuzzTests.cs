using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Google.Protobuf.Reflection;
using Google.Rpc;
using Grpc.Core;
using Grpc.Health.V1;
using LearnHub.Api.V1;
using LearnHub.Server.Tests.Infrastructure;

namespace LearnHub.Server.Tests.Fuzz;

/// <summary>
/// Seeded random and damaged requests to every unary method of the API, from three roles, through a real channel:
/// no call may answer UNKNOWN or INTERNAL, every INVALID_ARGUMENT names a field, every refusal fits in the 8 KiB of
/// metadata gRPC's C-core clients accept, and afterwards the server still serves, its managed heap (in this process,
/// after a full GC) flat after warm-up. The seed is printed; <c>LEARNHUB_FUZZ_SEED</c> replays it (<c>LEARNHUB_FUZZ_METHODS</c> narrows the run
/// to methods whose full name contains one of its comma-separated parts, <c>LEARNHUB_FUZZ_CALLS</c> sets calls per method).
/// </summary>
[Collection(FuzzCollection.Name)]
public sealed class ApiFuzzTests(ITestOutputHelper output)
{
    private const int DefaultCallsPerMethod = 2_010;
    private const int Workers = 8;
    private const int MetadataLimitBytes = 8 * 1024;

    /// <summary>
    /// Growth allowed from the end of warm-up (a tenth of the calls) to the end, and over the second half alone. Some
    /// growth is data (the sessions and chapters the fuzz creates are cached or pooled), and pooled buffers (ArrayPool,
    /// Kestrel's pinned blocks, the store client's) make two samples of a flat heap differ by up to about 12 MiB (seen:
    /// 20.7 → 32.9 MiB over one second half, 49.4 → 43.1 MiB over another with three times the calls). A leak of 600
    /// bytes a call over the second half's 57,000 calls would still exceed the second bound.
    /// </summary>
    private const long HeapGrowthLimitBytes = 64L * 1024 * 1024;
    private const long SecondHalfGrowthLimitBytes = 32L * 1024 * 1024;
    private static readonly TimeSpan CallDeadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Random_and_damaged_requests_to_every_unary_method_never_answer_unknown_or_internal()
    {
        var seed = Environment.GetEnvironmentVariable("LEARNHUB_FUZZ_SEED") is { Length: > 0 } given
            ? long.Parse(given, CultureInfo.InvariantCulture)
            : Random.Shared.NextInt64(1, long.MaxValue);
        var callsPerMethod = Environment.GetEnvironmentVariable("LEARNHUB_FUZZ_CALLS") is { Length: > 0 } calls
            ? int.Parse(calls, CultureInfo.InvariantCulture)
            : DefaultCallsPerMethod;
        var filter = Environment.GetEnvironmentVariable("LEARNHUB_FUZZ_METHODS")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
        var store = TestStore.IsPostgres ? "PostgreSQL" : "SQLite";
        output.WriteLine($"fuzz seed {seed} on {store} (replay: LEARNHUB_FUZZ_SEED={seed})");

        var methods = ApiMethods.Unary().Where(m => filter.Length == 0 || filter.Any(f => m.FullName.Contains(f, StringComparison.Ordinal))).ToList();
        Assert.NotEmpty(methods);
        await using var world = await FuzzWorld.StartAsync();
        var fuzzer = new RequestFuzzer(world.Pools);
        var invokers = world.Roles.Select(r => r.App.Invoker(r.Token)).ToArray();
        var raw = methods.ToDictionary(m => m, ApiMethods.Raw);

        // Every (method, role, index), shuffled so that methods and roles interleave as real traffic would.
        var perRole = (callsPerMethod + 2) / 3;
        var work = new List<FuzzCall>(methods.Count * perRole * 3);
        foreach (var method in methods)
        {
            for (var role = 0; role < 3; role++)
            {
                for (var i = 0; i < perRole; i++)
                {
                    work.Add(new FuzzCall(method, role, i));
                }
            }
        }
        new Random(unchecked((int)seed)).Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(work));

        var results = new Results();
        var warmUp = work.Count / 10;
        var timer = Stopwatch.StartNew();
        await RunAsync(work.Take(warmUp).ToList(), seed, fuzzer, invokers, raw, results);
        timer.Stop();
        var heapAfterWarmUp = SettledHeap();
        var half = work.Count / 2;
        timer.Start();
        await RunAsync(work.Skip(warmUp).Take(half - warmUp).ToList(), seed, fuzzer, invokers, raw, results);
        timer.Stop();
        var heapAtHalf = SettledHeap();
        timer.Start();
        await RunAsync(work.Skip(half).ToList(), seed, fuzzer, invokers, raw, results);
        timer.Stop();
        var heapAtEnd = SettledHeap();

        // Still serving, and serving a normal call of someone who did not take part.
        var health = await new Health.HealthClient(world.App.Channel).CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.Add(CallDeadline));
        var newcomer = await world.App.CreateUserAsync("fuzz-newcomer");
        var me = await newcomer.Identity.GetMeAsync(new GetMeRequest(), deadline: DateTime.UtcNow.Add(CallDeadline));
        var panel = await newcomer.Sessions.ListRecommendationsAsync(new ListRecommendationsRequest { PageSize = 5 }, deadline: DateTime.UtcNow.Add(CallDeadline));

        var report = results.Describe(seed, store, work.Count, methods.Count, timer.Elapsed, (heapAfterWarmUp, heapAtHalf, heapAtEnd), world.App.Logs);
        output.WriteLine(report);
        Assert.True(results.Offenders.IsEmpty, report);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
        Assert.Equal("fuzz-newcomer", me.Handle);
        Assert.NotNull(panel);
        Assert.True(heapAtEnd - heapAfterWarmUp < HeapGrowthLimitBytes,
            $"the managed heap grew by {(heapAtEnd - heapAfterWarmUp) / 1024 / 1024} MiB after warm-up (limit {HeapGrowthLimitBytes / 1024 / 1024} MiB).\n{report}");
        Assert.True(heapAtEnd - heapAtHalf < SecondHalfGrowthLimitBytes,
            $"the managed heap grew by {(heapAtEnd - heapAtHalf) / 1024 / 1024} MiB over the second half (limit {SecondHalfGrowthLimitBytes / 1024 / 1024} MiB).\n{report}");
    }

    private static async Task RunAsync(
        List<FuzzCall> work, long seed, RequestFuzzer fuzzer, CallInvoker[] invokers, Dictionary<MethodDescriptor, Method<byte[], byte[]>> raw, Results results)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, Workers).Select(_ => Task.Run(async () =>
        {
            int at;
            while ((at = Interlocked.Increment(ref next)) < work.Count)
            {
                var call = work[at];
                var request = fuzzer.Next(call.Method.InputType, call.RandomFor(seed));
                var started = Stopwatch.GetTimestamp();
                try
                {
                    await invokers[call.Role].AsyncUnaryCall(raw[call.Method], null, new CallOptions(deadline: DateTime.UtcNow.Add(CallDeadline)), request);
                    results.Count(call.Method, StatusCode.OK);
                }
                catch (RpcException e)
                {
                    results.Count(call.Method, e.StatusCode);
                    if (Fault(e) is { } fault)
                    {
                        results.Offend(call, request, e, fault);
                    }
                }
                results.Time(call.Method, Stopwatch.GetElapsedTime(started));
            }
        })));
    }

    /// <summary>Why an answer is wrong, or null.</summary>
    private static string? Fault(RpcException e)
    {
        if (e.StatusCode is StatusCode.Unknown or StatusCode.Internal)
        {
            return e.StatusCode.ToString().ToUpperInvariant();
        }
        if (e.StatusCode == StatusCode.InvalidArgument && e.GetRpcStatus()?.GetDetail<BadRequest>() is not { FieldViolations.Count: > 0 })
        {
            return "INVALID_ARGUMENT without a BadRequest field violation";
        }
        var metadata = GrpcMessageLength(e.Status.Detail)
            + e.Trailers.Sum(t => t.Key.Length + (t.IsBinary ? (t.ValueBytes.Length + 2) / 3 * 4 : t.Value.Length));
        return metadata > MetadataLimitBytes ? $"{metadata} bytes of status metadata (C-core clients accept {MetadataLimitBytes})" : null;
    }

    /// <summary>The grpc-message header's length as the spec encodes it (bytes outside 0x20–0x7E and '%' take three).</summary>
    private static int GrpcMessageLength(string message) =>
        Encoding.UTF8.GetBytes(message).Sum(b => b is >= 0x20 and <= 0x7E and not (byte)'%' ? 1 : 3);

    private static long SettledHeap()
    {
        for (var i = 0; i < 3; i++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private sealed record FuzzCall(MethodDescriptor Method, int Role, int Index)
    {
        /// <summary>The request's own generator: the same seed, method, role and index always give the same bytes.</summary>
        public Random RandomFor(long seed) => new(unchecked((int)Mix(Mix(Mix((ulong)seed, Fnv(Method.FullName)), (ulong)Role), (ulong)Index)));

        private static ulong Fnv(string text)
        {
            var hash = 14695981039346656037UL;
            foreach (var c in text)
            {
                hash = (hash ^ c) * 1099511628211UL;
            }
            return hash;
        }

        /// <summary>SplitMix64's finaliser over the pair.</summary>
        private static ulong Mix(ulong a, ulong b)
        {
            var z = a + 0x9E3779B97F4A7C15UL * (b + 1);
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }

    private sealed class Results
    {
        private const int OffendersShown = 12;
        private static readonly string[] RoleNames = ["viewer", "creator", "staff"];

        private readonly ConcurrentDictionary<(string Method, StatusCode Code), int> counts = new();
        private readonly ConcurrentDictionary<string, long> ticks = new();

        public void Time(MethodDescriptor method, TimeSpan elapsed) => ticks.AddOrUpdate(method.FullName, elapsed.Ticks, (_, t) => t + elapsed.Ticks);

        public ConcurrentQueue<string> Offenders { get; } = new();

        private int offenderCount;

        public void Count(MethodDescriptor method, StatusCode code) => counts.AddOrUpdate((method.FullName, code), 1, (_, n) => n + 1);

        public void Offend(FuzzCall call, byte[] request, RpcException e, string fault)
        {
            if (Interlocked.Increment(ref offenderCount) <= OffendersShown)
            {
                var detail = e.Status.Detail.Length > 300 ? e.Status.Detail[..300] + "…" : e.Status.Detail;
                var hex = Convert.ToHexString(request.Length > 512 ? request[..512] : request) + (request.Length > 512 ? $"… ({request.Length} bytes)" : "");
                Offenders.Enqueue($"{fault}: {call.Method.FullName} as {RoleNames[call.Role]} (index {call.Index}): {detail}\n    request hex: {hex}");
            }
        }

        public string Describe(long seed, string store, int calls, int methods, TimeSpan elapsed, (long WarmUp, long Half, long End) heap, RecentLogs logs)
        {
            var text = new StringBuilder();
            text.AppendLine(CultureInfo.InvariantCulture, $"fuzz seed {seed} on {store}: {calls} calls to {methods} unary methods from 3 roles in {elapsed.TotalSeconds:F1} s ({calls / elapsed.TotalSeconds:F0} calls/s)");
            text.AppendLine(CultureInfo.InvariantCulture, $"managed heap after a full GC: after warm-up {heap.WarmUp / 1024.0 / 1024:F1} MiB, half-way {heap.Half / 1024.0 / 1024:F1} MiB, at the end {heap.End / 1024.0 / 1024:F1} MiB");
            text.AppendLine("slowest methods (time in calls, summed over workers): " + string.Join(", ", ticks.OrderByDescending(t => t.Value).Take(6)
                .Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Key[(t.Key.LastIndexOf('.') + 1)..]} {TimeSpan.FromTicks(t.Value).TotalSeconds:F1} s"))));
            text.AppendLine("answers by status: " + string.Join(", ", counts.GroupBy(c => c.Key.Code).OrderByDescending(g => g.Sum(c => c.Value)).Select(g => $"{g.Key} {g.Sum(c => c.Value)}")));
            foreach (var method in counts.GroupBy(c => c.Key.Method).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"  {method.Key}: {string.Join(", ", method.OrderByDescending(c => c.Value).Select(c => $"{c.Key.Code} {c.Value}"))}");
            }
            if (offenderCount > 0)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"{offenderCount} wrong answers; the first {Math.Min(offenderCount, OffendersShown)}:");
                foreach (var offender in Offenders)
                {
                    text.AppendLine("  " + offender);
                }
                // The server logs what it threw; the client only sees "Exception was thrown by handler".
                var thrown = logs.Describe().Split('\n').Where(l => l.Contains("Error when executing service method", StringComparison.Ordinal))
                    .Select(l => l[(l.IndexOf("service method", StringComparison.Ordinal) + 15)..]).Distinct().Take(OffendersShown).ToList();
                if (thrown.Count > 0)
                {
                    text.AppendLine("exceptions the server logged (latest, distinct):");
                    foreach (var line in thrown)
                    {
                        text.AppendLine("  " + line);
                    }
                }
            }
            return text.ToString();
        }
    }
}

/// <summary>
/// The fuzz test runs alone: its memory check reads this process's managed heap, which tests running beside it (each
/// with its own host) would fill.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FuzzCollection
{
    public const string Name = "Fuzz";
}
