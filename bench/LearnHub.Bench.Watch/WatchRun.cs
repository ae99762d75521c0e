using System.Diagnostics;
using System.Globalization;
using Grpc.Core;
using Grpc.Net.Client;
using LearnHub.Api.V1;

namespace LearnHub.Bench.Watch;

/// <summary>One WatchSession call of the benchmark.</summary>
public sealed class WatchSlot(string role, bool measured)
{
    public CancellationTokenSource Cancel { get; } = new();

    public TaskCompletionSource Opened { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Running { get; set; } = Task.CompletedTask;

    public string Role => role;

    public bool Measured => measured;

    public int LastWatching;

    public long Messages;

    /// <summary>Set when the stream ended without the benchmark cancelling it (an error).</summary>
    public volatile string? Ended;
}

/// <summary>
/// The watch-stream benchmark (issue 4): holds holders × streams-per-user WatchSession streams over one HTTP/2
/// connection (one GrpcChannel with its own SocketsHttpHandler) per 100 streams for the run's duration, and inside
/// that window measures server memory per stream, join bursts → the SignalR dashboard, and update latency with and
/// without a stalled viewer. Every stream reads every update, as a real viewer does.
/// </summary>
public sealed class WatchRun
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(30);
    private readonly WatchOptions o;
    private readonly ServerProbe server;
    private readonly ErrorTally errors = new();
    private readonly ErrorTally cancelledOther = new();
    private readonly Dictionary<string, Metadata> headers = new(StringComparer.Ordinal);
    private readonly List<GrpcChannel> channels = [];
    private volatile UpdateLatency? recorder;

    private WatchRun(WatchOptions options)
    {
        o = options;
        server = new ServerProbe(options.ServerPids);
        foreach (var user in options.Users)
        {
            headers[user.Handle] = new Metadata { { "authorization", "Bearer " + user.Token } };
        }
    }

    public static Task<int> RunAsync(WatchOptions options) => new WatchRun(options).RunAsync();

    private static string Inv(FormattableString s) => FormattableString.Invariant(s);

    private static void Log(FormattableString s) => Console.WriteLine(Inv($"[{DateTime.UtcNow:HH:mm:ss}] ") + Inv(s));

