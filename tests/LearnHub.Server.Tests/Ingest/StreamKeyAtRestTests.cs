using System.Net;
using Dapper;
using Google.Rpc;
using Grpc.Core;
using LearnHub.Api.V1;
using LearnHub.Server.Data;
using LearnHub.Server.Ingest;
using LearnHub.Server.Tests.Durability;
using LearnHub.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace LearnHub.Server.Tests.Ingest;

/// <summary>
/// Stream keys at rest: the store holds a key's hash and its Data Protection form, never the key; the key reads back
/// after a restart and still puts the session on air; a key whose key ring is gone still streams, and a reset gives
/// one the instructor can see; keys an earlier version kept in clear are protected at the next start. Runs on the
/// test's store.
/// </summary>
public sealed class StreamKeyAtRestTests
{
    private const string RtmpUrl = "rtmp://127.0.0.1:1935/live";

    [Fact]
    public async Task The_store_holds_no_key_in_clear_and_the_key_reads_back_after_a_restart()
    {
        await using var first = await StartAsync();
        var instructor = await first.CreateNamedUserAsync("wanhong", "万红coco", "instructor");
        var session = await instructor.ScheduleAsync(first.Now() + TimeSpan.FromMinutes(10));
        var issued = await instructor.Sessions.GetStreamKeyAsync(new GetStreamKeyRequest { SessionId = session.Id });

        var row = await SessionRowAsync(first, session.Id);
        Assert.DoesNotContain(row, column => column.Value?.ToString()?.Contains(issued.Key, StringComparison.Ordinal) == true);
        Assert.Equal(StoredSecrets.Sha256(issued.Key), row["stream_key_hash"]);
        Assert.False(string.IsNullOrEmpty(row["stream_key_protected"] as string));
        await StoredSecrets.AssertNotInDatabaseFilesAsync(first, issued.Key);
        Assert.Equal(issued, await instructor.Sessions.GetStreamKeyAsync(new GetStreamKeyRequest { SessionId = session.Id }));

        await first.StopAsync();
        await using var second = await StartAsync(first);
        var again = instructor.On(second);
        Assert.Equal(issued, await again.Sessions.GetStreamKeyAsync(new GetStreamKeyRequest { SessionId = session.Id }));
        using var web = second.CreateWebClient();
        Assert.Equal(HttpStatusCode.Found, (await PublishAsync(web, issued.Key, "1")).StatusCode);
        Assert.Equal(SessionStatus.Live, (await again.GetAsync(session.Id)).Status);
    }

