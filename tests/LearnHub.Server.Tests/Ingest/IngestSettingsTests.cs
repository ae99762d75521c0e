using LearnHub.Server.Hosting;
using LearnHub.Server.Ingest;
using Microsoft.Extensions.Configuration;

namespace LearnHub.Server.Tests.Ingest;

/// <summary>Ingest settings that cannot work stop the start with one line naming the setting.</summary>
public sealed class IngestSettingsTests
{
    public static TheoryData<string, string, string> Refused => new()
    {
        { "Ingest:RtmpUrl", "http://live.example.com/live", "Ingest:RtmpUrl" },
        { "Ingest:CallbackSecret", "short", "Ingest:CallbackSecret" },
        { "Ingest:CallbackSecret", "", "Ingest:CallbackSecret" },
        { "Ingest:HlsBaseUrl", "/hls", "Ingest:HlsBaseUrl" },
        { "Ingest:HlsBaseUrl", "ftp://live.example.com/hls", "Ingest:HlsBaseUrl" },
        { "Ingest:CallbackAllowedAddresses:0", "10.0.0.0/40", "Ingest:CallbackAllowedAddresses" },
        { "Ingest:CallbackAllowedAddresses:0", "nginx.internal", "Ingest:CallbackAllowedAddresses" },
        { "Ingest:ReconnectGrace", "00:00:00", "Ingest:ReconnectGrace" },
        { "Ingest:ReconnectGrace", "-00:01:00", "Ingest:ReconnectGrace" },
        { "Ingest:ReconnectGrace", "soon", "Ingest:ReconnectGrace" },
        { "Ingest:LateNoticeAfter", "00:00:00", "Ingest:LateNoticeAfter" },
        { "Ingest:NotHeldAfter", "00:05:00", "Ingest:NotHeldAfter" },
        { "Ingest:NotHeldAfter", "-01:00:00", "Ingest:NotHeldAfter" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void A_setting_that_cannot_work_is_refused_at_start(string key, string value, string named)
    {
        var settings = Valid();
        settings[key] = value;

        var refusal = Assert.Throws<StartupRefusedException>(() => IngestSettings.ThrowIfInvalid(Configuration(settings)));

        Assert.Contains(named, refusal.Line, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', refusal.Line);
    }

    [Fact]
    public void Valid_settings_and_no_ingest_at_all_start()
    {
        Assert.True(IngestSettings.ThrowIfInvalid(Configuration(Valid())).Enabled);
        Assert.False(IngestSettings.ThrowIfInvalid(Configuration([])).Enabled);
    }

    private static Dictionary<string, string?> Valid() => new()
    {
        ["Ingest:RtmpUrl"] = "rtmp://live.example.com/live",
        ["Ingest:CallbackSecret"] = "a-long-enough-callback-secret",
        ["Ingest:HlsBaseUrl"] = "https://live.example.com/hls",
        ["Ingest:CallbackAllowedAddresses:0"] = "127.0.0.1",
        ["Ingest:CallbackAllowedAddresses:1"] = "10.0.0.0/8",
    };

    private static IConfiguration Configuration(Dictionary<string, string?> settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
}
