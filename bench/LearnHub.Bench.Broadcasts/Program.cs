using System.Globalization;
using LearnHub.Bench.Broadcasts;

// load DB [--big-followers N] [--small-followers N] [--creators N] [--followed N] [--readers N] [--broadcasts N] [--inbox-history-days N]
// run URL DB ADMIN_TOKEN BIG_TOKEN SMALL_TOKEN READER_TOKENS_FILE [--pairs N] [--warmup-pairs N] [--check-ins N] [--warmup-check-ins N] [--server-pid PID]
// explain DB [--repeats N]
const string Usage = """
    usage: load DB [--big-followers N] [--small-followers N] [--creators N] [--followed N] [--readers N] [--broadcasts N] [--inbox-history-days N]
           run URL DB ADMIN_TOKEN BIG_TOKEN SMALL_TOKEN READER_TOKENS_FILE [--pairs N] [--warmup-pairs N] [--check-ins N] [--warmup-check-ins N] [--server-pid PID]
           explain DB [--repeats N]
    """;
int positional = args.Length > 0 ? args[0] switch { "load" => 2, "run" => 7, "explain" => 2, _ => -1 } : -1;
if (positional < 0 || args.Length < positional)
{
    Console.Error.WriteLine(Usage);
    return 2;
}
var options = new Dictionary<string, int>(StringComparer.Ordinal);
for (var i = positional; i + 1 < args.Length; i += 2)
{
    options[args[i]] = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
}
string[] known = ["--big-followers", "--small-followers", "--creators", "--followed", "--readers", "--broadcasts", "--inbox-history-days",
    "--pairs", "--warmup-pairs", "--check-ins", "--warmup-check-ins", "--server-pid", "--repeats"];
if (options.Keys.FirstOrDefault(k => !known.Contains(k)) is { } unknown)
{
    Console.Error.WriteLine($"unknown option {unknown}\n{Usage}");
    return 2;
}
int Get(string name, int fallback) => options.Remove(name, out var value) ? value : fallback;

int status;
switch (args[0])
{
    case "load":
        var load = new LoadOptions(args[1]);
        status = Loader.Run(load with
        {
            BigFollowers = Get("--big-followers", load.BigFollowers),
            SmallFollowers = Get("--small-followers", load.SmallFollowers),
            Creators = Get("--creators", load.Creators),
            Followed = Get("--followed", load.Followed),
            Readers = Get("--readers", load.Readers),
            Broadcasts = Get("--broadcasts", load.Broadcasts),
            InboxHistoryDays = Get("--inbox-history-days", load.InboxHistoryDays),
        });
        break;
    case "run":
        var run = new RunOptions(new Uri(args[1]), args[2], args[3], args[4], args[5], File.ReadAllLines(args[6]).Where(l => l.Length > 0).ToArray());
        var pid = Get("--server-pid", 0);
        status = await Runs.RunAsync(run with
        {
            Pairs = Get("--pairs", run.Pairs),
            WarmupPairs = Get("--warmup-pairs", run.WarmupPairs),
            CheckIns = Get("--check-ins", run.CheckIns),
            WarmupCheckIns = Get("--warmup-check-ins", run.WarmupCheckIns),
            ServerPid = pid == 0 ? null : pid,
        });
        break;
    default:
        status = Explain.Run(args[1], Get("--repeats", 50));
        break;
}
return status;