    [Fact]
    public async Task A_key_the_server_can_no_longer_read_still_streams_and_a_reset_shows_a_new_one()
    {
        await using var first = await StartAsync();
        var instructor = await first.CreateNamedUserAsync("wanhong", "万红coco", "instructor");
        var session = await instructor.ScheduleAsync(first.Now() + TimeSpan.FromMinutes(10));
        var lost = (await instructor.Sessions.GetStreamKeyAsync(new GetStreamKeyRequest { SessionId = session.Id })).Key;
        await first.StopAsync();
        // The key ring is gone (a data folder restored without keys/): the stored key can no longer be read back.
        Directory.Delete(Path.Combine(first.DataDirectory, "keys"), recursive: true);

        await using var second = await StartAsync(first);
        var again = instructor.On(second);
        var before = await SessionRowAsync(second, session.Id);
        var refusal = await Assert.ThrowsAsync<RpcException>(() => again.Sessions.GetStreamKeyAsync(new GetStreamKeyRequest { SessionId = session.Id }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, refusal.StatusCode);
        Assert.Equal("STREAM_KEY_UNREADABLE", refusal.GetRpcStatus()?.GetDetail<ErrorInfo>()?.Reason);
        Assert.Contains("重置串流密钥", refusal.Status.Detail, StringComparison.Ordinal);
        // Refused, not replaced: the instructor's encoder still has the key, and it still puts the session on air.
        Assert.Equal(before["stream_key_hash"], (await SessionRowAsync(second, session.Id))["stream_key_hash"]);
        using var web = second.CreateWebClient();
        Assert.Equal(HttpStatusCode.Found, (await PublishAsync(web, lost, "1")).StatusCode);
        Assert.Equal(SessionStatus.Live, (await again.GetAsync(session.Id)).Status);

        // The reset is the instructor's choice, and gives a key they can see again and again.
        var reset = await again.Sessions.RotateStreamKeyAsync(new RotateStreamKeyRequest { SessionId = session.Id });
        Assert.NotEqual(lost, reset.Key);
        Assert.Equal(reset, await again.Sessions.GetStreamKeyAsync(new GetStreamKeyRequest { SessionId = session.Id }));
        Assert.Equal(HttpStatusCode.Forbidden, (await PublishAsync(web, lost, "2")).StatusCode);
    }

    [Fact]
    public async Task A_key_an_earlier_version_kept_in_clear_goes_on_working_and_is_protected_at_the_next_start()
    {
        await using var first = await StartAsync();
        var instructor = await first.CreateNamedUserAsync("wanhong", "万红coco", "instructor");
        var session = await instructor.ScheduleAsync(first.Now() + TimeSpan.FromMinutes(10));
        var later = await instructor.ScheduleAsync(first.Now() + TimeSpan.FromHours(3));
        var legacy = IngestStore.NewKey();
        var writtenAfterTheMigration = IngestStore.NewKey();
        // Another instructor's session in its go-live window, so that only its key decides whether a publish goes on air.
        var other = await first.CreateNamedUserAsync("lihua", "李华", "instructor");
        var third = await other.ScheduleAsync(first.Now() + TimeSpan.FromMinutes(10));
        var retired = (await other.Sessions.GetStreamKeyAsync(new GetStreamKeyRequest { SessionId = third.Id })).Key;
        var rotatedInClear = IngestStore.NewKey();
        var database = first.Services.GetRequiredService<Database>();
        await using (var connection = await database.OpenAsync(CancellationToken.None))
        {
            // As the version before migration 0015 left it, then the start's hashing step (no key ring needed).
            await using var tx = await connection.BeginTransactionAsync();
            await connection.ExecuteAsync(
                "UPDATE sessions SET stream_key = @legacy, stream_key_created_at_ms = 1000, stream_key_hash = NULL, stream_key_protected = NULL WHERE id = @id",
                new { legacy, id = session.Id }, tx);
            await LegacySecrets.HashAsync(connection, tx, IngestStore.KeyColumns, CancellationToken.None);
            await tx.CommitAsync();
        }
        Assert.Equal(legacy, (await instructor.Sessions.GetStreamKeyAsync(new GetStreamKeyRequest { SessionId = session.Id })).Key);
        await using (var connection = await database.OpenAsync(CancellationToken.None))
        {
            // A node of the earlier version, in a rolling upgrade, writes a key in clear after the migration ran.
            await connection.ExecuteAsync(
                "UPDATE sessions SET stream_key = @writtenAfterTheMigration, stream_key_created_at_ms = 2000 WHERE id = @id",
                new { writtenAfterTheMigration, id = later.Id });
            // And resets a key the new version had protected: the new key in clear, the old hash left behind.
            await connection.ExecuteAsync(
                "UPDATE sessions SET stream_key = @rotatedInClear WHERE id = @id", new { rotatedInClear, id = third.Id });
        }
        using (var before = first.CreateWebClient())
        {
            // The reset retired the old key at once, although its hash is still in the row, and the new one works.
            Assert.Equal(HttpStatusCode.Forbidden, (await PublishAsync(before, retired, "7")).StatusCode);
            Assert.Equal(HttpStatusCode.Found, (await PublishAsync(before, rotatedInClear, "8")).StatusCode);
        }
        // Their instructors are shown those keys, not new ones, before the next start hashes them.
        Assert.Equal(writtenAfterTheMigration, (await instructor.Sessions.GetStreamKeyAsync(new GetStreamKeyRequest { SessionId = later.Id })).Key);
        Assert.Equal(rotatedInClear, (await other.Sessions.GetStreamKeyAsync(new GetStreamKeyRequest { SessionId = third.Id })).Key);

        await first.StopAsync();
        await using var second = await StartAsync(first);
        var row = await SessionRowAsync(second, session.Id);
        Assert.Null(row["stream_key"]);
        Assert.Equal(StoredSecrets.Sha256(legacy), row["stream_key_hash"]);
        Assert.DoesNotContain(row, column => column.Value?.ToString()?.Contains(legacy, StringComparison.Ordinal) == true);
        var again = instructor.On(second);
        var read = await again.Sessions.GetStreamKeyAsync(new GetStreamKeyRequest { SessionId = session.Id });
        Assert.Equal((legacy, 1000L), (read.Key, read.CreateTime.ToDateTimeOffset().ToUnixTimeMilliseconds()));
        Assert.Equal(writtenAfterTheMigration, (await again.Sessions.GetStreamKeyAsync(new GetStreamKeyRequest { SessionId = later.Id })).Key);
        Assert.Equal(StoredSecrets.Sha256(writtenAfterTheMigration), (await SessionRowAsync(second, later.Id))["stream_key_hash"]);
        using var web = second.CreateWebClient();
        Assert.Equal(HttpStatusCode.Found, (await PublishAsync(web, legacy, "1")).StatusCode);
        Assert.Equal(StoredSecrets.Sha256(rotatedInClear), (await SessionRowAsync(second, third.Id))["stream_key_hash"]);
    }

    private static Task<LearnHubApp> StartAsync(LearnHubApp? stopped = null) => stopped is null
        ? LearnHubApp.StartAsync(IngestWorld.Settings(RtmpUrl), clock: new FakeTimeProvider(Scenario.Start) { AutoAdvanceAmount = TimeSpan.Zero })
        : LearnHubApp.StartAsync(IngestWorld.Settings(RtmpUrl), stopped.DataDirectory, stopped.Clock);

    private static Task<HttpResponseMessage> PublishAsync(HttpClient web, string key, string clientId) =>
        web.PostAsync($"/ingest/rtmp/on_publish?secret={IngestWorld.Secret}", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["call"] = "publish", ["app"] = "live", ["name"] = key, ["clientid"] = clientId, ["addr"] = "127.0.0.1",
        }));

    private static async Task<IDictionary<string, object?>> SessionRowAsync(LearnHubApp app, string sessionId)
    {
        await using var connection = await app.Services.GetRequiredService<Database>().OpenAsync(CancellationToken.None);
        return (IDictionary<string, object?>)await connection.QuerySingleAsync("SELECT * FROM sessions WHERE id = @sessionId", new { sessionId });
    }
}
