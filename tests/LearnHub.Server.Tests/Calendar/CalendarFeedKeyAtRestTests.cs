using System.Net;
using System.Security.Cryptography;
using Dapper;
using Google.Rpc;
using Grpc.Core;
using LearnHub.Api.V1;
using LearnHub.Server.Data;
using LearnHub.Server.Identity;
using LearnHub.Server.Tests.Durability;
using LearnHub.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace LearnHub.Server.Tests.Calendar;

/// <summary>
/// Calendar feed keys at rest: the store holds a key's hash and its Data Protection form, never the key; the feed URLs
/// work and read back the same after a restart; a key whose key ring is gone still opens the feeds, and a reset gives
/// one the user can see; keys an earlier version kept in clear (and one such a version rotated during a rolling
/// upgrade) are protected at the next start, and a rotated-away key is refused. Runs on the test's store.
/// </summary>
public sealed class CalendarFeedKeyAtRestTests
{
    [Fact]
    public async Task The_store_holds_no_feed_key_in_clear_and_the_key_reads_back_after_a_restart()
    {
        await using var first = await LearnHubApp.StartAsync();
        var viewer = await first.CreateUserAsync("student");
        var issued = (await viewer.Identity.GetMyCalendarFeedKeyAsync(new GetMyCalendarFeedKeyRequest())).Key;

        var row = await UserRowAsync(first, viewer.Id);
        Assert.DoesNotContain(row, column => column.Value?.ToString()?.Contains(issued, StringComparison.Ordinal) == true);
        Assert.Equal(StoredSecrets.Sha256(issued), row["feed_key_hash"]);
        Assert.False(string.IsNullOrEmpty(row["feed_key_protected"] as string));
        await StoredSecrets.AssertNotInDatabaseFilesAsync(first, issued);
        Assert.Equal(issued, (await viewer.Identity.GetMyCalendarFeedKeyAsync(new GetMyCalendarFeedKeyRequest())).Key);

        await first.StopAsync();
        await using var second = await LearnHubApp.StartAsync(dataDirectory: first.DataDirectory, clock: first.Clock);
        Assert.Equal(issued, (await viewer.On(second).Identity.GetMyCalendarFeedKeyAsync(new GetMyCalendarFeedKeyRequest())).Key);
        using var web = second.CreateWebClient();
        Assert.Equal(HttpStatusCode.OK, (await web.GetAsync($"/calendar/me.ics?key={issued}")).StatusCode);
    }