    private async Task<int> RunAsync()
    {
        var holders = o.Role("holder").ToList();
        var burstUsers = o.Role("burst").ToList();
        var toggler = o.Role("toggler").Single();
        var stalledUser = o.Role("stalled").Single();
        var dashboardUser = o.Role("dashboard").Single();
        var total = holders.Count * o.StreamsPerUser;
        var burstTotal = burstUsers.Count * o.BurstStreams;
        using var loadTimer = new Timer(_ => server.SampleLoad(), null, TimeSpan.Zero, TimeSpan.FromSeconds(5));
        Log($"plan: {total:N0} streams opened {Math.Max(1, o.OpenWave) * o.StreamsPerConnection:N0} at a time = {holders.Count} users x {o.StreamsPerUser}, {o.StreamsPerConnection} per HTTP/2 connection ({Connections(total)} connections), held {o.Duration.TotalSeconds:F0} s; bursts of {burstTotal:N0} joins ({burstUsers.Count} users x {o.BurstStreams}); {o.Rounds} x (baseline, stalled) phases of {o.Changes} count changes every {o.ChangeInterval.TotalMilliseconds:F0} ms");

        await using var dashboard = await DashboardFeed.StartAsync(o.Web, dashboardUser.Token, o.SessionId);
        Log($"dashboard connected ({dashboardUser.Handle}, SignalR over WebSockets, separate process): {dashboard.ReadyViewers} watching {o.SessionId}");
        var empty = dashboard.ReadyViewers;

        var burstChannels = NewChannels(Connections(burstTotal), [o.BurstGrpc ?? o.Grpc]);
        var togglerChannel = NewChannels(1, [o.Grpc])[0];

        // Warm-up: the first bursts JIT-compile the server's watch path, so memory is read after them.
        for (var w = 0; w < o.WarmupBursts; w++)
        {
            if (await BurstAsync(burstUsers, burstChannels, empty, dashboard) is null)
            {
                break; // missed by the dashboard (30 s): the measured bursts will say so
            }
        }
        await Task.Delay(TimeSpan.FromSeconds(2));
        var rssBeforePerPid = await server.RssReadingsPerPidAsync(5);
        var rssBefore = rssBeforePerPid.Select(r => r.Sum()).ToArray();
        Log($"server VmRSS before opening: {string.Join(", ", rssBefore.Select(r => Inv($"{r / 1024.0:F1}")))} MiB");

        // 1. Open and hold.
        var holderChannels = NewChannels(Connections(total), o.HoldGrpc);
        var holderClients = holderChannels.Select(c => new PresenceService.PresenceServiceClient(c)).ToArray();
        var slots = new WatchSlot[total];
        var opening = Stopwatch.StartNew();
        var cpuOpen = server.CpuSeconds();
        // Opened in waves of OpenWave connections (each wave's snapshots awaited before the next): all 20,000 at once
        // starve the server's core long enough for Kestrel's MinRequestBodyDataRate check to reset whole connections
        // (see docs/benchmarks.md); OpenWave = all connections reproduces that.
        var perWave = Math.Max(1, o.OpenWave) * o.StreamsPerConnection;
        for (var waveStart = 0; waveStart < total; waveStart += perWave)
        {
            for (var s = waveStart; s < Math.Min(total, waveStart + perWave); s++)
            {
                // Connection c carries streams c*100 … c*100+99; stream s belongs to user s mod users, so each
                // connection mixes 100 users and each user's streams spread over many connections.
                slots[s] = Start(holderClients[s / o.StreamsPerConnection], holders[s % holders.Count], "holder", measured: true);
            }
            await WhenAllSettled(slots.Skip(waveStart).Take(perWave).Select(s => s.Opened.Task), TimeSpan.FromMinutes(2));
        }
        var openSeconds = opening.Elapsed.TotalSeconds;
        var openCpu = server.CpuSeconds() - cpuOpen;
        var openedCount = slots.Count(s => s.Opened.Task.IsCompletedSuccessfully);
        var holdStart = Stopwatch.StartNew();
        Log($"opened {openedCount:N0} of {total:N0} streams in {openSeconds:F1} s ({openedCount / openSeconds:N0}/s; server CPU {openCpu:F1} s); errors: {errors}");
        var baseCount = holders.Count;
        var seenBase = await dashboard.WaitForAsync(baseCount, 0, Settle);
        Log($"dashboard count {(seenBase is null ? Inv($"NOT {baseCount} (latest {dashboard.LatestViewers})") : Inv($"{baseCount}"))}");
        await WaitAllSeeAsync(slots, baseCount);
        await Task.Delay(TimeSpan.FromSeconds(5));
        var rssAfterPerPid = await server.RssReadingsPerPidAsync(5);
        var rssAfter = rssAfterPerPid.Select(r => r.Sum()).ToArray();
        var perStreamKib = (Median(rssAfter) - Median(rssBefore)) / (double)Math.Max(1, openedCount);
        // Per node: holder connection c goes to node c mod nodes (NewChannels), so its streams are counted there.
        var perNode = Enumerable.Range(0, o.HoldGrpc.Count).Select(node =>
        {
            var opened = slots.Where((slot, s) => s / o.StreamsPerConnection % o.HoldGrpc.Count == node && slot.Opened.Task.IsCompletedSuccessfully).Count();
            var pidIndex = Math.Min(node, Math.Max(0, o.ServerPids.Count - 1));
            var delta = o.ServerPids.Count == 0 ? 0 : Median(rssAfterPerPid.Select(r => r[pidIndex]).ToList()) - Median(rssBeforePerPid.Select(r => r[pidIndex]).ToList());
            return (Node: o.HoldGrpc[node], Streams: opened, DeltaKib: delta);
        }).ToList();
        Log($"server VmRSS with the streams open: {string.Join(", ", rssAfter.Select(r => Inv($"{r / 1024.0:F1}")))} MiB -> {perStreamKib:F1} KiB per stream");

        // 2. Slow-consumer isolation: baseline and stalled phases, interleaved.
        var phases = new List<(UpdateLatency Baseline, UpdateLatency Stalled, string StallNote)>();
        for (var round = 1; round <= o.Rounds; round++)
        {
            var baseline = await MeasurePhaseAsync(Inv($"round {round} baseline"), togglerChannel, toggler, slots, baseCount);
            string note;
            UpdateLatency stalledPhase;
            var joinFrom = dashboard.Count;
            var stalled = await StalledViewer.OpenAsync(o.Grpc, stalledUser.Token, o.SessionId);
            try
            {
                var joined = await dashboard.WaitForAsync(baseCount + 1, joinFrom, Settle) is not null;
                await WaitAllSeeAsync(slots, baseCount + 1);
                stalledPhase = await MeasurePhaseAsync(Inv($"round {round} stalled"), togglerChannel, toggler, slots, baseCount + 1);
                note = Inv($"stalled viewer counted: {joined}; DATA frames it received: {stalled.DataFrames}; HEADERS frames: {stalled.HeaderFrames}; PINGs answered: {stalled.PingsAnswered}; ended by server: {stalled.Ended ?? "no"}");
                Log($"{note}");
            }
            finally
            {
                var leaveFrom = dashboard.Count;
                await stalled.DisposeAsync();
                await dashboard.WaitForAsync(baseCount, leaveFrom, Settle);
            }
            await WaitAllSeeAsync(slots, baseCount);
            phases.Add((baseline, stalledPhase, note));
        }

        // 3. Join bursts seen by the dashboard.
        var bursts = new List<BurstResult>();
        var missedInRow = 0;
        for (var b = 0; b < o.Bursts && missedInRow < 3; b++)
        {
            if (await BurstAsync(burstUsers, burstChannels, baseCount, dashboard) is { } result)
            {
                bursts.Add(result);
                missedInRow = 0;
            }
            else if (++missedInRow == 3)
            {
                // Each miss waits 30 s: a dashboard that never sees the count (e.g. no cross-node path) would stall the run.
                Log($"three bursts in a row missed by the dashboard: no more bursts");
            }
        }
        Log($"{bursts.Count} bursts done; errors: {errors}");

        // 4. Hold for the rest of the duration.
        var cpuHold = server.CpuSeconds();
        var quietFrom = holdStart.Elapsed;
        while (holdStart.Elapsed < o.Duration)
        {
            var left = o.Duration - holdStart.Elapsed;
            await Task.Delay(left < TimeSpan.FromSeconds(30) ? left : TimeSpan.FromSeconds(30));
            Log($"hold {holdStart.Elapsed.TotalSeconds:F0}/{o.Duration.TotalSeconds:F0} s: {slots.Count(s => s.Ended is null && s.Opened.Task.IsCompletedSuccessfully):N0} streams open, errors: {errors}, server VmRSS {server.RssKib() / 1024.0:F1} MiB, load {ServerProbe.LoadAverages()}");
        }
        var quietSeconds = (holdStart.Elapsed - quietFrom).TotalSeconds;
        var quietCpu = quietSeconds > 1 ? 100 * (server.CpuSeconds() - cpuHold) / quietSeconds : double.NaN;
        var heldSeconds = holdStart.Elapsed.TotalSeconds;

        // 5. Final check: every stream still open, every one saw the true count, the dashboard too.
        var stillOpen = slots.Count(s => s.Ended is null && s.Opened.Task.IsCompletedSuccessfully);
        var wrongCount = slots.Count(s => Volatile.Read(ref s.LastWatching) != baseCount);
        var dashboardFinal = dashboard.LatestViewers;
        var messages = slots.Sum(s => Interlocked.Read(ref s.Messages));
        var serverAlive = server.Alive;
        var errorTotal = errors.Total;
        var errorList = errors.ToString();
        var cancelledList = cancelledOther.ToString();
        foreach (var slot in slots)
        {
            slot.Cancel.Cancel();
        }
        await WhenAllSettled(slots.Select(s => s.Running), TimeSpan.FromSeconds(60));
        var closedSeen = await dashboard.WaitForAsync(empty, Math.Max(0, dashboard.Count - 1), Settle);
        foreach (var channel in channels)
        {
            channel.Dispose();
        }

        // Summary.
        var load = server.LoadRange();
        var joinsAll = Percentiles.Of(bursts.Select(b => b.JoinMs));
        var opensAll = Percentiles.Of(bursts.Select(b => b.OpenMs));
        var leavesAll = Percentiles.Of(bursts.Select(b => b.LeaveMs));
        Console.WriteLine();
        Console.WriteLine(Inv($"## Live presence benchmark summary ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC)"));
        Console.WriteLine(Inv($"machine: nproc {Environment.ProcessorCount} visible to the load process; load average (1 min) during the run {load.Min:F2}-{load.Max:F2} ({load.Samples} samples, every 5 s)"));
        Console.WriteLine();
        var full = o.Duration >= TimeSpan.FromMinutes(10);
        Console.WriteLine(Inv($"1. streams held: {stillOpen:N0} of {total:N0} still open after {heldSeconds:F0} s over {holderChannels.Count} HTTP/2 connections ({holders.Count} users x {o.StreamsPerUser}); stream errors (all streams of the run, bursts and toggler included, before closing): {errorTotal} ({errorList}); server alive: {serverAlive}"));
        Console.WriteLine(Inv($"   streams the benchmark cancelled that ended with another status than Cancelled (not errors): {cancelledList}"));
        Console.WriteLine(Inv($"   opened in {openSeconds:F1} s; {messages:N0} updates received on held streams; held streams whose last update was not the final count {baseCount}: {wrongCount}; dashboard's last count {dashboardFinal}; after closing, dashboard saw {(closedSeen is null ? "NOT" : "")} {empty}"));
        Console.WriteLine(Inv($"   server CPU while only holding (last {quietSeconds:F0} s, keepalive pings only): {quietCpu:F1} % of its core"));
        var heldOk = stillOpen == total && total >= 20_000 && errorTotal == 0 && wrongCount == 0;
        Console.WriteLine(Inv($"   -> target 20,000 streams, 0 errors, 10 min: {(heldOk ? (full ? "MET" : $"met for {heldSeconds:F0} s (short run: not a 10-minute verdict)") : "MISSED")}"));
        Console.WriteLine(Inv($"2. server memory: VmRSS before {Median(rssBefore) / 1024.0:F1} MiB (readings {string.Join(", ", rssBefore)} KiB), with {openedCount:N0} streams {Median(rssAfter) / 1024.0:F1} MiB (readings {string.Join(", ", rssAfter)} KiB): {perStreamKib:F1} KiB per stream ({perStreamKib * 1.024:F1} KB)"));
        Console.WriteLine(Inv($"   -> target <= 30 KB per stream: {(perStreamKib * 1.024 <= 30 ? "MET" : "MISSED")}"));
        var joins = Percentiles.Of(bursts.Select(b => b.JoinMs));
        var opens = Percentiles.Of(bursts.Select(b => b.OpenMs));
        var leaves = Percentiles.Of(bursts.Select(b => b.LeaveMs));
        Console.WriteLine(Inv($"3. join burst ({burstTotal:N0} WatchSession calls from {burstUsers.Count} users, count {baseCount} -> {baseCount + burstUsers.Count}) -> dashboard ViewerCountChanged with the final count, {bursts.Count} bursts: {joins}"));
        Console.WriteLine(Inv($"   all {burstTotal:N0} snapshots received: {opens}; leave (cancel all) -> dashboard sees {baseCount}: {leaves}"));
        Console.WriteLine(Inv($"   dashboard pushes per burst (start to final count): {string.Join(" ", bursts.GroupBy(b => b.Pushes).OrderBy(g => g.Key).Select(g => $"{g.Key}x{g.Count()}"))}"));
        Console.WriteLine(Inv($"   -> target p99 <= 1 s: {(joins.Count > 0 && joins.P99 <= 1000 ? "MET" : "MISSED")}"));
        Console.WriteLine("4. update latency on the held streams (count change -> arrival; observed_at -> arrival = server fan-out + delivery):");
        foreach (var (baseline, stalled, note) in phases)
        {
            foreach (var phase in new[] { baseline, stalled })
            {
                Console.WriteLine(Inv($"   {phase.Name,-18} changes {phase.Changes}, end to end {phase.EndToEnd()}; fan-out p50 {phase.FanOut().P50:F1} / p99 {phase.FanOut().P99:F1} ms; skipped: {phase.Mismatched} wrong count, {phase.Unattributed} unattributed; server CPU {phase.ServerCpuPercent:F0} %, client CPU {phase.ClientCpuPercent:F0} %, load {phase.LoadAverage:F2}"));
            }
            Console.WriteLine(Inv($"   ratio stalled/baseline p99: end to end {stalled.EndToEnd().P99 / baseline.EndToEnd().P99:F2}, fan-out {stalled.FanOut().P99 / baseline.FanOut().P99:F2}; p50 {stalled.EndToEnd().P50 / baseline.EndToEnd().P50:F2}"));
        }
        var ratios = phases.Select(p => p.Stalled.EndToEnd().P99 / p.Baseline.EndToEnd().P99).ToList();
        var medianRatio = Median(ratios);
        Console.WriteLine(Inv($"   -> median over rounds of p99 ratios {medianRatio:F2} (rounds {string.Join(", ", ratios.Select(r => Inv($"{r:F2}")))}); target within 0.80-1.20: {(Math.Abs(medianRatio - 1) <= 0.2 ? "MET" : "MISSED")}"));
        if (o.HoldGrpc.Count > 1 || o.BurstGrpc != o.Grpc)
        {
            Console.WriteLine(Inv($"5. nodes: held streams over {string.Join(", ", perNode.Select(n => Inv($"{n.Node.Authority} {n.Streams:N0} streams, VmRSS +{n.DeltaKib / 1024.0:F1} MiB ({n.DeltaKib / Math.Max(1, n.Streams):F1} KiB each)")))}; dashboard on {o.Web.Authority}, join bursts through {(o.BurstGrpc ?? o.Grpc).Authority}"));
        }
        // One tab-separated key=value line for scripts (bench/scaleout.sh).
        var resultLine = new (string Key, FormattableString Value)[]
        {
            ("streams", $"{total}"), ("still_open", $"{stillOpen}"), ("errors", $"{errorTotal}"), ("wrong_count", $"{wrongCount}"),
            ("dashboard_final", $"{dashboardFinal}"), ("base_count", $"{baseCount}"), ("open_s", $"{openSeconds:F1}"),
            ("rss_before_mib", $"{Median(rssBefore) / 1024.0:F1}"), ("rss_after_mib", $"{Median(rssAfter) / 1024.0:F1}"),
            ("kib_per_stream", $"{perStreamKib:F1}"),
            ("node_kib_per_stream", $"{string.Join(",", perNode.Select(n => Inv($"{n.DeltaKib / Math.Max(1, n.Streams):F1}")))}"),
            ("node_streams", $"{string.Join(",", perNode.Select(n => n.Streams))}"),
            ("bursts", $"{bursts.Count}"), ("burst_streams", $"{burstTotal}"),
            ("join_p50", $"{joinsAll.P50:F1}"), ("join_p90", $"{joinsAll.P90:F1}"), ("join_p99", $"{joinsAll.P99:F1}"), ("join_max", $"{joinsAll.Max:F1}"),
            ("snapshots_p50", $"{opensAll.P50:F1}"), ("snapshots_p99", $"{opensAll.P99:F1}"),
            ("leave_p50", $"{leavesAll.P50:F1}"), ("leave_p99", $"{leavesAll.P99:F1}"),
            ("pushes", $"{string.Join(" ", bursts.GroupBy(b => b.Pushes).OrderBy(g => g.Key).Select(g => $"{g.Key}x{g.Count()}"))}"),
            ("load_min", $"{load.Min:F2}"), ("load_max", $"{load.Max:F2}"),
        };
        Console.WriteLine("result\t" + string.Join('\t', resultLine.Select(r => r.Key + "=" + Inv(r.Value))));
        return heldOk ? 0 : 1;
    }

