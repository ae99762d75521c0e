using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Globalization;
using System.Text;

// The runtime calls StartupHook.Initialize (no namespace, internal is enough) before the server's Main.
#pragma warning disable CA1050 // the startup hook contract wants this type outside any namespace

/// <summary>
/// Allocation samples by type, without TraceEvent (not in this machine's NuGet mirror): the runtime's event source,
/// listened to in process, raises GCAllocationTick about every 100 KB allocated, naming the type of the object that
/// crossed the mark; each tick's bytes are counted against that type. The totals since the start go to
/// ALLOCATION_TYPES_FILE every second (written beside and renamed, so a reader never sees half a file); a reader takes
/// the difference of two copies for the part of the run it measures.
/// </summary>
internal static class StartupHook
{
    private static AllocationSampler? sampler;

    public static void Initialize()
    {
        var path = Environment.GetEnvironmentVariable("ALLOCATION_TYPES_FILE");
        if (!string.IsNullOrEmpty(path))
        {
            sampler = new AllocationSampler(path);
        }
    }
}

internal sealed class AllocationSampler : EventListener
{
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private readonly ConcurrentDictionary<string, Totals> byType = new(StringComparer.Ordinal);
    private readonly string path;
    private readonly Timer writer;
    private readonly object writing = new();

    public AllocationSampler(string path)
    {
        this.path = path;
        writer = new Timer(_ => Write(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (e.EventName is null || !e.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal) || e.PayloadNames is null || e.Payload is null)
        {
            return;
        }
        var typeAt = e.PayloadNames.IndexOf("TypeName");
        var bytesAt = e.PayloadNames.IndexOf("AllocationAmount64");
        if (typeAt < 0 || bytesAt < 0)
        {
            return;
        }
        var type = e.Payload[typeAt] as string ?? "?";
        var bytes = Convert.ToInt64(e.Payload[bytesAt], CultureInfo.InvariantCulture);
        var totals = byType.GetOrAdd(type, _ => new Totals());
        Interlocked.Add(ref totals.Bytes, bytes);
        Interlocked.Increment(ref totals.Samples);
    }

    private void Write()
    {
        // Timer callbacks overlap when one is late (a loaded CPU): one write at a time, each skipped if one is under way.
        if (!Monitor.TryEnter(writing))
        {
            return;
        }
        try
        {
            WriteTotals();
        }
        finally
        {
            Monitor.Exit(writing);
        }
    }

    private void WriteTotals()
    {
        var text = new StringBuilder();
        foreach (var (type, totals) in byType)
        {
            text.Append(CultureInfo.InvariantCulture, $"{Volatile.Read(ref totals.Bytes)}\t{Volatile.Read(ref totals.Samples)}\t{type}\n");
        }
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, text.ToString());
        File.Move(temporary, path, overwrite: true);
    }

    public override void Dispose()
    {
        writer.Dispose();
        base.Dispose();
    }

    private sealed class Totals
    {
        public long Bytes;
        public long Samples;
    }
}
