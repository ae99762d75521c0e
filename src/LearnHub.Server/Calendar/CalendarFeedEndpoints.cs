using System.Globalization;
using System.Threading.RateLimiting;
using LearnHub.Core.Sessions;
using LearnHub.Server.Courses;
using LearnHub.Server.Data;
using LearnHub.Server.Identity;
using LearnHub.Server.Sessions;
using Microsoft.AspNetCore.RateLimiting;

namespace LearnHub.Server.Calendar;

/// <summary>
/// The iCalendar (.ics) feeds a calendar app subscribes to. Calendar apps send no credentials, so the endpoints are
/// anonymous and the secret <c>key</c> in the URL (IdentityService.GetMyCalendarFeedKey) says who is asking.
/// </summary>
public static class CalendarFeedEndpoints
{
    /// <summary>Past sessions stay in the feed this long, so last week's entries do not vanish from the calendar.</summary>
    public static readonly TimeSpan WindowBack = TimeSpan.FromDays(30);

    public static readonly TimeSpan WindowAhead = TimeSpan.FromDays(2 * 365);

    public const int MaxEvents = 1000;

    private const int Scheduled = 1 << (int)SessionStatus.Scheduled;
    private const int Live = 1 << (int)SessionStatus.Live;
    private const int AnyStatus = Scheduled | Live | (1 << (int)SessionStatus.Ended) | (1 << (int)SessionStatus.Cancelled);

    public static IEndpointRouteBuilder MapCalendarFeeds(this IEndpointRouteBuilder app)
    {
        var feeds = app.MapGroup("/calendar").AllowAnonymous().RequireRateLimiting(new CalendarFeedRateLimitPolicy());
        // A viewer's reservations that are still ahead or on air.
        feeds.MapGet("/me.ics", (string? key, HttpContext http, CancellationToken ct) =>
            FeedAsync(http, key, async (owner, connection) =>
                ("LearnHub · 我的预约", await Query(connection, http, reservedBy: owner.Id, statusMask: Scheduled | Live, ct: ct)), ct));
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
        if (owner is null)
        {
            return Results.NotFound();
        }
        await using var connection = await http.RequestServices.GetRequiredService<Database>().OpenAsync(ct);
        if (await load(owner, connection) is not { } feed)
        {
            return Results.NotFound();
        }
        var baseUri = $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}";
        var now = http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
        http.Response.Headers.CacheControl = "private, max-age=300";
        return Results.Text(CalendarFeedWriter.Write(feed.Name, feed.Sessions, baseUri, now), "text/calendar; charset=utf-8");
    }

    private static Task<IReadOnlyList<SessionRow>> Query(
        System.Data.Common.DbConnection connection, HttpContext http, int statusMask, CancellationToken ct,
        string? instructorId = null, string? courseId = null, string? reservedBy = null)
    {
        var now = http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
        return SessionStore.ListForFeedAsync(
            connection, instructorId, courseId, reservedBy, statusMask,
            (now - WindowBack).ToUnixTimeMilliseconds(), (now + WindowAhead).ToUnixTimeMilliseconds(), MaxEvents, ct);
    }

    /// <summary>
    /// Per key (a leaked URL polled from many places) or, without one, per client address. Calendar apps poll every
    /// few minutes at most; <c>CalendarFeeds:RequestsPerMinute</c> sets the budget.
    /// </summary>
    private sealed class CalendarFeedRateLimitPolicy : IRateLimiterPolicy<string>
    {
        public Func<OnRejectedContext, CancellationToken, ValueTask>? OnRejected { get; } = (context, _) =>
        {
            var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromMinutes(1);
            context.HttpContext.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            context.HttpContext.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            return ValueTask.CompletedTask;
        };

        public RateLimitPartition<string> GetPartition(HttpContext httpContext)
        {
            var key = httpContext.Request.Query["key"].ToString();
            var partition = key is { Length: > 0 and <= 128 } ? "feed-key:" + key : "feed-ip:" + httpContext.Connection.RemoteIpAddress;
            var perMinute = httpContext.RequestServices.GetRequiredService<IConfiguration>().GetValue("CalendarFeeds:RequestsPerMinute", 30);
            return RateLimitPartition.GetTokenBucketLimiter(partition, _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = Math.Max(1, perMinute),
                TokensPerPeriod = Math.Max(1, perMinute),
                ReplenishmentPeriod = TimeSpan.FromMinutes(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            });
        }
    }
}