    private sealed record BurstResult(double JoinMs, double OpenMs, double LeaveMs, int Pushes);

    private int Connections(int streams) => Math.Max(1, (streams + o.StreamsPerConnection - 1) / o.StreamsPerConnection);

    /// <summary>Channel i (one HTTP/2 connection) goes to targets[i mod targets].</summary>
    private List<GrpcChannel> NewChannels(int count, IReadOnlyList<Uri> targets)
    {
        var created = new List<GrpcChannel>(count);
        for (var i = 0; i < count; i++)
        {
            var channel = GrpcChannel.ForAddress(targets[i % targets.Count], new GrpcChannelOptions
            {
                // One handler per channel = one HTTP/2 connection per channel (multiple connections stay off).
                HttpHandler = new SocketsHttpHandler
                {
                    EnableMultipleHttp2Connections = false,
                    PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
                    ConnectTimeout = TimeSpan.FromSeconds(30),
                },
                DisposeHttpClient = true,
            });
            created.Add(channel);
        }
        channels.AddRange(created);
        return created;
    }

    private WatchSlot Start(PresenceService.PresenceServiceClient client, BenchUser user, string role, bool measured)
    {
        var slot = new WatchSlot(role, measured);
        slot.Running = WatchAsync(client, headers[user.Handle], slot);
        return slot;
    }

