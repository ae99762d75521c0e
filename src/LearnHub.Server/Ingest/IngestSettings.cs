using System.Net;
using LearnHub.Server.Hosting;

namespace LearnHub.Server.Ingest;

/// <summary>The Ingest section's start-up checks: a setting that cannot work stops the start with one line.</summary>
public static class IngestSettings
{
    /// <summary>Shorter secrets are refused: the secret is all that stands between the internet and 开播.</summary>
    public const int MinSecretLength = 16;

    public static IngestOptions ThrowIfInvalid(IConfiguration configuration)
    {
        IngestOptions options;
        try
        {
            options = configuration.GetSection(IngestOptions.Section).Get<IngestOptions>() ?? new IngestOptions();
        }
        catch (InvalidOperationException e)
        {
            throw new StartupRefusedException(e.Message, e);
        }
        if (options.ReconnectGrace <= TimeSpan.Zero)
        {
            throw new StartupRefusedException($"Ingest:ReconnectGrace is {options.ReconnectGrace}; it must be positive (e.g. 00:05:00).");
        }
        if (options.LateNoticeAfter <= TimeSpan.Zero || options.NotHeldAfter <= options.LateNoticeAfter)
        {
            throw new StartupRefusedException($"Ingest:LateNoticeAfter is {options.LateNoticeAfter} and Ingest:NotHeldAfter is {options.NotHeldAfter}; both must be positive and NotHeldAfter the longer (e.g. 00:10:00 and 01:00:00), or the 晚点开播 notice could never go out.");
        }
        foreach (var entry in options.CallbackAllowedAddresses)
        {
            if (!AddressRanges.TryParse(entry, out _))
            {
                throw new StartupRefusedException($"Ingest:CallbackAllowedAddresses has '{entry}', which is neither an IP address nor a CIDR range (e.g. 127.0.0.1, 10.0.0.0/8).");
            }
        }
        if (!options.Enabled)
        {
            return options;
        }
        if (!Uri.TryCreate(options.RtmpUrl!.Trim(), UriKind.Absolute, out var rtmp) || rtmp.Scheme is not ("rtmp" or "rtmps") || rtmp.Host.Length == 0)
        {
            throw new StartupRefusedException($"Ingest:RtmpUrl is '{options.RtmpUrl}'; it must be an rtmp:// URL (e.g. rtmp://live.example.com/live), or unset for no ingest.");
        }
        if (string.IsNullOrWhiteSpace(options.CallbackSecret) || options.CallbackSecret.Trim().Length < MinSecretLength)
        {
            throw new StartupRefusedException($"Ingest:RtmpUrl is set but Ingest:CallbackSecret is missing or shorter than {MinSecretLength} characters; nginx's callbacks carry it (on_publish …?secret=…).");
        }
        if (options.HlsBaseUrl is { Length: > 0 } hls
            && (!Uri.TryCreate(hls, UriKind.Absolute, out var hlsUri) || hlsUri.Scheme is not ("http" or "https") || hlsUri.Query.Length > 0 || hlsUri.Fragment.Length > 0))
        {
            throw new StartupRefusedException($"Ingest:HlsBaseUrl is '{hls}'; it must be an absolute http:// or https:// URL without query (e.g. https://live.example.com/hls).");
        }
        return options;
    }

    /// <summary>An exact address (a /32 or /128) or a CIDR range (<see cref="AddressRanges"/>).</summary>
    public static IPNetwork ParseNetwork(string entry) =>
        AddressRanges.TryParse(entry, out var network) ? network : throw new FormatException($"'{entry}' is not an address or CIDR range.");
}
