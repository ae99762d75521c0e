using LearnHub.Browser.Tests.Infrastructure;

namespace LearnHub.Browser.Tests;

/// <summary>
/// Stopping the server while people have the console open (live dashboard, inbox badge, session page): each open
/// page holds a circuit, a hub connection and gRPC streams, and none of them may hold the stop for the host's
/// 30-second shutdown timeout.
/// </summary>
public sealed class ShutdownTests(LearnHubServer server) : BrowserTest(server), IClassFixture<LearnHubServer>
{
    private static readonly TimeSpan StopDeadline = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task The_server_stops_promptly_with_consoles_open()
    {
        await OpenSignedInAsync(LearnHubServer.Admin, "/live");
        var instructorContext = await Server.NewContextAsync();
        try
        {
            await instructorContext.AddCookiesAsync(await Server.SignedInCookiesAsync(LearnHubServer.Instructor));
            var instructorPage = await instructorContext.NewPageAsync();
            await GotoInteractiveAsync("/live", instructorPage);

            var took = await Server.TerminateAsync(StopDeadline);

            Assert.InRange(took, TimeSpan.Zero, StopDeadline);
            TestContext.Current.TestOutputHelper?.WriteLine($"Stopped in {took.TotalSeconds:F1} s with two consoles open.");
        }
        finally
        {
            await instructorContext.CloseAsync();
        }
    }
}