    private async Task WatchAsync(PresenceService.PresenceServiceClient client, Metadata metadata, WatchSlot slot)
    {
        var ct = slot.Cancel.Token;
        try
        {
            using var call = client.WatchSession(new WatchSessionRequest { SessionId = o.SessionId }, metadata, cancellationToken: ct);
            var first = true;
            while (await call.ResponseStream.MoveNext(ct))
            {
                var arrived = DateTime.UtcNow.Ticks;
                var update = call.ResponseStream.Current;
                var watching = update.State.Watching;
                Volatile.Write(ref slot.LastWatching, watching);
                Interlocked.Increment(ref slot.Messages);
                if (first)
                {
                    first = false;
                    slot.Opened.TrySetResult();
                    continue;
                }
                if (slot.Measured && update.Kind == WatchSessionUpdate.Types.Kind.Viewers && recorder is { } r)
                {
                    r.Observe(watching, update.State.ObservedAt.ToDateTime().Ticks, arrived);
                }
            }
            slot.Ended = "completed by the server";
            errors.Add(slot.Role + ":completed");
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && ct.IsCancellationRequested)
        {
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (RpcException e) when (ct.IsCancellationRequested)
        {
            // Cancelled by the benchmark; the client reported it differently (not an error of the stream, but counted apart).
            cancelledOther.Add(slot.Role + ":" + e.StatusCode, e.Status.Detail);
        }
        catch (RpcException e)
        {
            slot.Ended = e.StatusCode.ToString();
            errors.Add(slot.Role + ":" + e.StatusCode, e.Status.Detail + (e.Status.DebugException is { } d ? " / " + d.Message : ""));
        }
        catch (Exception e)
        {
            slot.Ended = e.GetType().Name;
            errors.Add(slot.Role + ":" + e.GetType().Name, e.Message);
        }
        finally
        {
            slot.Opened.TrySetException(new InvalidOperationException("the stream ended before its first message"));
        }
    }

    /// <summary>
    /// One burst: every burst user opens its streams at once (reusing the burst connections); time until the dashboard
    /// sees the final count. Then all are cancelled and the dashboard must see the base count again.
    /// </summary>
    private async Task<BurstResult?> BurstAsync(List<BenchUser> users, List<GrpcChannel> burstChannels, int baseCount, DashboardFeed dashboard)
    {
        var clients = burstChannels.Select(c => new PresenceService.PresenceServiceClient(c)).ToArray();
        var from = dashboard.Count;
        var target = baseCount + users.Count;
        var slots = new List<WatchSlot>(users.Count * o.BurstStreams);
        var t0 = DateTime.UtcNow.Ticks;
        for (var q = 0; q < users.Count * o.BurstStreams; q++)
        {
            slots.Add(Start(clients[q / o.StreamsPerConnection], users[q % users.Count], "burst", measured: false));
        }
        var seen = await dashboard.WaitForAsync(target, from, Settle);
        await WhenAllSettled(slots.Select(s => s.Opened.Task), Settle);
        var opened = DateTime.UtcNow.Ticks;
        var pushes = seen is { } s0 ? dashboard.Since(from).Count(e => e.ArrivedTicks <= s0.ArrivedTicks) : 0;
        var leaveFrom = dashboard.Count;
        var t1 = DateTime.UtcNow.Ticks;
        foreach (var slot in slots)
        {
            slot.Cancel.Cancel();
        }
        var gone = await dashboard.WaitForAsync(baseCount, leaveFrom, Settle);
        await WhenAllSettled(slots.Select(s => s.Running), Settle);
        // A quiet spell longer than the push interval, so every burst starts from the same pacing state.
        await Task.Delay(TimeSpan.FromMilliseconds(400));
        if (seen is null || gone is null)
        {
            Log($"burst: dashboard did not see {(seen is null ? target : baseCount)} within {Settle.TotalSeconds:F0} s (latest {dashboard.LatestViewers})");
            errors.Add("burst:dashboard-missed-count");
            return null;
        }
        return new BurstResult(
            (seen.Value.ArrivedTicks - t0) / (double)TimeSpan.TicksPerMillisecond,
            (opened - t0) / (double)TimeSpan.TicksPerMillisecond,
            (gone.Value.ArrivedTicks - t1) / (double)TimeSpan.TicksPerMillisecond,
            pushes);
    }

    /// <summary>
    /// The toggling viewer (a user not among the holders) joins and leaves in turn every change interval; the held
    /// streams record when each resulting count arrives.
    /// </summary>
    private async Task<UpdateLatency> MeasurePhaseAsync(string name, GrpcChannel channel, BenchUser toggler, WatchSlot[] slots, int baseCount)
    {
        var client = new PresenceService.PresenceServiceClient(channel);
        var measured = slots.Count(s => s.Measured);
        var phase = new UpdateLatency(name, measured * o.Changes + 1024, o.Changes);
        // A quiet spell longer than the push interval first: a change right after the previous push would be coalesced
        // into a trailing push (by design) and measure the pacing, not the delivery.
        await Task.Delay(TimeSpan.FromSeconds(1));
        var cpu = server.CpuSeconds();
        var clientCpu = ServerProbe.ClientCpuSeconds();
        var clock = Stopwatch.StartNew();
        recorder = phase;
        WatchSlot? watching = null;
        for (var i = 0; i < o.Changes; i++)
        {
            var due = o.ChangeInterval * i - clock.Elapsed;
            if (due > TimeSpan.Zero)
            {
                await Task.Delay(due);
            }
            if (i % 2 == 0)
            {
                phase.AddChange(DateTime.UtcNow.Ticks, baseCount + 1);
                watching = Start(client, toggler, "toggler", measured: false);
                await WhenAllSettled([watching.Opened.Task], Settle);
            }
            else if (watching is not null)
            {
                phase.AddChange(DateTime.UtcNow.Ticks, baseCount);
                watching.Cancel.Cancel();
                await WhenAllSettled([watching.Running], Settle);
                watching = null;
            }
        }
        if (watching is not null)
        {
            watching.Cancel.Cancel();
            await watching.Running;
        }
        await WaitAllSeeAsync(slots, baseCount);
        var seconds = clock.Elapsed.TotalSeconds;
        recorder = null;
        phase.ServerCpuPercent = 100 * (server.CpuSeconds() - cpu) / seconds;
        phase.ClientCpuPercent = 100 * (ServerProbe.ClientCpuSeconds() - clientCpu) / seconds;
        phase.LoadAverage = ServerProbe.LoadAverage1();
        Log($"{name}: {phase.Changes} changes, end to end {phase.EndToEnd()}, fan-out p99 {phase.FanOut().P99:F1} ms; server CPU {phase.ServerCpuPercent:F0} %, client CPU {phase.ClientCpuPercent:F0} %, load {phase.LoadAverage:F2}");
        return phase;
    }

    /// <summary>Waits (up to 30 s) until every open held stream's last update carries <paramref name="count"/>.</summary>
    private async Task WaitAllSeeAsync(WatchSlot[] slots, int count)
    {
        var until = Stopwatch.StartNew();
        while (slots.Any(s => s.Ended is null && s.Opened.Task.IsCompletedSuccessfully && Volatile.Read(ref s.LastWatching) != count))
        {
            if (until.Elapsed > Settle)
            {
                Log($"{slots.Count(s => Volatile.Read(ref s.LastWatching) != count)} held streams did not see count {count} within {Settle.TotalSeconds:F0} s");
                return;
            }
            await Task.Delay(50);
        }
    }

    private static async Task WhenAllSettled(IEnumerable<Task> tasks, TimeSpan timeout)
    {
        var all = Task.WhenAll(tasks);
        await Task.WhenAny(all, Task.Delay(timeout));
        _ = all.Exception; // observed: failures are counted by each stream
    }

    private static double Median(IReadOnlyCollection<long> values) => Median(values.Select(v => (double)v).ToList());

    private static double Median(List<double> values)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }
        var sorted = values.OrderBy(v => v).ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
