using System.Globalization;
using LearnHub.Admin.Services.Live;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Localization;
using MudBlazor;

namespace LearnHub.Admin.Components.Live;

/// <summary>How the live pages word durations, connection states and hub refusals.</summary>
public static class LiveText
{
    private const string HubExceptionMarker = "HubException: ";

    private static readonly TimeSpan[] LabelSpacings =
    [
        TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(2),
        TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(30),
        TimeSpan.FromHours(1), TimeSpan.FromHours(2), TimeSpan.FromHours(4),
    ];

    /// <summary>The time between chart labels for a line spanning <paramref name="span"/>: at most six labels across.</summary>
    public static TimeSpan LabelSpacing(TimeSpan span) =>
        LabelSpacings.FirstOrDefault(s => span / s <= 6, LabelSpacings[^1]);

    /// <summary>A round y-axis step (1, 2, 5, 10, 20, 50…) giving about five ticks up to <paramref name="max"/>.</summary>
    public static int YStep(int max)
    {
        var step = 1;
        while (max / step > 5)
        {
            var next = step.ToString(CultureInfo.InvariantCulture)[0] switch { '1' => step * 2, '2' => step * 5 / 2, _ => step * 2 };
            step = next;
        }
        return step;
    }

    /// <summary>"12 分 05 秒" / "1 小时 5 分" / "40 秒".</summary>
    public static string Duration(IStringLocalizer<LiveStrings> s, long seconds)
    {
        ArgumentNullException.ThrowIfNull(s);
        var span = TimeSpan.FromSeconds(Math.Max(0, seconds));
        return span.TotalHours >= 1
            ? string.Format(CultureInfo.CurrentCulture, s["DurationHm"], (int)span.TotalHours, span.Minutes)
            : span.TotalMinutes >= 1
                ? string.Format(CultureInfo.CurrentCulture, s["DurationMs"], span.Minutes, span.Seconds.ToString("00", CultureInfo.InvariantCulture))
                : string.Format(CultureInfo.CurrentCulture, s["DurationS"], span.Seconds);
    }

    /// <summary>
    /// What to tell the user when the hub refused or could not be reached. The server's refusal is a HubException whose
    /// text the client receives as "An unexpected error occurred invoking 'X' on the server. HubException: reason".
    /// </summary>
    public static string Problem(IStringLocalizer<LiveStrings> s, Exception exception)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(exception);
        return exception switch
        {
            HubException hub when hub.Message.IndexOf(HubExceptionMarker, StringComparison.Ordinal) is var at and >= 0 => hub.Message[(at + HubExceptionMarker.Length)..],
            HubException hub => hub.Message,
            _ => string.Format(CultureInfo.CurrentCulture, s["ConnectFailed"], s["HubUnavailable"]),
        };
    }

    public static string Slug(LiveConnectionState state) => state switch
    {
        LiveConnectionState.Connected => "connected",
        LiveConnectionState.Connecting => "connecting",
        LiveConnectionState.Reconnecting => "reconnecting",
        _ => "disconnected",
    };

    public static Color ColorOf(LiveConnectionState state) => state switch
    {
        LiveConnectionState.Connected => Color.Success,
        LiveConnectionState.Connecting or LiveConnectionState.Reconnecting => Color.Warning,
        _ => Color.Error,
    };

    public static string IconOf(LiveConnectionState state) => state switch
    {
        LiveConnectionState.Connected => Icons.Material.Filled.Wifi,
        LiveConnectionState.Connecting or LiveConnectionState.Reconnecting => Icons.Material.Filled.Sync,
        _ => Icons.Material.Filled.WifiOff,
    };
}
