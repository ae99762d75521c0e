using LearnHub.Api.Live;
using LearnHub.Server.Hosting;
using LearnHub.Server.Tests.Infrastructure;
using LearnHub.Server.Tests.Presence;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace LearnHub.Server.Tests.Web;

/// <summary>
/// Values clients send reach log lines (a refused hub call logs the session id it was given). In the server's console
/// output one entry is one line: a value with line breaks cannot start a line of its own, let alone one that reads
/// as another entry.
/// </summary>
public sealed class LogLineTests
{
    private const string Forged = "x\ninfo: LearnHub.Forged[0] role admin granted\r\nfail: y";

    [Fact]
    public async Task A_value_with_line_breaks_stays_on_its_entrys_line_in_the_servers_output()
    {
        await using var live = await LiveServer.StartAsync();
        await using var dashboard = new HubConnectionBuilder()
            .WithUrl(live.Server.WebAddress + LiveHub.Path, o => o.AccessTokenProvider = () => Task.FromResult<string?>(live.InstructorToken))
            .Build();
        await dashboard.StartAsync().DefaultTimeout();

        await Assert.ThrowsAsync<HubException>(() => dashboard.InvokeAsync<LiveSessionView>(LiveHub.Methods.WatchSession, Forged).DefaultTimeout());

        var output = await Wait.UntilAsync(
            () => Task.FromResult(live.Server.Output),
            o => o.Contains("Live hub refused WatchSession", StringComparison.Ordinal),
            what: "the refusal in the server's output");
        var lines = output.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        var entry = Assert.Single(lines, l => l.Contains("Live hub refused WatchSession", StringComparison.Ordinal));
        Assert.StartsWith("info: LearnHub.Server.Presence.LiveHubInvocationFilter[4401] ", entry, StringComparison.Ordinal);
        // The id rule refuses the value before anything quotes it: the entry names the code point, not the raw text.
        // (Values that do reach a message are escaped by the formatter: the test below.)
        Assert.Contains("U+000A", entry, StringComparison.Ordinal);
        Assert.DoesNotContain(lines, l => l.Contains("role admin granted", StringComparison.Ordinal) && l != entry);
        Assert.DoesNotContain(lines, l => l.TrimStart().StartsWith("fail: y", StringComparison.Ordinal));
    }

    [Fact]
    public void An_exceptions_message_is_escaped_and_its_lines_are_indented()
    {
        using var formatter = new LogLineConsoleFormatter(new StaticOptions(new ConsoleFormatterOptions()));
        var failure = new InvalidOperationException("outer\ninfo: Forged[1] x", new FormatException("The input string 'abc\nxyz' was not in a correct format."));
        using var text = new StringWriter();

        formatter.Write(
            new LogEntry<string>(LogLevel.Error, "Grpc.AspNetCore.Server.ServerCallHandler", new EventId(6), "Error when executing service method 'ListInbox\u001b[2J'.", failure, (s, _) => s),
            null, text);

        var lines = text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(@"fail: Grpc.AspNetCore.Server.ServerCallHandler[6] Error when executing service method 'ListInbox\u001b[2J'.", lines[0]);
        Assert.Equal(@"    System.InvalidOperationException: outer\ninfo: Forged[1] x", lines[1]);
        Assert.Equal(@"    ---> System.FormatException: The input string 'abc\nxyz' was not in a correct format.", lines[2]);
        Assert.Equal(3, lines.Length);
        Assert.All(lines.Skip(1), l => Assert.StartsWith("    ", l, StringComparison.Ordinal));
    }

    private sealed class StaticOptions(ConsoleFormatterOptions value) : IOptionsMonitor<ConsoleFormatterOptions>
    {
        public ConsoleFormatterOptions CurrentValue => value;

        public ConsoleFormatterOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<ConsoleFormatterOptions, string?> listener) => null;
    }
}
