using System.Diagnostics;
using Grpc.Core;
using LearnHub.Api.V1;
using LearnHub.Server.Tests.Infrastructure;
using LearnHub.Testing;

namespace LearnHub.Server.Tests.Ingest;

/// <summary>
/// RTMP ingest end to end: a real nginx-rtmp and a real ffmpeg publisher against the host, on the test's store. A
/// publish takes the session live as 开播 does; a refused key makes nginx drop the stream (ffmpeg fails).
/// </summary>
public sealed class RtmpIngestTests(ITestOutputHelper output)
{
    private static readonly TimeSpan GoLiveBound = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan RefusedExit = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task A_publish_with_the_key_takes_the_session_live_within_two_seconds_and_its_playlist_is_served()
    {
        await using var world = await IngestWorld.StartAsync();
        var (session, key) = await world.SessionWithKeyAsync(TimeSpan.FromMinutes(10));
        await world.Viewer.ReserveAsync(session.Id);
        Assert.Equal(IngestState.Waiting, (await world.Instructor.GetAsync(session.Id)).IngestState);

        var clock = Stopwatch.StartNew();
        await using var ffmpeg = world.Nginx.Publish(key);
        var live = await world.UntilAsync(session.Id, s => s.Status == SessionStatus.Live, GoLiveBound + TimeSpan.FromSeconds(10));
        var took = clock.Elapsed;
        output.WriteLine($"Live {took.TotalMilliseconds:F0} ms after ffmpeg started");

        Assert.True(took <= GoLiveBound, $"live {took.TotalMilliseconds:F0} ms after ffmpeg started; bound {GoLiveBound}");
        Assert.Equal(IngestState.Receiving, live.IngestState);
        var expectedUrl = $"{world.Nginx.HlsBaseUrl}/{session.Id}.m3u8";
        Assert.Equal(expectedUrl, live.PlaybackUrl);
        // The viewer sees where to play, not the ingest's state; the admin sees both.
        var seenByViewer = await world.Viewer.GetAsync(session.Id);
        Assert.Equal((expectedUrl, IngestState.Unspecified), (seenByViewer.PlaybackUrl, seenByViewer.IngestState));
        Assert.Equal(IngestState.Receiving, (await world.Admin.GetAsync(session.Id)).IngestState);
        Assert.DoesNotContain(key, world.App.Logs.Describe(), StringComparison.Ordinal);

        // nginx renamed the stream to the session id (the 302): the playlist is there, and the key appears nowhere in it.
        using var http = new HttpClient();
        var playlist = await Wait.UntilAsync(
            async () =>
            {
                using var response = await http.GetAsync(live.PlaybackUrl);
                return response.IsSuccessStatusCode ? await response.Content.ReadAsStringAsync() : "";
            },
            text => text.StartsWith("#EXTM3U", StringComparison.Ordinal), what: $"the HLS playlist at {live.PlaybackUrl}; nginx:\n{world.Nginx.ErrorLog}\nffmpeg:\n{ffmpeg.Output}");
        Assert.Contains(".ts", playlist, StringComparison.Ordinal);
        using (var byKey = await http.GetAsync($"{world.Nginx.HlsBaseUrl}/{key}.m3u8"))
        {
            Assert.Equal(System.Net.HttpStatusCode.NotFound, byKey.StatusCode);
        }

        var notices = (await world.Viewer.NotificationsAsync()).Where(n => n.SessionId == session.Id && n.Kind == NotificationKind.WentLive);
        Assert.Single(notices);
        Assert.False(ffmpeg.HasExited, ffmpeg.Output);
    }

