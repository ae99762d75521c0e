using System.Net;
using System.Text.Json;
using LearnHub.Server.Tests.Infrastructure;
using LearnHub.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace LearnHub.Server.Tests.Faults;

/// <summary>
/// <c>/healthz/live</c> and <c>/healthz/ready</c> as a load balancer sees them: anonymous, JSON naming each check;
/// readiness (and grpc.health.v1 with it, never disagreeing) goes not ready when the store cannot write or Redis is
/// away, and back by itself, while liveness stays 200.
/// </summary>
public sealed class HealthEndpointTests
{
    [Fact(Timeout = 120_000)] // a hang fails with this test's name instead of holding the run
    public async Task Liveness_and_readiness_answer_anonymously_naming_each_check()
    {
        await using var app = await LearnHubApp.StartAsync(clock: new FakeTimeProvider(Scenario.Start) { AutoAdvanceAmount = TimeSpan.Zero });
        using var web = app.CreateWebClient();

        using var live = await web.GetAsync(new Uri("/healthz/live", UriKind.Relative), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        // Outside the console's middleware: no page headers, no cookies.
        Assert.False(live.Headers.Contains("Content-Security-Policy"));
        Assert.False(live.Headers.Contains("Set-Cookie"));

        var ready = await ReadyAsync(web);
        Assert.True(ready.Code == HttpStatusCode.OK && ready.Status == "Healthy", $"/healthz/ready answered {(int)ready.Code}: {ready.Body}\n{app.Logs.Describe()}");
        Assert.Equal(["host", "scheduler", "store"], ready.Checks.Keys.Order(StringComparer.Ordinal));
        Assert.All(ready.Checks.Values, status => Assert.Equal("Healthy", status));
        Assert.Equal(ServingStatus.Serving, await app.HealthAsync());
        Assert.DoesNotContain("Data Source", ready.Body, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Password", ready.Body, StringComparison.OrdinalIgnoreCase);
    }

    [Fact(Timeout = 120_000)] // a hang fails with this test's name instead of holding the run
    public async Task A_read_only_data_folder_makes_readiness_not_ready_until_it_is_writable_again()
    {
        if (TestStore.IsPostgres)
        {
            Assert.Skip("A read-only data folder concerns the SQLite store; the PostgreSQL pass covers a lost database.");
        }
        await using var disk = await Tmpfs.MountAsync("24m");
        await using var app = await LearnHubApp.StartAsync(dataDirectory: disk.Path, clock: new FakeTimeProvider(Scenario.Start) { AutoAdvanceAmount = TimeSpan.Zero });
        using var web = app.CreateWebClient();
        await UntilReadyAsync(app, web, HttpStatusCode.OK);

        await disk.RemountAsync(readOnly: true, Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools);
        try
        {
            var down = await UntilReadyAsync(app, web, HttpStatusCode.ServiceUnavailable);
            await AssertStoreNotReadyAsync(app, web, down);
        }
        finally
        {
            await disk.RemountAsync(readOnly: false);
        }

        var up = await UntilReadyAsync(app, web, HttpStatusCode.OK);
        Assert.Equal("Healthy", up.Checks["store"]);
        Assert.Equal(ServingStatus.Serving, await app.HealthAsync());
    }

    [Fact(Timeout = 120_000)] // a hang fails with this test's name instead of holding the run
    public async Task A_full_disk_makes_readiness_not_ready_until_space_comes_back()
    {
        if (TestStore.IsPostgres)
        {
            Assert.Skip("The full disk is the SQLite store's; the PostgreSQL pass covers a lost database.");
        }
        await using var disk = await Tmpfs.MountAsync("24m");
        await using var app = await LearnHubApp.StartAsync(dataDirectory: disk.Path, clock: new FakeTimeProvider(Scenario.Start) { AutoAdvanceAmount = TimeSpan.Zero });
        using var web = app.CreateWebClient();
        await UntilReadyAsync(app, web, HttpStatusCode.OK);

        disk.Fill();
        try
        {
            var down = await UntilReadyAsync(app, web, HttpStatusCode.ServiceUnavailable);
            await AssertStoreNotReadyAsync(app, web, down);
            Assert.Contains("full", down.Reasons["store"], StringComparison.Ordinal);
        }
        finally
        {
            disk.Free();
        }

        await UntilReadyAsync(app, web, HttpStatusCode.OK);
        Assert.Equal(ServingStatus.Serving, await app.HealthAsync());
    }

    [Fact(Timeout = 180_000)] // a hang fails with this test's name instead of holding the run
    public async Task A_lost_PostgreSQL_database_makes_readiness_not_ready_until_it_is_back()
    {
        if (!TestStore.IsPostgres)
        {
            Assert.Skip("Runs in the PostgreSQL pass (LEARNHUB_TEST_STORE=Postgres); the SQLite pass covers a read-only and a full disk.");
        }
        await using var server = await PostgresServer.StartAsync();
        if (!server.IsPrivate)
        {
            Assert.Skip($"{PostgresServer.ExternalServerVariable} names a server the tests must not stop.");
        }
        var database = await server.CreateDatabaseAsync();
        await using var app = await LearnHubApp.StartAsync(
            new Dictionary<string, string?> { ["Storage:Provider"] = "Postgres", ["Storage:ConnectionString"] = database },
            clock: new FakeTimeProvider(Scenario.Start) { AutoAdvanceAmount = TimeSpan.Zero });
        using var web = app.CreateWebClient();
        await UntilReadyAsync(app, web, HttpStatusCode.OK);

        await server.StopAsync();
        try
        {
            var down = await UntilReadyAsync(app, web, HttpStatusCode.ServiceUnavailable);
            await AssertStoreNotReadyAsync(app, web, down);
            Assert.DoesNotContain(database, down.Body, StringComparison.Ordinal);
        }
        finally
        {
            await server.StartAgainAsync();
        }

        await UntilReadyAsync(app, web, HttpStatusCode.OK);
        Assert.Equal(ServingStatus.Serving, await app.HealthAsync());
    }

    [Fact(Timeout = 120_000)] // a hang fails with this test's name instead of holding the run
    public async Task Readiness_is_not_ready_while_the_configured_Redis_is_stopped()
    {
        await using var redis = await RedisServer.StartAsync();
        if (!redis.CanRestart)
        {
            Assert.Skip("LEARNHUB_TEST_REDIS names a server the tests must not stop.");
        }
        await using var app = await LearnHubApp.StartAsync(
            new Dictionary<string, string?>
            {
                ["Redis:Configuration"] = redis.Configuration,
                ["Redis:ChannelPrefix"] = $"lh-test-{Guid.NewGuid():N}",
                ["Cluster:NodeId"] = "health-node",
            },
            clock: new FakeTimeProvider(Scenario.Start) { AutoAdvanceAmount = TimeSpan.Zero });
        using var web = app.CreateWebClient();
        var up = await UntilReadyAsync(app, web, HttpStatusCode.OK);
        Assert.Equal("Healthy", up.Checks["redis"]);

        await redis.KillAsync();
        var down = await UntilReadyAsync(app, web, HttpStatusCode.ServiceUnavailable);
        Assert.Equal(("Unhealthy", "Unhealthy", "Healthy"), (down.Status, down.Checks["redis"], down.Checks["store"]));
        Assert.DoesNotContain(redis.Configuration, down.Body, StringComparison.Ordinal);
        Assert.Equal(ServingStatus.NotServing, await app.HealthAsync());
        Assert.Equal(HttpStatusCode.OK, await LiveAsync(web));

        await redis.StartAgainAsync();
        // The multiplexer reconnects on its own backoff (real time).
        up = await UntilReadyAsync(app, web, HttpStatusCode.OK, TimeSpan.FromSeconds(60));
        Assert.Equal("Healthy", up.Checks["redis"]);
        Assert.Equal(ServingStatus.Serving, await app.HealthAsync());
    }

    [Fact(Timeout = 120_000)] // a hang fails with this test's name instead of holding the run
    public async Task While_the_server_stops_readiness_says_stopping_and_liveness_still_answers()
    {
        var held = new HeldStop();
        var app = await LearnHubApp.StartAsync(
            clock: new FakeTimeProvider(Scenario.Start) { AutoAdvanceAmount = TimeSpan.Zero },
            services: s => s.AddSingleton<Microsoft.Extensions.Hosting.IHostedService>(held));
        try
        {
            using var web = app.CreateWebClient();
            Assert.Equal(HttpStatusCode.OK, (await ReadyAsync(web)).Code);

            app.Services.GetRequiredService<Microsoft.Extensions.Hosting.IHostApplicationLifetime>().StopApplication();
            await held.Stopping.Task.DefaultTimeout();
            var stopping = await ReadyAsync(web);
            Assert.Equal((HttpStatusCode.ServiceUnavailable, "Unhealthy"), (stopping.Code, stopping.Checks["host"]));
            Assert.Contains("stopping", stopping.Reasons["host"], StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.OK, await LiveAsync(web));
        }
        finally
        {
            held.Release.TrySetResult();
            await app.DisposeAsync();
        }
    }

    /// <summary>Holds the host's stop (hosted services stop before the server) until the test lets it go.</summary>
    private sealed class HeldStop : Microsoft.Extensions.Hosting.IHostedService
    {
        public TaskCompletionSource Stopping { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public async Task StopAsync(CancellationToken cancellationToken)
        {
            Stopping.TrySetResult();
            await Release.Task.WaitAsync(cancellationToken);
        }
    }

    private static async Task AssertStoreNotReadyAsync(LearnHubApp app, HttpClient web, Ready down)
    {
        Assert.Equal(("Unhealthy", "Unhealthy", "Healthy"), (down.Status, down.Checks["store"], down.Checks["scheduler"]));
        Assert.NotEmpty(down.Reasons["store"]);
        Assert.Equal(ServingStatus.NotServing, await app.HealthAsync());
        Assert.Equal(HttpStatusCode.OK, await LiveAsync(web));
    }

    private sealed record Ready(HttpStatusCode Code, string Status, Dictionary<string, string> Checks, Dictionary<string, string> Reasons, string Body);

    private static async Task<HttpStatusCode> LiveAsync(HttpClient web)
    {
        using var live = await web.GetAsync(new Uri("/healthz/live", UriKind.Relative), TestContext.Current.CancellationToken);
        return live.StatusCode;
    }

    /// <summary>A load balancer's probe times out after this long and counts the node as not ready.</summary>
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// One readiness probe. As a load balancer's, it gives up after <see cref="ProbeTimeout"/> and counts that as not
    /// ready: the host's clock is fake, so a store probe stuck on a database that is coming back only times out once
    /// the next poll moves that clock on, and a poll waiting for it would wait for Npgsql's own timeouts instead.
    /// </summary>
    private static async Task<Ready> ReadyAsync(HttpClient web)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(ProbeTimeout);
        try
        {
            return await ReadyAsync(web, timeout.Token);
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            return new Ready(HttpStatusCode.RequestTimeout, "NoAnswer", [], [], $"no answer within {ProbeTimeout.TotalSeconds} s");
        }
    }

    private static async Task<Ready> ReadyAsync(HttpClient web, CancellationToken cancellationToken)
    {
        using var response = await web.GetAsync(new Uri("/healthz/ready", UriKind.Relative), cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        using var json = JsonDocument.Parse(body);
        var checks = new Dictionary<string, string>();
        var reasons = new Dictionary<string, string>();
        foreach (var check in json.RootElement.GetProperty("checks").EnumerateArray())
        {
            var name = check.GetProperty("name").GetString()!;
            checks[name] = check.GetProperty("status").GetString()!;
            reasons[name] = check.TryGetProperty("reason", out var reason) ? reason.GetString()! : "";
        }
        return new Ready(response.StatusCode, json.RootElement.GetProperty("status").GetString()!, checks, reasons, body);
    }

    /// <summary>
    /// Polls readiness until it answers <paramref name="expected"/>, moving the host's clock a second per poll (the store
    /// probe runs at most every 5 s of that clock).
    /// </summary>
    private static Task<Ready> UntilReadyAsync(LearnHubApp app, HttpClient web, HttpStatusCode expected, TimeSpan? deadline = null) =>
        Wait.UntilAsync(
            async () =>
            {
                app.Clock.Advance(TimeSpan.FromSeconds(1));
                return await ReadyAsync(web);
            },
            ready => ready.Code == expected,
            deadline ?? TimeSpan.FromSeconds(60),
            $"/healthz/ready {(int)expected}");
}
