using LearnHub.Api.V1;
using LearnHub.Server.Presence;
using LearnHub.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using static LearnHub.Server.Tests.Infrastructure.Scenario;

namespace LearnHub.Server.Tests.Presence;

public sealed class LiveHubTests
{
    [Fact]
    public async Task A_dashboard_sees_live_sessions_with_counts_and_receives_count_and_status_pushes()
    {
        await using var app = await Scenario.StartAsync();
        var admin = await app.CreateUserAsync("admin", "admin");
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var colleague = await app.CreateUserAsync("zhanglaoshi", "instructor");
        var viewer = await app.CreateUserAsync("xiaowang");
        var live = await instructor.LiveSessionAsync();
        var later = await colleague.ScheduleAsync(app.Now().AddMinutes(20), minutes: 30);
        await using var early = await Watcher.OpenAsync(viewer, live.Id);
        await using var dashboard = await Dashboard.ConnectAsync(admin);

        var sessions = await dashboard.WatchLiveSessionsAsync();
        var listed = Assert.Single(sessions);
        Assert.Equal((live.Id, "Live", 1, "wanhongcoco"), (listed.SessionId, listed.Status, listed.Viewers, listed.InstructorName));

        await using var second = await Watcher.OpenAsync(instructor, live.Id);
        await app.SettleAsync(live.Id, 2);
        var pushed = await dashboard.CountAsync(live.Id, 2);
        Assert.Equal("Live", pushed.Status);

        await colleague.Sessions.GoLiveAsync(new GoLiveRequest { SessionId = later.Id });
        Assert.Equal("Live", (await dashboard.StatusAsync(later.Id, "Live")).Status);

        await instructor.Sessions.EndSessionAsync(new EndSessionRequest { SessionId = live.Id });
        var ended = await dashboard.StatusAsync(live.Id, "Ended");
        Assert.NotNull(ended.EndedAt);
        Assert.Equal(0, ended.Viewers);
    }

    [Fact]
    public async Task A_burst_of_ten_thousand_joins_reaches_a_dashboard_as_a_handful_of_pushes_ending_with_the_true_count()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var session = await instructor.LiveSessionAsync();
        await using var dashboard = await Dashboard.ConnectAsync(instructor);
        await dashboard.WatchSessionAsync(session.Id);
        var counts = app.Services.GetRequiredService<ILiveViewerCounts>();

        var handles = new IDisposable[10_000];
        Parallel.For(0, handles.Length, i => handles[i] = counts.Join(session.Id, $"u_{i}"));
        await app.SettleAsync(session.Id, 10_000);

        await dashboard.CountAsync(session.Id, 10_000);
        Assert.InRange(dashboard.PushesFor(session.Id), 1, 3);

