using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using LearnHub.Core.Common;
using LearnHub.Core.Sessions;
using LearnHub.Server.Courses;
using LearnHub.Server.Data;
using LearnHub.Server.Grpc;
using LearnHub.Server.Identity;
using LearnHub.Server.Sessions;
using Microsoft.Extensions.Options;

namespace LearnHub.Server.Calendar;

/// <summary>
/// The iCalendar (.ics) feeds a calendar app subscribes to. Calendar apps send no credentials, so the endpoints are
/// anonymous and the secret <c>key</c> in the URL (IdentityService.GetMyCalendarFeedKey) says who is asking.
/// </summary>
public static class CalendarFeedEndpoints
{
    /// <summary>Past sessions stay in the feed this long, so last week's entries do not vanish from the calendar.</summary>
    public static readonly TimeSpan WindowBack = TimeSpan.FromDays(30);

    /// <summary>As far ahead as a session can be scheduled.</summary>
    public static readonly TimeSpan WindowAhead = SessionRules.MaxPlanningHorizon;

    /// <summary>The largest <see cref="CalendarFeedOptions.MaxEvents"/> accepted.</summary>
    public const int MaxEventsLimit = 1000;

    private const int Scheduled = 1 << (int)SessionStatus.Scheduled;
    private const int Live = 1 << (int)SessionStatus.Live;
    private const int AnyStatus = Scheduled | Live | (1 << (int)SessionStatus.Ended) | (1 << (int)SessionStatus.Cancelled);

    public static WebApplicationBuilder AddCalendarFeeds(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var configuration = builder.Configuration;
        builder.Services.AddOptions<CalendarFeedOptions>().BindConfiguration(CalendarFeedOptions.Section)
            .Validate(o => o.RequestsPerMinute >= 1 && o.RequestsPerMinutePerAddress >= 1, "CalendarFeeds:RequestsPerMinute and RequestsPerMinutePerAddress must be at least 1.")
            .Validate(o => o.MaxEvents is >= 1 and <= MaxEventsLimit, $"CalendarFeeds:MaxEvents must be 1–{MaxEventsLimit}.")
            .ValidateOnStart();
        builder.Services.AddOptions<PublicWebOptions>().BindConfiguration(PublicWebOptions.Section)
            .PostConfigure(o =>
            {
                if (string.IsNullOrWhiteSpace(o.PublicBaseUrl))
                {
                    // The web endpoint's own URL; a wildcard host means this machine.
                    o.PublicBaseUrl = (configuration["Kestrel:Endpoints:Web:Url"] is { Length: > 0 } web ? web : "http://127.0.0.1:5081")
                        .Replace("://0.0.0.0", "://127.0.0.1", StringComparison.Ordinal)
                        .Replace("://*", "://127.0.0.1", StringComparison.Ordinal)
                        .Replace("://+", "://127.0.0.1", StringComparison.Ordinal)
                        .Replace("://[::]", "://127.0.0.1", StringComparison.Ordinal);
                }
                o.PublicBaseUrl = o.PublicBaseUrl.Trim().TrimEnd('/');
            })
            .Validate(o => PublicWebOptions.IsValid(o.PublicBaseUrl), "Web:PublicBaseUrl must be an absolute http:// or https:// URL without credentials, query or fragment (e.g. https://learn.example.com).")
            .ValidateOnStart();
        builder.Services.AddSingleton<CalendarFeedLimits>();
        return builder;
    }

    public static IEndpointRouteBuilder MapCalendarFeeds(this IEndpointRouteBuilder app)
    {
        var feeds = app.MapGroup("/calendar").AllowAnonymous()
            .AddEndpointFilter(async (context, next) =>
            {
                var http = context.HttpContext;
                using var lease = http.RequestServices.GetRequiredService<CalendarFeedLimits>().Limiter.AttemptAcquire(http);
                if (!lease.IsAcquired)
                {
                    http.RequestServices.GetRequiredService<Telemetry.LearnHubMetrics>().RateLimited("calendar-feed");
                    var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromMinutes(1);
                    http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                    return Results.StatusCode(StatusCodes.Status429TooManyRequests);
                }
                return await next(context);
            });
        // A viewer's reservations that are still ahead or on air.
        feeds.MapGet("/me.ics", (string? key, HttpContext http, CancellationToken ct) =>
            FeedAsync(http, key, async (owner, connection) =>
                ("LearnHub · " + LocalizedText.Pick("我的预约", "My reservations"), await Query(connection, http, reservedBy: owner.Id, statusMask: Scheduled | Live, ct: ct)), ct));
        // An instructor's and a course's schedule: visible to every signed-in user, so any valid key may read them.
        feeds.MapGet("/instructors/{id}.ics", (string id, string? key, HttpContext http, CancellationToken ct) =>
            FeedAsync(http, key, async (_, connection) =>
            {
                var users = http.RequestServices.GetRequiredService<UserStore>();
                var instructor = await users.FindAsync(id, ct);
                return instructor is null
                    ? null
                    : ($"LearnHub · {instructor.DisplayName}", await Query(connection, http, instructorId: id, statusMask: AnyStatus, ct: ct));
            }, ct));
        feeds.MapGet("/courses/{id}.ics", (string id, string? key, HttpContext http, CancellationToken ct) =>
            FeedAsync(http, key, async (_, connection) =>
            {
                var course = await CourseStore.FindAsync(connection, id, ct);
                return course is null
                    ? null
                    : ($"LearnHub · {course.Title}", await Query(connection, http, courseId: id, statusMask: AnyStatus, ct: ct));
            }, ct));
        return app;
    }

