using LearnHub.Testing;

namespace LearnHub.Server.Tests.Interop;

/// <summary>
/// An outside client: Node with @grpc/grpc-js and @grpc/proto-loader loads the repository's protos/ and calls the real
/// server (a child process) over h2c, with a token minted by the operator CLI (tests/interop/node/interop.test.mjs).
/// </summary>
public sealed class NodeClientTests
{
    private static readonly TimeSpan NodeDeadline = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task A_node_client_checks_health_creates_a_session_and_finds_it_in_recommendations()
    {
        var clientFolder = NodeClientFolder();
        Assert.True(
            Directory.Exists(Path.Combine(clientFolder, "node_modules", "@grpc", "grpc-js")) && Directory.Exists(Path.Combine(clientFolder, "node_modules", "@grpc", "proto-loader")),
            $"The Node client's packages are not installed: run `npm ci` in {clientFolder} (scripts/test.sh does it for you).");

        await using var server = ServerChildProcess.Prepare();
        await server.RunCliAsync("user", "add", "--handle", "interop-instructor", "--name", "互通讲师", "--roles", "instructor");
        var token = await server.RunCliAsync("token", "--user", "interop-instructor");
        await server.StartAsync();

        var (exitCode, output) = await ChildProcess.RunAsync(
            "node", ["--test", "interop.test.mjs"], clientFolder, NodeDeadline,
            new Dictionary<string, string> { ["LEARNHUB_GRPC_ADDRESS"] = server.GrpcAddress, ["LEARNHUB_TOKEN"] = token });

        Assert.True(exitCode == 0, $"node --test exited with {exitCode}. Node's output:\n{output}\nServer output:\n{server.Output}");
        // A run that found no test also exits 0.
        Assert.Matches(@"# pass [1-9]", output);
        Assert.Contains("# fail 0", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_node_client_reads_the_rate_limit_message_exactly()
    {
        var clientFolder = NodeClientFolder();
        Assert.True(
            Directory.Exists(Path.Combine(clientFolder, "node_modules", "@grpc", "grpc-js")),
            $"The Node client's packages are not installed: run `npm ci` in {clientFolder} (scripts/test.sh does it for you).");

        await using var server = ServerChildProcess.Prepare();
        await server.RunCliAsync("user", "add", "--handle", "interop-viewer", "--name", "互通学员", "--roles", "viewer");
        var token = await server.RunCliAsync("token", "--user", "interop-viewer");
        // A small read bucket: the client's back-to-back reads run out within a few calls.
        await server.StartAsync("--RateLimits:ReadBurst=3", "--RateLimits:ReadsPerSecond=1");

        var (exitCode, output) = await ChildProcess.RunAsync(
            "node", ["--test", "rate-limit-check.mjs"], clientFolder, NodeDeadline,
            new Dictionary<string, string> { ["LEARNHUB_GRPC_ADDRESS"] = server.GrpcAddress, ["LEARNHUB_TOKEN"] = token });

        Assert.True(exitCode == 0, $"node --test exited with {exitCode}. Node's output:\n{output}\nServer output:\n{server.Output}");
        Assert.Matches(@"# pass [1-9]", output);
        Assert.Contains("# fail 0", output, StringComparison.Ordinal);
    }

    /// <summary>tests/interop/node, found by walking up from the test assembly to the folder holding LearnHub.sln.</summary>
    internal static string NodeClientFolder()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "LearnHub.sln")))
            {
                return Path.Combine(folder.FullName, "tests", "interop", "node");
            }
        }
        throw new InvalidOperationException($"No LearnHub.sln above {AppContext.BaseDirectory}.");
    }
}
