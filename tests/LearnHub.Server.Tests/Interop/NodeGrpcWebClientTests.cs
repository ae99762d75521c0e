using System.Text.Json;
using LearnHub.Testing;

namespace LearnHub.Server.Tests.Interop;

/// <summary>
/// A Node client over gRPC-Web (src/LearnHub.Embed/examples/node-client.mjs: @connectrpc/connect-node's gRPC-Web
/// transport over HTTP/1.1 and the code buf generates from protos/) against the real server's web port: the public
/// 直播推荐 answers anonymously, anything else without a token is refused, and a token works.
/// </summary>
public sealed class NodeGrpcWebClientTests
{
    private static readonly TimeSpan NodeDeadline = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Anonymous_calls_get_only_the_public_reads_and_a_token_gets_the_rest()
    {
        var embedFolder = EmbedFolder();
        Assert.True(
            Directory.Exists(Path.Combine(embedFolder, "node_modules", "@connectrpc", "connect-node")) && File.Exists(Path.Combine(embedFolder, "gen", "learnhub", "v1", "sessions_pb.js")),
            $"The embed package is not built: building src/LearnHub.Server runs `npm ci` and `npm run build` in {embedFolder}.");

        await using var server = ServerChildProcess.Prepare();
        // The demo (the seed's 直播推荐) is written only into an empty store: start first, then add the account.
        await server.StartAsync("--Storage:SeedDemoData=true");
        await server.RunCliAsync("user", "add", "--handle", "grpcweb-viewer", "--name", "网页学员", "--roles", "viewer");
        var token = await server.RunCliAsync("token", "--user", "grpcweb-viewer");

        var (exitCode, output) = await ChildProcess.RunAsync(
            "node", ["examples/node-client.mjs"], embedFolder, NodeDeadline,
            new Dictionary<string, string> { ["LEARNHUB_WEB_ADDRESS"] = server.WebAddress, ["LEARNHUB_TOKEN"] = token.Split('\n')[^1].Trim() });
        Assert.True(exitCode == 0, $"node exited with {exitCode}. Its output:\n{output}\nServer output:\n{server.Output}");

        using var json = JsonDocument.Parse(output.Trim().Split('\n')[^1]);
        var result = json.RootElement;

        var recommendations = result.GetProperty("anonymousRecommendations");
        Assert.True(recommendations.GetProperty("ok").GetBoolean(), recommendations.ToString());
        var items = recommendations.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(["经济基础阶段测试2试题讲解", "经济基础第19章考点梳理", "经济基础第20章考点梳理"], items.Take(3).Select(i => i.GetProperty("title").GetString()));
        Assert.All(items, i => Assert.False(i.GetProperty("reservedByMe").GetBoolean()));
        Assert.Matches(@"^直播中 \d+$", items[0].GetProperty("badge").GetString());
        Assert.Matches(@"^\d\d-\d\d \d\d:\d\d · 54$", items[1].GetProperty("badge").GetString());

        foreach (var refused in new[] { "anonymousGetMe", "anonymousListMyReservations", "anonymousCreateSession" })
        {
            var answer = result.GetProperty(refused);
            Assert.False(answer.GetProperty("ok").GetBoolean(), $"{refused}: {answer}");
            Assert.Equal("Unauthenticated", answer.GetProperty("code").GetString());
            Assert.Contains("google.rpc.ErrorInfo", answer.GetProperty("details").EnumerateArray().Select(d => d.GetString()));
        }

        var me = result.GetProperty("signedInGetMe");
        Assert.True(me.GetProperty("ok").GetBoolean(), me.ToString());
        Assert.Equal("grpcweb-viewer", me.GetProperty("handle").GetString());
    }

    /// <summary>src/LearnHub.Embed, found by walking up from the test assembly to the folder holding LearnHub.sln.</summary>
    private static string EmbedFolder() => Path.GetFullPath(Path.Combine(NodeClientTests.NodeClientFolder(), "..", "..", "..", "src", "LearnHub.Embed"));
}