    private static async Task<IResult> FeedAsync(
        HttpContext http, string? key, Func<UserRecord, System.Data.Common.DbConnection, Task<(string Name, IReadOnlyList<SessionRow> Sessions)?>> load, CancellationToken ct)
    {
        // Same answer for a missing, malformed, unknown or rotated key: nothing tells a guesser which part was wrong.
        if (string.IsNullOrEmpty(key) || key.Length > 128)
        {
            return Results.NotFound();
        }
        var owner = await http.RequestServices.GetRequiredService<UserStore>().FindByFeedKeyAsync(key, ct);
        if (owner is not { Active: true })
        {
            // A deactivated account's key is retired with it (UserStore.SetActiveAsync); this holds whatever wrote the row.
            return Results.NotFound();
        }
        await using var connection = await http.RequestServices.GetRequiredService<Database>().OpenAsync(ct);
        // The feed speaks its owner's saved language (calendar apps send no useful accept-language).
        CultureInfo.CurrentUICulture = CallLanguage.FromSaved(owner.Language) ?? LocalizedText.Chinese;
        if (await load(owner, connection) is not { } feed)
        {
            return Results.NotFound();
        }
        var baseUri = http.RequestServices.GetRequiredService<IOptions<PublicWebOptions>>().Value.PublicBaseUrl;
        var now = http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
        http.Response.Headers.CacheControl = "private, max-age=300";
        return Results.Text(CalendarFeedWriter.Write(feed.Name, feed.Sessions, baseUri, now), "text/calendar; charset=utf-8");
    }

    private static Task<IReadOnlyList<SessionRow>> Query(
        System.Data.Common.DbConnection connection, HttpContext http, int statusMask, CancellationToken ct,
        string? instructorId = null, string? courseId = null, string? reservedBy = null)
    {
        var now = http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
        var maxEvents = http.RequestServices.GetRequiredService<IOptions<CalendarFeedOptions>>().Value.MaxEvents;
        return SessionStore.ListForFeedAsync(
            connection, instructorId, courseId, reservedBy, statusMask,
            (now - WindowBack).ToUnixTimeMilliseconds(), now.ToUnixTimeMilliseconds(), (now + WindowAhead).ToUnixTimeMilliseconds(), maxEvents, ct);
    }
}

/// <summary>
/// The feeds' token buckets, both of which a request must pass: one per client address (guessing many keys from one
/// place) and one per key (a leaked URL polled from many places).
/// </summary>
public sealed class CalendarFeedLimits : IDisposable
{
    public CalendarFeedLimits(IOptions<CalendarFeedOptions> options)
    {
        var o = options.Value;
        Limiter = PartitionedRateLimiter.CreateChained(
            PartitionedRateLimiter.Create<HttpContext, string>(http => RateLimitPartition.GetTokenBucketLimiter(AddressOf(http), _ => PerMinute(o.RequestsPerMinutePerAddress))),
            PartitionedRateLimiter.Create<HttpContext, string>(http => http.Request.Query["key"].ToString() is { Length: > 0 and <= 128 } key
                ? RateLimitPartition.GetTokenBucketLimiter("key:" + key, _ => PerMinute(o.RequestsPerMinute))
                : RateLimitPartition.GetNoLimiter("no key")));
    }

    public PartitionedRateLimiter<HttpContext> Limiter { get; }

    /// <summary>The client's address; an IPv6 client by its /64, the block one subscriber usually holds.</summary>
    public static string AddressOf(HttpContext http)
    {
        var address = http.Connection.RemoteIpAddress;
        if (address is null)
        {
            return "address:unknown";
        }
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var bytes = address.GetAddressBytes();
            Array.Clear(bytes, 8, 8);
            address = new IPAddress(bytes);
        }
        return "address:" + address;
    }

    private static TokenBucketRateLimiterOptions PerMinute(int perMinute) => new()
    {
        TokenLimit = perMinute,
        TokensPerPeriod = perMinute,
        ReplenishmentPeriod = TimeSpan.FromMinutes(1),
        QueueLimit = 0,
        AutoReplenishment = true,
    };

    public void Dispose() => Limiter.Dispose();
}