    [Fact]
    public async Task Keys_that_are_wrong_rotated_out_early_or_of_a_cancelled_session_are_refused_and_nothing_changes()
    {
        await using var world = await IngestWorld.StartAsync();
        var (rotated, oldKey) = await world.SessionWithKeyAsync(TimeSpan.FromMinutes(10));
        var newKey = (await world.Instructor.Sessions.RotateStreamKeyAsync(new RotateStreamKeyRequest { SessionId = rotated.Id })).Key;
        Assert.NotEqual(oldKey, newKey);
        Assert.True(newKey.Length >= 32);
        var (tooEarly, earlyKey) = await world.SessionWithKeyAsync(TimeSpan.FromHours(2));
        var (cancelled, cancelledKey) = await world.SessionWithKeyAsync(TimeSpan.FromMinutes(20), world.OtherInstructor);
        await world.OtherInstructor.Sessions.CancelSessionAsync(new CancelSessionRequest { SessionId = cancelled.Id, Reason = "讲师临时有事" });
        var before = await world.Admin.AllSessionsAsync();

        foreach (var key in new[] { "not-a-key-of-any-session-0123456789abcdef", oldKey, earlyKey, cancelledKey })
        {
            await using var ffmpeg = world.Nginx.Publish(key);
            var exit = await ffmpeg.WaitForExitAsync(RefusedExit);
            Assert.True(exit != 0, $"ffmpeg was not refused:\n{ffmpeg.Output}");
        }

        Assert.Equal(before, await world.Admin.AllSessionsAsync());
        // The rotated key works; a cancelled session has no key any more.
        await using var accepted = world.Nginx.Publish(newKey);
        await world.UntilAsync(rotated.Id, s => s.Status == SessionStatus.Live);
        var refusal = await Assert.ThrowsAsync<RpcException>(() => world.OtherInstructor.Sessions.GetStreamKeyAsync(new GetStreamKeyRequest { SessionId = cancelled.Id }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, refusal.StatusCode);
        Assert.Equal(SessionStatus.Scheduled, (await world.Instructor.GetAsync(tooEarly.Id)).Status);
    }

    [Fact]
    public async Task A_stream_back_within_the_grace_keeps_the_session_live_and_one_that_stays_away_ends_it_after_the_grace()
    {
        await using var world = await IngestWorld.StartAsync();
        var (session, key) = await world.SessionWithKeyAsync(TimeSpan.FromMinutes(10));
        await world.Viewer.ReserveAsync(session.Id);
        var first = world.Nginx.Publish(key);
        await world.UntilAsync(session.Id, s => s.IngestState == IngestState.Receiving);

        await first.DisposeAsync(); // OBS crashed
        var grace = await world.UntilAsync(session.Id, s => s.IngestState == IngestState.ReconnectGrace);
        Assert.Equal(SessionStatus.Live, grace.Status);
        Assert.Equal(world.App.Now() + TimeSpan.FromMinutes(5), grace.IngestGraceEnd.ToDateTimeOffset());
        Assert.NotEmpty(grace.PlaybackUrl);

        await world.App.AdvanceAsync(TimeSpan.FromMinutes(4));
        await using (var second = world.Nginx.Publish(key))
        {
            var back = await world.UntilAsync(session.Id, s => s.IngestState == IngestState.Receiving);
            Assert.Equal(SessionStatus.Live, back.Status);
            Assert.Null(back.IngestGraceEnd);
            // The first grace's end passes: the session is receiving, so it stays live.
            await world.App.AdvanceAsync(TimeSpan.FromMinutes(2));
            Assert.Equal(SessionStatus.Live, (await world.Instructor.GetAsync(session.Id)).Status);
        }

        await world.UntilAsync(session.Id, s => s.IngestState == IngestState.ReconnectGrace);
        await world.App.AdvanceAsync(TimeSpan.FromMinutes(5));
        var ended = await world.Instructor.GetAsync(session.Id);
        Assert.Equal(SessionStatus.Ended, ended.Status);
        Assert.Equal((IngestState.Unspecified, ""), (ended.IngestState, ended.PlaybackUrl));
        Assert.Single(await world.Viewer.NotificationsAsync(), n => n.SessionId == session.Id && n.Kind == NotificationKind.WentLive);
    }
}