        // Everyone leaves over the next second of clock time: again a few pushes, the last one true.
        Parallel.ForEach(handles, h => h.Dispose());
        await app.SettleAsync(session.Id, 0);
        await dashboard.CountAsync(session.Id, 0);
        Assert.InRange(dashboard.PushesFor(session.Id), 2, 6);
        var sequences = dashboard.Counts.Where(c => c.SessionId == session.Id).Select(c => c.Sequence).ToList();
        Assert.Equal(sequences.Order(), sequences);
    }

    [Fact]
    public async Task An_instructor_sees_only_their_own_sessions_and_cannot_join_another_instructors_group()
    {
        await using var app = await Scenario.StartAsync();
        var owner = await app.CreateUserAsync("wanhongcoco", "instructor");
        var other = await app.CreateUserAsync("zhanglaoshi", "instructor");
        var reviewer = await app.CreateUserAsync("shenhe", "reviewer");
        var viewer = await app.CreateUserAsync("xiaowang");
        var session = await owner.LiveSessionAsync();
        await using var otherDashboard = await Dashboard.ConnectAsync(other);
        await using var reviewerDashboard = await Dashboard.ConnectAsync(reviewer);

        Assert.Empty(await otherDashboard.WatchLiveSessionsAsync());
        var refusal = await Assert.ThrowsAsync<HubException>(() => otherDashboard.WatchSessionAsync(session.Id));
        Assert.Contains("无权查看其他讲师的直播。", refusal.Message, StringComparison.Ordinal);
        Assert.Equal(session.Id, Assert.Single(await reviewerDashboard.WatchLiveSessionsAsync()).SessionId);

        await using var watcher = await Watcher.OpenAsync(viewer, session.Id);
        await app.SettleAsync(session.Id, 1);
        await reviewerDashboard.CountAsync(session.Id, 1);
        Assert.Empty(otherDashboard.Counts);

        await Assert.ThrowsAsync<HubException>(() => reviewerDashboard.WatchSessionAsync("s_missing"));
    }

    [Fact]
    public async Task Connections_without_a_token_or_with_a_viewer_token_are_refused()
    {
        await using var app = await Scenario.StartAsync();
        var viewer = await app.CreateUserAsync("xiaowang");

        await using var anonymous = Dashboard.Connection(app, token: null);
        var noToken = await Assert.ThrowsAnyAsync<Exception>(() => anonymous.StartAsync().DefaultTimeout());
        Assert.Contains("401", noToken.Message, StringComparison.Ordinal);

        await using var viewerOnly = Dashboard.Connection(app, viewer.Token);
        var wrongRole = await Assert.ThrowsAnyAsync<Exception>(() => viewerOnly.StartAsync().DefaultTimeout());
        Assert.Contains("403", wrongRole.Message, StringComparison.Ordinal);

        await using var forged = Dashboard.Connection(app, viewer.Token[..^4] + "AAAA");
        var badSignature = await Assert.ThrowsAnyAsync<Exception>(() => forged.StartAsync().DefaultTimeout());
        Assert.Contains("401", badSignature.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refused_invocations_are_logged_as_information_never_as_errors()
    {
        await using var app = await Scenario.StartAsync();
        var owner = await app.CreateUserAsync("wanhongcoco", "instructor");
        var other = await app.CreateUserAsync("zhanglaoshi", "instructor");
        var session = await owner.LiveSessionAsync();
        await using var dashboard = await Dashboard.ConnectAsync(other);

        await Assert.ThrowsAsync<HubException>(() => dashboard.WatchSessionAsync(session.Id));
        await Assert.ThrowsAsync<HubException>(() => dashboard.WatchSessionAsync("s_missing"));
        await Assert.ThrowsAsync<HubException>(() => dashboard.WatchSessionAsync(""));

        var lines = await Wait.UntilAsync(
            () => Task.FromResult(app.Logs.Describe().Split('\n')),
            l => l.Count(line => line.Contains("Live hub refused WatchSession", StringComparison.Ordinal)) == 3,
            what: "three refusals logged");
        Assert.All(lines.Where(line => line.Contains("Live hub refused", StringComparison.Ordinal)),
            line => Assert.Contains($" Information {typeof(LiveHubInvocationFilter).FullName}: ", line, StringComparison.Ordinal));
        Assert.DoesNotContain(lines, line => line.Contains(" Error ", StringComparison.Ordinal) && (line.Contains("SignalR", StringComparison.Ordinal) || line.Contains("LiveHub", StringComparison.Ordinal)));
        // The connection is still usable.
        Assert.Empty(await dashboard.WatchLiveSessionsAsync());
    }

    [Fact]
    public async Task A_flood_of_invocations_is_refused_per_user_and_logged_as_a_warning()
    {
        const int burst = 5;
        await using var app = await LearnHubApp.StartAsync(new Dictionary<string, string?>
        {
            ["Presence:HubInvocationBurst"] = burst.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Presence:HubInvocationsPerSecond"] = "1",
        });
        var flooder = await app.CreateUserAsync("flooder", "instructor");
        var colleague = await app.CreateUserAsync("zhanglaoshi", "instructor");
        await using var flooding = await Dashboard.ConnectAsync(flooder);
        await using var calm = await Dashboard.ConnectAsync(colleague);

        // One token comes back per second of wall time; calls taking milliseconds run out long before 50.
        var served = 0;
        HubException? refused = null;
        while (refused is null && served < 50)
        {
            try
            {
                await flooding.WatchLiveSessionsAsync();
                served++;
            }
            catch (HubException e)
            {
                refused = e;
            }
        }

        Assert.NotNull(refused);
        Assert.Contains("请求过于频繁", refused.Message, StringComparison.Ordinal);
        Assert.InRange(served, burst, 49);
        // Another user's dashboard has its own bucket.
        Assert.Empty(await calm.WatchLiveSessionsAsync());
        var lines = app.Logs.Describe().Split('\n');
        Assert.Contains(lines, line => line.Contains($" Warning {typeof(LiveHubInvocationFilter).FullName}: Live hub rate limit: refused WatchLiveSessions for {flooder.Id}", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, line => line.Contains(" Error ", StringComparison.Ordinal) && line.Contains("SignalR", StringComparison.Ordinal));
    }
}
