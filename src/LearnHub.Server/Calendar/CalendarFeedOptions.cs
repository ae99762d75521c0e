namespace LearnHub.Server.Calendar;

/// <summary>Calendar feed settings (section "CalendarFeeds").</summary>
public sealed class CalendarFeedOptions
{
    public const string Section = "CalendarFeeds";

    /// <summary>Requests per minute for one feed key (a leaked URL polled from many places).</summary>
    public int RequestsPerMinute { get; set; } = 30;

    /// <summary>
    /// Requests per minute from one client address (an IPv6 client by its /64), whatever the key: guessing keys from
    /// one place meets 429 soon. Calendar apps poll every 15 minutes or more, so this leaves room for an office behind NAT.
    /// </summary>
    public int RequestsPerMinutePerAddress { get; set; } = 60;

    /// <summary>Events in one feed at most: those on air or ahead first (soonest first), then the most recent past ones.</summary>
    public int MaxEvents { get; set; } = 200;
}

/// <summary>The web endpoint as the outside world reaches it (section "Web").</summary>
public sealed class PublicWebOptions
{
    public const string Section = "Web";

    /// <summary>
    /// The absolute http(s) URL that links written into feeds (an event's URL: line) start with, e.g.
    /// https://learn.example.com. Default: the web endpoint's own URL. Never taken from a request's Host header, which
    /// any client can set.
    /// </summary>
    public string PublicBaseUrl { get; set; } = "";

    /// <summary>Whether <paramref name="value"/> can be a public base URL: absolute http or https, no credentials, query or fragment.</summary>
    public static bool IsValid(string? value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
        && uri.UserInfo.Length == 0 && uri.Query.Length == 0 && uri.Fragment.Length == 0;
}
