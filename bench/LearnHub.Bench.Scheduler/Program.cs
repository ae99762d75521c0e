using System.Globalization;
using LearnHub.Bench.Scheduler;

// usage: URL ADMIN_TOKEN INSTRUCTOR_IDS_FILE [--lead SECONDS] [--parallel N] [--deadline SECONDS] [--server-pid PID]
if (args.Length < 3)
{
    Console.Error.WriteLine("usage: URL ADMIN_TOKEN INSTRUCTOR_IDS_FILE [--lead SECONDS] [--parallel N] [--deadline SECONDS] [--server-pid PID]");
    return 2;
}
var options = new PunctualityOptions(new Uri(args[0]), args[1], File.ReadAllLines(args[2]).Where(l => l.Length > 0).ToArray());
for (var i = 3; i + 1 < args.Length; i += 2)
{
    var value = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
    options = args[i] switch
    {
        "--lead" => options with { MinimumLead = TimeSpan.FromSeconds(value) },
        "--parallel" => options with { Parallelism = value },
        "--deadline" => options with { Deadline = TimeSpan.FromSeconds(value) },
        "--server-pid" => options with { ServerPid = value },
        _ => throw new ArgumentException($"unknown option {args[i]}"),
    };
}
return await PunctualityRun.RunAsync(options);
