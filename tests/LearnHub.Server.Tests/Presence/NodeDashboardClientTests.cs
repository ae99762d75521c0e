using System.Text.Json;
using LearnHub.Api.V1;
using LearnHub.Server.Tests.Infrastructure;
using LearnHub.Server.Tests.Interop;
using LearnHub.Testing;

namespace LearnHub.Server.Tests.Presence;

/// <summary>
/// An outside dashboard: Node with @microsoft/signalr (tests/interop/node/live-dashboard.mjs) connects to /hubs/live on
/// the real server process with a token from accessTokenFactory and prints what the hub pushes as JSON lines.
/// </summary>
public sealed class NodeDashboardClientTests
{
    private const string Script = "live-dashboard.mjs";

    /// <summary>Node's start and the SignalR negotiate on a loaded 2-core machine.</summary>
    private static readonly TimeSpan ConnectDeadline = TimeSpan.FromSeconds(60);

    private static readonly TimeSpan PushDeadline = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task A_node_dashboard_receives_the_viewer_count_when_a_grpc_viewer_starts_watching()
    {
        var clientFolder = SignalRClientFolder();
        await using var live = await LiveServer.StartAsync();
        await using var dashboard = ChildProcess.Start("node", [Script], clientFolder, Environment(live, live.InstructorToken));
        var watching = await UntilEventAsync(dashboard, live, e => Event(e) == "watching", ConnectDeadline, "the hub's answer to WatchSession");
        var session = watching.GetProperty("session");
        Assert.Equal(live.SessionId, session.GetProperty("sessionId").GetString());
        Assert.Equal("Live", session.GetProperty("status").GetString());
        Assert.Equal(0, session.GetProperty("viewers").GetInt32());

        await using var viewer = WatchFeed.Open(live.Presence(live.ViewerToken), live.SessionId);

        var pushed = await UntilEventAsync(
            dashboard, live,
            e => Event(e) == "ViewerCountChanged" && e.GetProperty("change").GetProperty("sessionId").GetString() == live.SessionId && e.GetProperty("change").GetProperty("viewers").GetInt32() == 1,
            PushDeadline, "a ViewerCountChanged push with 1 viewer");
        var change = pushed.GetProperty("change");
        Assert.Equal("Live", change.GetProperty("status").GetString());
        Assert.True(change.GetProperty("sequence").GetInt64() >= 1);
    }

    [Fact]
    public async Task A_node_client_is_refused_by_the_hub_without_a_token_and_with_a_viewer_token()
    {
        var clientFolder = SignalRClientFolder();
        await using var live = await LiveServer.StartAsync();

        var anonymous = await RefusedStartAsync(clientFolder, live, token: "");
        var viewerOnly = await RefusedStartAsync(clientFolder, live, live.ViewerToken);

        Assert.Equal(401, anonymous.GetProperty("statusCode").GetInt32());
        Assert.Equal(403, viewerOnly.GetProperty("statusCode").GetInt32());
    }

    /// <summary>Runs the script to its end and returns its startFailed line (it exits with 2 when the start is refused).</summary>
    private static async Task<JsonElement> RefusedStartAsync(string clientFolder, LiveServer live, string token)
    {
        var (exitCode, output) = await ChildProcess.RunAsync("node", [Script], clientFolder, ConnectDeadline, Environment(live, token));
        var refusal = JsonLines(output).FirstOrDefault(e => Event(e) == "startFailed");
        Assert.True(exitCode == 2 && refusal.ValueKind == JsonValueKind.Object, $"Expected a refused start (exit code 2), got {exitCode}. Node's output:\n{output}");
        Assert.DoesNotContain(JsonLines(output), e => Event(e) is "started" or "watching");
        return refusal;
    }

    private static Dictionary<string, string> Environment(LiveServer live, string token) => new()
    {
        ["LEARNHUB_WEB_ADDRESS"] = live.Server.WebAddress,
        ["LEARNHUB_TOKEN"] = token,
        ["LEARNHUB_SESSION_ID"] = live.SessionId,
        // Outlives any deadline here, yet ends by itself if this test run dies before disposing it.
        ["LEARNHUB_RUN_SECONDS"] = "180",
    };

    /// <summary>Waits for a JSON line from the running script; fails at once with both outputs if Node exits.</summary>
    private static async Task<JsonElement> UntilEventAsync(ChildProcess node, LiveServer live, Func<JsonElement, bool> done, TimeSpan deadline, string what)
    {
        JsonElement? Probe()
        {
            if (node.HasExited)
            {
                throw new InvalidOperationException($"Node exited with {node.ExitCode} before {what}. Node's output:\n{node.Output}\nServer output:\n{live.Server.Output}");
            }
            return JsonLines(node.Output).Where(done).Select(e => (JsonElement?)e).FirstOrDefault();
        }

        try
        {
            var found = await Wait.UntilAsync(() => Task.FromResult(Probe()), e => e is not null, deadline, what);
            return found!.Value;
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}. Node's output:\n{node.Output}", e);
        }
    }

    private static string? Event(JsonElement line) =>
        line.TryGetProperty("event", out var name) && name.ValueKind == JsonValueKind.String ? name.GetString() : null;

    /// <summary>The script's JSON lines; the signalr library's own log lines are skipped.</summary>
    private static List<JsonElement> JsonLines(string output)
    {
        var lines = new List<JsonElement>();
        foreach (var line in output.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!line.StartsWith('{'))
            {
                continue;
            }
            try
            {
                using var document = JsonDocument.Parse(line);
                lines.Add(document.RootElement.Clone());
            }
            catch (JsonException)
            {
                // Not one of the script's lines.
            }
        }
        return lines;
    }

    private static string SignalRClientFolder()
    {
        var folder = NodeClientTests.NodeClientFolder();
        Assert.True(
            Directory.Exists(Path.Combine(folder, "node_modules", "@microsoft", "signalr")),
            $"The Node client's packages are not installed: run `npm ci` in {folder} (scripts/test.sh does it when node_modules is missing).");
        return folder;
    }
}