    [Fact]
    public async Task Two_first_visits_at_once_get_the_same_key()
    {
        await using var app = await LearnHubApp.StartAsync();
        var viewer = await app.CreateUserAsync("student");

        var keys = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
            (await viewer.Identity.GetMyCalendarFeedKeyAsync(new GetMyCalendarFeedKeyRequest())).Key));

        Assert.Single(keys.Distinct());
        using var web = app.CreateWebClient();
        Assert.Equal(HttpStatusCode.OK, (await web.GetAsync($"/calendar/me.ics?key={keys[0]}")).StatusCode);
    }

    [Fact]
    public async Task A_feed_key_the_server_can_no_longer_read_still_opens_the_feeds_and_a_reset_shows_a_new_one()
    {
        await using var first = await LearnHubApp.StartAsync();
        var viewer = await first.CreateUserAsync("student");
        var lost = (await viewer.Identity.GetMyCalendarFeedKeyAsync(new GetMyCalendarFeedKeyRequest())).Key;
        await first.StopAsync();
        // The key ring is gone (a data folder restored without keys/): the stored key can no longer be read back.
        Directory.Delete(Path.Combine(first.DataDirectory, "keys"), recursive: true);

        await using var second = await LearnHubApp.StartAsync(dataDirectory: first.DataDirectory, clock: first.Clock);
        var again = viewer.On(second);
        var before = await UserRowAsync(second, viewer.Id);
        var refusal = await Assert.ThrowsAsync<RpcException>(() => again.Identity.GetMyCalendarFeedKeyAsync(new GetMyCalendarFeedKeyRequest()).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, refusal.StatusCode);
        Assert.Equal("CALENDAR_FEED_KEY_UNREADABLE", refusal.GetRpcStatus()?.GetDetail<ErrorInfo>()?.Reason);
        Assert.Contains("重置链接", refusal.Status.Detail, StringComparison.Ordinal);
        // Refused, not replaced: calendars subscribed with it keep working.
        var after = await UserRowAsync(second, viewer.Id);
        Assert.Equal((before["feed_key_hash"], before["feed_key_protected"]), (after["feed_key_hash"], after["feed_key_protected"]));
        using var web = second.CreateWebClient();
        Assert.Equal(HttpStatusCode.OK, (await web.GetAsync($"/calendar/me.ics?key={lost}")).StatusCode);

        var reset = (await again.Identity.GetMyCalendarFeedKeyAsync(new GetMyCalendarFeedKeyRequest { Rotate = true })).Key;
        Assert.NotEqual(lost, reset);
        Assert.Equal(reset, (await again.Identity.GetMyCalendarFeedKeyAsync(new GetMyCalendarFeedKeyRequest())).Key);
        Assert.Equal(HttpStatusCode.OK, (await web.GetAsync($"/calendar/me.ics?key={reset}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await web.GetAsync($"/calendar/me.ics?key={lost}")).StatusCode);
    }

    [Fact]
    public async Task Feed_keys_an_earlier_version_kept_in_clear_go_on_working_and_are_protected_at_the_next_start()
    {
        await using var first = await LearnHubApp.StartAsync();
        var kept = await first.CreateUserAsync("student");
        var rotated = await first.CreateUserAsync("teacher", "instructor");
        var legacy = RandomNumberGenerator.GetHexString(32, lowercase: true);
        var retired = (await rotated.Identity.GetMyCalendarFeedKeyAsync(new GetMyCalendarFeedKeyRequest())).Key;
        var rotatedInClear = RandomNumberGenerator.GetHexString(32, lowercase: true);
        var database = first.Services.GetRequiredService<Database>();
        await using (var connection = await database.OpenAsync(CancellationToken.None))
        {
            // As the version before migration 0016 left it, then the start's hashing step (no key ring needed).
            await using (var tx = await connection.BeginTransactionAsync())
            {
                await connection.ExecuteAsync(
                    "UPDATE users SET feed_key = @legacy, feed_key_hash = NULL, feed_key_protected = NULL WHERE id = @id", new { legacy, id = kept.Id }, tx);
                await LegacySecrets.HashAsync(connection, tx, UserStore.FeedKeyColumns, CancellationToken.None);
                await tx.CommitAsync();
            }
            // A node of the earlier version, in a rolling upgrade, resets a key the new version had protected: it
            // writes the new key in clear and leaves the old hash behind.
            await connection.ExecuteAsync("UPDATE users SET feed_key = @rotatedInClear WHERE id = @id", new { rotatedInClear, id = rotated.Id });
        }
        Assert.Equal(legacy, (await kept.Identity.GetMyCalendarFeedKeyAsync(new GetMyCalendarFeedKeyRequest())).Key);
        Assert.Equal(rotatedInClear, (await rotated.Identity.GetMyCalendarFeedKeyAsync(new GetMyCalendarFeedKeyRequest())).Key);
        using (var web = first.CreateWebClient())
        {
            Assert.Equal(HttpStatusCode.OK, (await web.GetAsync($"/calendar/me.ics?key={legacy}")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await web.GetAsync($"/calendar/me.ics?key={rotatedInClear}")).StatusCode);
            // The reset retired the old key at once, although its hash is still in the row.
            Assert.Equal(HttpStatusCode.NotFound, (await web.GetAsync($"/calendar/me.ics?key={retired}")).StatusCode);
        }

        await first.StopAsync();
        await using var second = await LearnHubApp.StartAsync(dataDirectory: first.DataDirectory, clock: first.Clock);
        foreach (var (user, key) in new[] { (kept, legacy), (rotated, rotatedInClear) })
        {
            var row = await UserRowAsync(second, user.Id);
            Assert.Null(row["feed_key"]);
            Assert.Equal(StoredSecrets.Sha256(key), row["feed_key_hash"]);
            Assert.DoesNotContain(row, column => column.Value?.ToString()?.Contains(key, StringComparison.Ordinal) == true);
            Assert.Equal(key, (await user.On(second).Identity.GetMyCalendarFeedKeyAsync(new GetMyCalendarFeedKeyRequest())).Key);
        }
        using var later = second.CreateWebClient();
        Assert.Equal(HttpStatusCode.OK, (await later.GetAsync($"/calendar/me.ics?key={legacy}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await later.GetAsync($"/calendar/me.ics?key={rotatedInClear}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await later.GetAsync($"/calendar/me.ics?key={retired}")).StatusCode);
    }

    private static async Task<IDictionary<string, object?>> UserRowAsync(LearnHubApp app, string userId)
    {
        await using var connection = await app.Services.GetRequiredService<Database>().OpenAsync(CancellationToken.None);
        return (IDictionary<string, object?>)await connection.QuerySingleAsync("SELECT * FROM users WHERE id = @userId", new { userId });
    }
}
