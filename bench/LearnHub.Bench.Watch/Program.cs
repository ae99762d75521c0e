using System.Globalization;
using LearnHub.Bench.Watch;

// run OPTIONS                       the watch-stream benchmark (bench/watch.sh passes every option; bench/scaleout.sh adds
//                                   --hold-grpc URL,URL (held streams split over nodes), --burst-grpc URL, --server-pid PID,PID)
// dashboard WEB_URL TOKEN SESSION   a SignalR dashboard client; prints "count WALL_TICKS VIEWERS SEQUENCE" per push
//                                   (started by `run` as a separate process, so its pushes are not delayed by the load)
return args switch
{
    ["dashboard", var web, var token, var session] => await DashboardClient.RunAsync(new Uri(web), token, session),
    ["run", .. var rest] => await WatchRun.RunAsync(WatchOptions.Parse(rest)),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"usage: run --grpc URL --web URL --tokens FILE --session ID [--server-pid PID] [--duration S] [--bursts N] [--changes N] [--change-interval-ms MS] [--rounds N] | dashboard WEB_URL TOKEN SESSION"));
    return 2;
}
