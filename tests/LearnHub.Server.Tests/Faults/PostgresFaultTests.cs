using System.Net;
using Grpc.Core;
using LearnHub.Api.V1;
using LearnHub.Server.Tests.Infrastructure;
using LearnHub.Server.Tests.Presence;
using LearnHub.Testing;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Time.Testing;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace LearnHub.Server.Tests.Faults;

/// <summary>
/// The PostgreSQL store going away (its server stopped, as a crash or a failover does) and coming back: calls answer
/// UNAVAILABLE with a retry hint — in the handler and in authentication alike —, the dashboard hub answers a readable
/// HubException and the calendar feeds 503 with Retry-After; readiness goes NOT_SERVING, and everything
/// recover by themselves. Always on a PostgreSQL server of the test's own (whatever LEARNHUB_TEST_STORE says), since it
/// is stopped.
/// </summary>
public sealed class PostgresFaultTests
{
    [Fact]
    public async Task A_lost_database_answers_UNAVAILABLE_and_readiness_recovers_when_it_is_back()
    {
        await using var server = await PostgresServer.StartAsync();
        if (!server.IsPrivate)
        {
            Assert.Skip($"{PostgresServer.ExternalServerVariable} names a server the tests must not stop.");
        }
        var database = await server.CreateDatabaseAsync();
        await using var app = await LearnHubApp.StartAsync(
            new Dictionary<string, string?> { ["Storage:Provider"] = "Postgres", ["Storage:ConnectionString"] = database },
            clock: new FakeTimeProvider(Scenario.Start) { AutoAdvanceAmount = TimeSpan.Zero });
        var teacher = await app.CreateUserAsync("wanhongcoco", "instructor");
        // Never seen by the server yet: its first call must read the user's access from the store.
        var stranger = await app.CreateUserAsync("xiaowang");
        var before = await teacher.ScheduleAsync(app.Now().AddDays(1));
        var feedKey = (await teacher.Identity.GetMyCalendarFeedKeyAsync(new GetMyCalendarFeedKeyRequest())).Key;
        await using var dashboard = await Dashboard.ConnectAsync(teacher);
        using var web = app.CreateWebClient();
        Assert.Equal(ServingStatus.Serving, await app.HealthAsync());

        await server.StopAsync();
        var stopped = true;
        try
        {
            var create = await Assert.ThrowsAsync<RpcException>(() => teacher.ScheduleAsync(app.Now().AddDays(2)));
            Assert.Equal("connection_lost", create.AssertStoreUnavailable());
            var read = await Assert.ThrowsAsync<RpcException>(() => teacher.GetAsync(before.Id));
            Assert.Equal("connection_lost", read.AssertStoreUnavailable());
            var signIn = await Assert.ThrowsAsync<RpcException>(() => stranger.Identity.GetMeAsync(new GetMeRequest()).ResponseAsync);
            Assert.Equal("connection_lost", signIn.AssertStoreUnavailable());
            // The paths beside gRPC: the dashboard hub says why; the calendar feed answers 503 with Retry-After.
            var hub = await Assert.ThrowsAsync<HubException>(dashboard.WatchLiveSessionsAsync);
            Assert.Contains("服务暂时无法完成请求，请 2 秒后重试。", hub.Message, StringComparison.Ordinal);
            using var feed = await web.GetAsync(new Uri($"/calendar/me.ics?key={feedKey}", UriKind.Relative), TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, feed.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(2), feed.Headers.RetryAfter?.Delta);
            await app.UntilHealthAsync(ServingStatus.NotServing);

            await server.StartAgainAsync();
            stopped = false;
        }
        finally
        {
            if (stopped)
            {
                await server.StartAgainAsync();
            }
        }

        await app.UntilHealthAsync(ServingStatus.Serving);
        var after = await Wait.UntilAsync(
            async () =>
            {
                try
                {
                    return await teacher.ScheduleAsync(app.Now().AddDays(2));
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable)
                {
                    return null; // a pooled connection from before the restart, found broken on first use
                }
            },
            session => session is not null, what: "a create after the database is back");
        Assert.Equal(before.Id, (await teacher.GetAsync(before.Id)).Id);
        Assert.Equal(stranger.Id, (await stranger.Identity.GetMeAsync(new GetMeRequest())).Id);
        Assert.NotNull(await dashboard.WatchLiveSessionsAsync());
        using (var feed = await web.GetAsync(new Uri($"/calendar/me.ics?key={feedKey}", UriKind.Relative), TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, feed.StatusCode);
        }
        Assert.Equal(new[] { before.Id, after!.Id }.Order(StringComparer.Ordinal), (await teacher.AllSessionsAsync()).Select(s => s.Id).Order(StringComparer.Ordinal));
        await app.StopAsync();
        Npgsql.NpgsqlConnection.ClearAllPools();
    }
}
