using Grpc.Core;
using Grpc.Net.Client;
using LearnHub.Api.V1;

namespace LearnHub.Bench.Probe;

/// <summary>
/// h2load counts HTTP 200 as success even when grpc-status is not 0, so each benchmarked call is made once with a
/// real client first. Prints the response frame size: h2load's "data" bytes divided by its requests must match it
/// (an error answer is trailers-only and carries no data).
/// </summary>
public static class StatusCheck
{
    /// <param name="calls">Names of the calls to make (a body file without ".bin", e.g. "ping" for the bare server, which
    /// serves nothing else); empty: all of them.</param>
    public static async Task<int> RunAsync(Uri url, string token, IReadOnlyCollection<string> calls)
    {
        var unknown = calls.Where(c => !BenchCalls.All.Any(b => b.File == c + ".bin")).ToList();
        if (unknown.Count > 0)
        {
            Console.Error.WriteLine($"not a benchmarked call: {string.Join(", ", unknown)}");
            return 2;
        }
        using var channel = GrpcChannel.ForAddress(url);
        var headers = new Metadata { { "authorization", "Bearer " + token } };
        var deadline = DateTime.UtcNow.AddSeconds(10);
        var failures = 0;
        foreach (var (file, path, _) in BenchCalls.All.Where(b => calls.Count == 0 || calls.Contains(Path.GetFileNameWithoutExtension(b.File))))
        {
            try
            {
                var response = await CallAsync(channel, path, headers, deadline);
                Console.WriteLine($"{path}\tgrpc-status 0 (OK)\tresponse frame {5 + response.CalculateSize()} bytes\t{Describe(response)}");
            }
            catch (RpcException e)
            {
                failures++;
                Console.WriteLine($"{path}\tgrpc-status {(int)e.StatusCode} ({e.StatusCode})\t{e.Status.Detail}");
            }
        }
        return failures == 0 ? 0 : 1;
    }

    private static async Task<Google.Protobuf.IMessage> CallAsync(GrpcChannel channel, string path, Metadata headers, DateTime deadline) => path switch
    {
        "/learnhub.v1.DiagnosticsService/Ping" =>
            await new DiagnosticsService.DiagnosticsServiceClient(channel).PingAsync(new PingRequest(), headers, deadline),
        "/learnhub.v1.SessionService/GetSession" =>
            await new SessionService.SessionServiceClient(channel).GetSessionAsync(new GetSessionRequest { SessionId = BenchCalls.DemoSessionId }, headers, deadline),
        "/learnhub.v1.SessionService/ListRecommendations" =>
            await new SessionService.SessionServiceClient(channel).ListRecommendationsAsync(new ListRecommendationsRequest(), headers, deadline),
        _ => throw new ArgumentOutOfRangeException(nameof(path), path, "not a benchmarked call"),
    };

    private static string Describe(Google.Protobuf.IMessage response) => response switch
    {
        Session s => $"session \"{s.Title}\" ({s.Status})",
        ListRecommendationsResponse r => $"{r.Items.Count} items: {string.Join(" | ", r.Items.Select(i => i.Badge))}",
        _ => "",
    };
}
