using LearnHub.Bench.Probe;

// bodies DIR                      writes the gRPC request frames h2load sends (ping, get-session, list-recommendations)
// check URL TOKEN [CALL…]         calls each benchmarked method (or only the CALLs named: ping, get-session,
//                                 list-recommendations) once with a real client; exit 1 unless all answer OK
// wait-healthy URL SECONDS        polls grpc.health.v1 until SERVING; exit 1 when the time runs out
// coldstart SERVER_DLL OPTIONS    times process start → first SERVING health check (--runs N, --cpus LIST)
return args switch
{
    ["wait-healthy", var url, var seconds] => await ColdStart.WaitHealthyAsync(new Uri(url), TimeSpan.FromSeconds(double.Parse(seconds, System.Globalization.CultureInfo.InvariantCulture))),
    ["bodies", var dir] => RequestBodies.Write(dir),
    ["check", var url, var token, .. var calls] => await StatusCheck.RunAsync(new Uri(url), token, calls),
    ["coldstart", var serverDll, .. var rest] => await ColdStart.RunAsync(serverDll, rest),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: bodies DIR | check URL TOKEN [CALL…] | wait-healthy URL SECONDS | coldstart SERVER_DLL [--runs N] [--existing DIR] [--cpus LIST]");
    return 2;
}
