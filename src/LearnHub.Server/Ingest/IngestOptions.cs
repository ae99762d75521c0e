namespace LearnHub.Server.Ingest;

/// <summary>
/// RTMP ingest settings (section "Ingest"). With <see cref="RtmpUrl"/> unset the server has no ingest: sessions go
/// live on the clock or by 开播, as before. With it set, a session goes live when its instructor's stream arrives (or
/// by 开播), never on the clock alone, and a session nobody starts gets the late-start notices.
/// </summary>
public sealed class IngestOptions
{
    public const string Section = "Ingest";

    /// <summary>The RTMP server URL instructors enter in OBS (服务器), e.g. <c>rtmp://live.example.com/live</c>; unset = no ingest.</summary>
    public string? RtmpUrl { get; set; }

    /// <summary>
    /// The secret nginx's publish callbacks carry (in their URL: <c>/ingest/rtmp/on_publish?secret=…</c>); required
    /// when <see cref="RtmpUrl"/> is set. A callback without it is refused.
    /// </summary>
    public string? CallbackSecret { get; set; }

    /// <summary>
    /// When not empty, callbacks are also refused from any address outside these (exact addresses or CIDR ranges,
    /// e.g. <c>127.0.0.1</c>, <c>10.0.0.0/8</c>).
    /// </summary>
    public string[] CallbackAllowedAddresses { get; set; } = [];

    /// <summary>
    /// Where nginx's HLS output is served, e.g. <c>https://live.example.com/hls</c>; a live session's playback URL is
    /// <c>{HlsBaseUrl}/{session id}.m3u8</c>. Unset = sessions carry no playback URL.
    /// </summary>
    public string? HlsBaseUrl { get; set; }

    /// <summary>After the stream stops, how long a Live session waits for it to come back before it ends.</summary>
    public TimeSpan ReconnectGrace { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Nothing published this long after the planned start: reserved viewers get one 晚点开播 notice.</summary>
    public TimeSpan LateNoticeAfter { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Nothing published this long after the planned start: the session is cancelled as not held and reserved viewers are told.</summary>
    public TimeSpan NotHeldAfter { get; set; } = TimeSpan.FromMinutes(60);

    /// <summary>Whether this server has RTMP ingest.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(RtmpUrl);
}
