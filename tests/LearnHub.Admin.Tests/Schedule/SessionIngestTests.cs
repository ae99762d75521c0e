using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using LearnHub.Admin.Components.Pages.Sessions;
using LearnHub.Admin.Components.Pages.Schedule;
using LearnHub.Admin.Tests.Live;
using LearnHub.Api.V1;
using Microsoft.Extensions.DependencyInjection;

namespace LearnHub.Admin.Tests.Schedule;

/// <summary>The session page with RTMP ingest: 推流设置 for the session's own instructor, the live ingest state, 未开播（已取消）.</summary>
public sealed class SessionIngestTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);
    private static readonly DateTimeOffset Start = new(2026, 5, 1, 2, 10, 0, TimeSpan.Zero);
    private const string RtmpUrl = "rtmp://live.learnhub.test/live";
    private const string Key = "k7Qm2ZpX9vLr4TsWb8NcYd3FhJg6KeAu";
    private const string NewKey = "n2Wc8RtY5uIo1PaSd4FgHj7KlZx3CvBm";
    private const string CopyCall = "navigator.clipboard.writeText";

    private static StreamKey StreamKey(string key) => new() { SessionId = "s1", RtmpUrl = RtmpUrl, Key = key };

    [Fact]
    public async Task The_instructor_sees_the_server_url_and_a_masked_key_that_shows_on_request_and_copies()
    {
        await using var context = ScheduleFakes.Context();
        context.Api
            .On<GetSessionRequest, Session>("GetSession", _ => ScheduleFakes.Session("s1", "经济基础第19章考点梳理", Start))
            .On<GetStreamKeyRequest, StreamKey>("GetStreamKey", _ => StreamKey(Key));
        var cut = context.RenderWithProviders<SessionPage>(p => p.Add(x => x.SessionId, "s1"));

        cut.WaitForElement("[data-testid=stream-setup]", Timeout);
        Assert.Contains("推流设置", cut.Find("[data-testid=stream-setup]").TextContent, StringComparison.Ordinal);
        Assert.Equal(RtmpUrl, cut.Find("[data-testid=stream-rtmp-url]").TextContent.Trim());
        Assert.Equal("s1", Assert.Single(context.Api.RequestsTo<GetStreamKeyRequest>("GetStreamKey")).SessionId);
        // Masked: the key is nowhere in the page, not even hidden.
        Assert.DoesNotContain(Key, cut.Markup, StringComparison.Ordinal);
        Assert.Contains("串流密钥已隐藏", cut.Find("[data-testid=stream-key]").TextContent, StringComparison.Ordinal);
        Assert.Equal("复制服务器地址", cut.Find("button[data-testid=stream-rtmp-copy]").GetAttribute("aria-label"));
        Assert.Equal("复制串流密钥", cut.Find("button[data-testid=stream-key-copy]").GetAttribute("aria-label"));
        var toggle = cut.Find("button[data-testid=stream-key-toggle]");
        Assert.Equal("显示串流密钥", toggle.GetAttribute("aria-label"));
        Assert.Equal("false", toggle.GetAttribute("aria-pressed"));

        ScheduleUi.Click(cut, "stream-key-toggle");
        cut.WaitForAssertion(() => Assert.Equal(Key, cut.Find("[data-testid=stream-key]").TextContent.Trim()), Timeout);
        Assert.Equal("隐藏串流密钥", cut.Find("button[data-testid=stream-key-toggle]").GetAttribute("aria-label"));
        Assert.Equal("true", cut.Find("button[data-testid=stream-key-toggle]").GetAttribute("aria-pressed"));
        ScheduleUi.Click(cut, "stream-key-toggle");
        cut.WaitForAssertion(() => Assert.DoesNotContain(Key, cut.Markup, StringComparison.Ordinal), Timeout);

        // Copying works while masked; the confirmation is said politely.
        ScheduleUi.Click(cut, "stream-key-copy");
        cut.WaitForAssertion(() => Assert.Equal("已复制", cut.Find("[data-testid=stream-setup-announce]").TextContent.Trim()), Timeout);
        Assert.Equal("polite", cut.Find("[data-testid=stream-setup-announce]").GetAttribute("aria-live"));
        ScheduleUi.Click(cut, "stream-rtmp-copy");
        cut.WaitForAssertion(() => Assert.Equal(2, context.JSInterop.Invocations[CopyCall].Count), Timeout);
        Assert.Equal([Key, RtmpUrl], context.JSInterop.Invocations[CopyCall].Select(i => (string)i.Arguments[0]!));
        // The key is never part of an address.
        Assert.DoesNotContain(Key, context.Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>().Uri, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_streaming_setup_speaks_english_when_the_user_chose_it()
    {
        await using var context = ScheduleFakes.Context();
        CultureInfo.CurrentUICulture = new CultureInfo("en");
        context.Api
            .On<GetSessionRequest, Session>("GetSession", _ => ScheduleFakes.Session("s1", "Economics chapter 19", Start))
            .On<GetStreamKeyRequest, StreamKey>("GetStreamKey", _ => StreamKey(Key));
        var cut = context.RenderWithProviders<SessionPage>(p => p.Add(x => x.SessionId, "s1"));

        cut.WaitForElement("[data-testid=stream-setup]", Timeout);
        Assert.Contains("Streaming setup", cut.Find("[data-testid=stream-setup]").TextContent, StringComparison.Ordinal);
        Assert.Contains("Stream key hidden", cut.Find("[data-testid=stream-key]").TextContent, StringComparison.Ordinal);
        Assert.Equal("Copy server URL", cut.Find("button[data-testid=stream-rtmp-copy]").GetAttribute("aria-label"));
        Assert.Equal("Copy stream key", cut.Find("button[data-testid=stream-key-copy]").GetAttribute("aria-label"));
        Assert.Equal("Show stream key", cut.Find("button[data-testid=stream-key-toggle]").GetAttribute("aria-label"));
        Assert.Contains("Reset stream key", cut.Find("[data-testid=stream-key-rotate]").TextContent, StringComparison.Ordinal);

        ScheduleUi.Click(cut, "stream-rtmp-copy");
        cut.WaitForAssertion(() => Assert.Equal("Copied", cut.Find("[data-testid=stream-setup-announce]").TextContent.Trim()), Timeout);
        ScheduleUi.Click(cut, "stream-key-rotate");
        cut.WaitForAssertion(() => Assert.Contains("The old stream key stops working", cut.Find("[data-testid=confirm-message]").TextContent, StringComparison.Ordinal), Timeout);
    }

    [Fact]
    public async Task Resetting_the_key_asks_first_explaining_the_old_key_stops_working()
    {
        await using var context = ScheduleFakes.Context();
        context.Api
            .On<GetSessionRequest, Session>("GetSession", _ => ScheduleFakes.Session("s1", "经济基础第19章考点梳理", Start))
            .On<GetStreamKeyRequest, StreamKey>("GetStreamKey", _ => StreamKey(Key))
            .On<RotateStreamKeyRequest, StreamKey>("RotateStreamKey", _ => StreamKey(NewKey));
        var cut = context.RenderWithProviders<SessionPage>(p => p.Add(x => x.SessionId, "s1"));
        cut.WaitForElement("[data-testid=stream-key-rotate]", Timeout);

        ScheduleUi.Click(cut, "stream-key-rotate");
        cut.WaitForAssertion(() => Assert.Contains("旧的串流密钥立即失效", cut.Find("[data-testid=confirm-message]").TextContent, StringComparison.Ordinal), Timeout);
        ScheduleUi.Click(cut, "confirm-no");
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=confirm-dialog]")), Timeout);
        Assert.Empty(context.Api.RequestsTo<RotateStreamKeyRequest>("RotateStreamKey"));

        ScheduleUi.Click(cut, "stream-key-rotate");
        cut.WaitForElement("[data-testid=confirm-yes]", Timeout);
        ScheduleUi.Click(cut, "confirm-yes");

        cut.WaitForAssertion(() => Assert.Equal("串流密钥已重置", cut.Find("[data-testid=stream-setup-announce]").TextContent.Trim()), Timeout);
        Assert.Equal("s1", Assert.Single(context.Api.RequestsTo<RotateStreamKeyRequest>("RotateStreamKey")).SessionId);
        ScheduleUi.Click(cut, "stream-key-toggle");
        cut.WaitForAssertion(() => Assert.Equal(NewKey, cut.Find("[data-testid=stream-key]").TextContent.Trim()), Timeout);
        Assert.DoesNotContain(Key, cut.Markup, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("zh-CN", "此串流密钥已无法显示（服务器的密钥已更换），但仍可用于推流。如需查看，请重置串流密钥。", "重置串流密钥")]
    [InlineData("en", "This stream key can no longer be shown (the server's keys were replaced), though it still works for streaming. Reset it to see a new one.", "Reset stream key")]
    public async Task A_key_the_server_can_no_longer_read_says_why_and_offers_the_reset(string culture, string reason, string reset)
    {
        await using var context = ScheduleFakes.Context();
        CultureInfo.CurrentUICulture = new CultureInfo(culture);
        context.Api
            .On<GetSessionRequest, Session>("GetSession", _ => ScheduleFakes.Session("s1", "经济基础第19章考点梳理", Start))
            .On<GetStreamKeyRequest, StreamKey>("GetStreamKey", _ => throw Broadcasts.BroadcastFakes.Refused(Google.Rpc.Code.FailedPrecondition, reason, "STREAM_KEY_UNREADABLE"))
            .On<RotateStreamKeyRequest, StreamKey>("RotateStreamKey", _ => StreamKey(NewKey));
        var cut = context.RenderWithProviders<SessionPage>(p => p.Add(x => x.SessionId, "s1"));

        cut.WaitForElement("[data-testid=stream-key-unreadable]", Timeout);
        Assert.Equal(reason, cut.Find("[data-testid=stream-key-unreadable]").TextContent.Trim());
        Assert.Empty(cut.FindAll("[data-testid=stream-key]"));
        Assert.Contains(reset, cut.Find("[data-testid=stream-key-rotate]").TextContent, StringComparison.Ordinal);

        ScheduleUi.Click(cut, "stream-key-rotate");
        cut.WaitForElement("[data-testid=confirm-yes]", Timeout);
        ScheduleUi.Click(cut, "confirm-yes");
        cut.WaitForElement("[data-testid=stream-key]", Timeout);
        Assert.Empty(cut.FindAll("[data-testid=stream-key-unreadable]"));
        ScheduleUi.Click(cut, "stream-key-toggle");
        cut.WaitForAssertion(() => Assert.Equal(NewKey, cut.Find("[data-testid=stream-key]").TextContent.Trim()), Timeout);
    }

    [Fact]
    public async Task Nobody_but_the_sessions_instructor_is_shown_or_asks_for_the_key()
    {
        await using var context = ScheduleFakes.Context("Asia/Shanghai", "admin");
        var session = ScheduleFakes.Session("s1", "经济基础第19章考点梳理", Start);
        session.InstructorId = "u_other";
        session.IngestState = IngestState.Waiting;
        context.Api
            .On<GetSessionRequest, Session>("GetSession", _ => session)
            .On<GetStreamKeyRequest, StreamKey>("GetStreamKey", _ => StreamKey(Key));
        var cut = context.RenderWithProviders<SessionPage>(p => p.Add(x => x.SessionId, "s1"));

        // An admin sees where the video stands, never the key.
        cut.WaitForAssertion(() => Assert.Equal("等待推流", cut.Find("[data-testid=ingest-state-name]").TextContent.Trim()), Timeout);
        Assert.Empty(cut.FindAll("[data-testid=stream-setup]"));
        Assert.Empty(context.Api.RequestsTo<GetStreamKeyRequest>("GetStreamKey"));
        Assert.DoesNotContain(Key, cut.Markup, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(StatusCode.FailedPrecondition, "未配置推流服务 (ingest is not configured).")]
    [InlineData(StatusCode.Unimplemented, "Method is unimplemented.")]
    public async Task A_server_without_ingest_shows_no_streaming_setup(StatusCode code, string detail)
    {
        await using var context = ScheduleFakes.Context();
        context.Api
            .On<GetSessionRequest, Session>("GetSession", _ => ScheduleFakes.Session("s1", "经济基础第19章考点梳理", Start))
            .On<GetStreamKeyRequest, StreamKey>("GetStreamKey", _ => throw new RpcException(new Status(code, detail)));
        var cut = context.RenderWithProviders<SessionPage>(p => p.Add(x => x.SessionId, "s1"));

        cut.WaitForAssertion(() => Assert.Single(context.Api.RequestsTo<GetStreamKeyRequest>("GetStreamKey")), Timeout);
        cut.WaitForElement("[data-testid=golive]", Timeout);
        Assert.Empty(cut.FindAll("[data-testid=stream-setup]"));
        Assert.Empty(cut.FindAll("[data-testid=stream-setup-error]"));
        Assert.Empty(cut.FindAll("[data-testid=ingest-state]"));
    }

    [Fact]
    public async Task Another_failure_says_the_setup_could_not_be_read()
    {
        await using var context = ScheduleFakes.Context();
        context.Api
            .On<GetSessionRequest, Session>("GetSession", _ => ScheduleFakes.Session("s1", "经济基础第19章考点梳理", Start))
            .On<GetStreamKeyRequest, StreamKey>("GetStreamKey", _ => throw new RpcException(new Status(StatusCode.Unavailable, "服务暂不可用 (unavailable).")));
        var cut = context.RenderWithProviders<SessionPage>(p => p.Add(x => x.SessionId, "s1"));

        cut.WaitForAssertion(() => Assert.Contains("无法读取推流设置", cut.Find("[data-testid=stream-setup-error]").TextContent, StringComparison.Ordinal), Timeout);
    }

    [Theory]
    [InlineData("zh-CN", IngestState.Waiting, "等待推流")]
    [InlineData("zh-CN", IngestState.Receiving, "推流中")]
    [InlineData("zh-CN", IngestState.ReconnectGrace, "断流重连中（剩余 4:30）")]
    [InlineData("en", IngestState.Waiting, "Waiting for stream")]
    [InlineData("en", IngestState.Receiving, "Receiving")]
    [InlineData("en", IngestState.ReconnectGrace, "Reconnecting (4:30 left)")]
    public async Task Each_ingest_state_is_named_in_the_users_language(string culture, IngestState state, string expected)
    {
        await using var context = ScheduleFakes.Context();
        CultureInfo.CurrentUICulture = new CultureInfo(culture);
        var session = ScheduleFakes.Session("s1", "Session", Start, status: state == IngestState.Waiting ? SessionStatus.Scheduled : SessionStatus.Live);
        session.IngestState = state;
        if (state == IngestState.ReconnectGrace)
        {
            session.IngestGraceEnd = Timestamp.FromDateTimeOffset(context.Clock.GetUtcNow().AddSeconds(270));
        }
        context.Api
            .On<GetSessionRequest, Session>("GetSession", _ => session)
            .On<GetStreamKeyRequest, StreamKey>("GetStreamKey", _ => throw new RpcException(new Status(StatusCode.FailedPrecondition, "no ingest")));
        var cut = context.RenderWithProviders<SessionPage>(p => p.Add(x => x.SessionId, "s1"));

        cut.WaitForAssertion(() => Assert.Equal(expected, cut.Find("[data-testid=ingest-state]").TextContent.Trim()), Timeout);
        var name = cut.Find("[data-testid=ingest-state-name]");
        Assert.Equal("polite", name.GetAttribute("aria-live"));
        Assert.Equal("status", name.GetAttribute("role"));
    }

    [Fact]
    public async Task The_reconnect_grace_counts_down_and_a_push_shows_the_new_state_without_reload()
    {
        await using var context = ScheduleFakes.Context();
        var session = ScheduleFakes.Session("s1", "经济基础第19章考点梳理", Start, status: SessionStatus.Live);
        session.IngestState = IngestState.Receiving;
        session.PlaybackUrl = "https://live.learnhub.test/hls/s1.m3u8";
        context.Live.Sessions["s1"] = LiveFakes.View("s1", session.Title);
        context.Api
            .On<GetSessionRequest, Session>("GetSession", _ => session)
            .On<GetStreamKeyRequest, StreamKey>("GetStreamKey", _ => StreamKey(Key));
        var cut = context.RenderWithProviders<SessionPage>(p => p.Add(x => x.SessionId, "s1"));
        cut.WaitForAssertion(() => Assert.Equal("推流中", cut.Find("[data-testid=ingest-state]").TextContent.Trim()), Timeout);
        Assert.Equal("https://live.learnhub.test/hls/s1.m3u8", cut.Find("[data-testid=session-playback-url]").GetAttribute("href"));
        cut.WaitForAssertion(() => Assert.Contains("s1", context.Live.Watched), Timeout);

        // The stream drops: the server publishes the change, the hub pushes it, the page reads the session again.
        session = session.Clone();
        session.IngestState = IngestState.ReconnectGrace;
        session.IngestGraceEnd = Timestamp.FromDateTimeOffset(context.Clock.GetUtcNow().AddMinutes(5));
        session.PlaybackUrl = "";
        await context.Live.PushStatusAsync(LiveFakes.View("s1", session.Title));

        cut.WaitForAssertion(() => Assert.Equal("断流重连中（剩余 5:00）", cut.Find("[data-testid=ingest-state]").TextContent.Trim()), Timeout);
        Assert.Empty(cut.FindAll("[data-testid=session-playback-url]"));
        context.Clock.Advance(TimeSpan.FromSeconds(61));
        cut.WaitForAssertion(() => Assert.Equal("断流重连中（剩余 3:59）", cut.Find("[data-testid=ingest-state]").TextContent.Trim()), Timeout);

        // It comes back within the grace.
        session = session.Clone();
        session.IngestState = IngestState.Receiving;
        session.IngestGraceEnd = null;
        await context.Live.PushStatusAsync(LiveFakes.View("s1", session.Title));
        cut.WaitForAssertion(() => Assert.Equal("推流中", cut.Find("[data-testid=ingest-state]").TextContent.Trim()), Timeout);

        // After the grace the session ends: the key goes with the card.
        session = ScheduleFakes.Session("s1", session.Title, Start, status: SessionStatus.Ended);
        await context.Live.PushStatusAsync(LiveFakes.View("s1", session.Title, status: "Ended"));
        cut.WaitForAssertion(() => Assert.Contains("已结束", cut.Find("[data-testid=session-status]").TextContent, StringComparison.Ordinal), Timeout);
        Assert.Empty(cut.FindAll("[data-testid=stream-setup]"));
        Assert.Empty(cut.FindAll("[data-testid=ingest-state]"));
    }

    [Theory]
    [InlineData("zh-CN", "未开播（已取消）")]
    [InlineData("en", "Not held")]
    public async Task A_session_that_was_not_held_says_so_on_its_page(string culture, string expected)
    {
        await using var context = ScheduleFakes.Context();
        CultureInfo.CurrentUICulture = new CultureInfo(culture);
        var session = ScheduleFakes.Session("s1", "经济基础第19章考点梳理", Start, status: SessionStatus.Cancelled);
        session.NotHeld = true;
        context.Api.On<GetSessionRequest, Session>("GetSession", _ => session);
        var cut = context.RenderWithProviders<SessionPage>(p => p.Add(x => x.SessionId, "s1"));

        cut.WaitForAssertion(() => Assert.Equal(expected, cut.Find("[data-testid=session-status]").TextContent.Trim()), Timeout);
        // A cancelled session has no key to ask for.
        Assert.Empty(context.Api.RequestsTo<GetStreamKeyRequest>("GetStreamKey"));
    }

    [Fact]
    public async Task The_schedule_list_and_calendar_name_a_session_that_was_not_held()
    {
        await using var context = ScheduleFakes.Context();
        var notHeld = ScheduleFakes.Session("s1", "人力资源管理第1章精讲", new DateTimeOffset(2026, 4, 30, 11, 30, 0, TimeSpan.Zero), status: SessionStatus.Cancelled);
        notHeld.NotHeld = true;
        var cancelled = ScheduleFakes.Session("s2", "人力资源管理第2章精讲", new DateTimeOffset(2026, 4, 30, 13, 30, 0, TimeSpan.Zero), status: SessionStatus.Cancelled);
        WeekCalendarTests.Serve(context, notHeld, cancelled);
        var cut = context.RenderWithProviders<MySchedule>();

        cut.WaitForAssertion(() =>
        {
            Assert.Equal("未开播（已取消）", cut.Find("[data-testid=session-chip-s1] [data-testid=chip-status]").TextContent.Trim());
            Assert.Equal("已取消", cut.Find("[data-testid=session-chip-s2] [data-testid=chip-status]").TextContent.Trim());
        }, Timeout);

        ScheduleUi.Click(cut, "view-list");
        cut.WaitForAssertion(() =>
        {
            Assert.Contains("未开播（已取消）", cut.Find("[data-testid=session-row-s1]").Closest("tr")!.TextContent, StringComparison.Ordinal);
            Assert.DoesNotContain("未开播", cut.Find("[data-testid=session-row-s2]").Closest("tr")!.TextContent, StringComparison.Ordinal);
        }, Timeout);
    }
}
