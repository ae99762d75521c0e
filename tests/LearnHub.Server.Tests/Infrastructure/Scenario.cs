using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using LearnHub.Api.V1;
using LearnHub.Server.Sessions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Quartz;

namespace LearnHub.Server.Tests.Infrastructure;

/// <summary>
/// The shared starting point of the scheduling tests: a host whose fake clock starts on a whole minute, wall times
/// in Asia/Shanghai relative to that day, and helpers that move the clock and wait for Quartz to catch up.
/// </summary>
public static class Scenario
{
    /// <summary>
    /// Where the fake clock starts: the real time, to the minute. JWT validation reads the wall clock, so tokens must
    /// be minted before the fake clock moves ahead: create every user first.
    /// </summary>
    public static readonly DateTimeOffset Start = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 60 * 60);

    private static readonly TimeSpan ShanghaiOffset = TimeSpan.FromHours(8);

    /// <summary>The Shanghai calendar date the tests start on.</summary>
    public static readonly DateOnly Today = DateOnly.FromDateTime(Start.ToOffset(ShanghaiOffset).DateTime);

    /// <summary>A wall time in Asia/Shanghai (UTC+8 all year) <paramref name="days"/> days after <see cref="Today"/>.</summary>
    public static DateTimeOffset Shanghai(int days, int hour, int minute) =>
        new(Today.AddDays(days).ToDateTime(new TimeOnly(hour, minute)), ShanghaiOffset);

    /// <summary>"MM-dd" of the Shanghai date <paramref name="days"/> days after <see cref="Today"/>, as the 直播推荐 badge shows it.</summary>
    public static string MonthDay(int days) => Today.AddDays(days).ToString("MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    public static Task<LearnHubApp> StartAsync() =>
        LearnHubApp.StartAsync(clock: new FakeTimeProvider(Start) { AutoAdvanceAmount = TimeSpan.Zero });

    public static DateTimeOffset Now(this LearnHubApp app) => app.Clock.GetUtcNow();

    /// <summary>Moves the fake clock and waits until every session trigger due by then has run to completion.</summary>
    public static Task AdvanceAsync(this LearnHubApp app, TimeSpan by) => app.AdvanceToAsync(app.Now() + by);

    /// <summary>
    /// Moves the fake clock to <paramref name="instant"/> and waits until Quartz has finished every session trigger
    /// due by then. A fired one-shot trigger is deleted only after its job completed, so "no trigger due by now is
    /// left" means every due step has committed; a step that should not run (moved or removed) is simply absent.
    /// </summary>
    public static async Task AdvanceToAsync(this LearnHubApp app, DateTimeOffset instant)
    {
        app.Clock.SetUtcNow(instant);
        var scheduler = await app.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();
        try
        {
            await Wait.UntilAsync(async () => (await DueTriggersAsync(scheduler, instant)).Count, due => due == 0, what: $"session triggers due by {instant:O} to complete");
        }
        catch (TimeoutException e)
        {
            var left = string.Join('\n', await DueTriggersAsync(scheduler, instant));
            throw new TimeoutException($"{e.Message}\nDue triggers left:\n{left}\nRecent log:\n{app.Logs.Describe()}", e);
        }
        // A step's change reaches 直播推荐 through a rebuild off the request path: wait for one that began after the steps.
        await app.Services.GetRequiredService<RecommendationsSnapshot>().RebuiltAsync(CancellationToken.None).DefaultTimeout();
    }

    private static async Task<List<string>> DueTriggersAsync(IScheduler scheduler, DateTimeOffset instant)
    {
        var due = new List<string>();
        foreach (var key in await scheduler.GetTriggerKeys(GroupMatcher<TriggerKey>.GroupEquals(SessionTriggers.Group)))
        {
            if (await scheduler.GetTrigger(key) is { } trigger && trigger.StartTimeUtc <= instant)
            {
                due.Add($"{key} start {trigger.StartTimeUtc:O} next {trigger.NextFireTimeUtc:O} state {await scheduler.GetTriggerState(key)}");
            }
        }
        return due;
    }

    public static Timestamp Ts(DateTimeOffset instant) => Timestamp.FromDateTimeOffset(instant);

    /// <summary>Schedules a session as <paramref name="instructor"/>.</summary>
    public static async Task<Session> ScheduleAsync(
        this TestUser instructor, DateTimeOffset start, int minutes = 60, string title = "经济基础第19章考点梳理",
        string courseId = "", string chapterId = "", string timeZone = "") =>
        await instructor.Sessions.CreateSessionAsync(new CreateSessionRequest
        {
            Title = title,
            PlannedStart = Ts(start),
            DurationMinutes = minutes,
            CourseId = courseId,
            ChapterId = chapterId,
            TimeZone = timeZone,
        });

    public static async Task<Session> GetAsync(this TestUser user, string sessionId) =>
        await user.Sessions.GetSessionAsync(new GetSessionRequest { SessionId = sessionId });

    /// <summary>Every session as <paramref name="user"/> sees them: the "nothing changed" snapshot of refusal tests.</summary>
    public static async Task<IReadOnlyList<Session>> AllSessionsAsync(this TestUser user) =>
        (await user.Sessions.ListSessionsAsync(new ListSessionsRequest { PageSize = 100 })).Sessions;

    public static async Task<IReadOnlyList<Notification>> NotificationsAsync(this TestUser user) =>
        (await user.Notifications.ListNotificationsAsync(new ListNotificationsRequest { PageSize = 100 })).Notifications;

    public static async Task ReserveAsync(this TestUser viewer, string sessionId) =>
        await viewer.Sessions.ReserveSessionAsync(new ReserveSessionRequest { SessionId = sessionId });

    /// <summary>The session id a refusal named as the conflict (ErrorInfo metadata).</summary>
    public static string ConflictingSessionId(this RpcException refusal) =>
        refusal.GetRpcStatus()?.GetDetail<Google.Rpc.ErrorInfo>() is { } info && info.Metadata.TryGetValue("conflicting_session_id", out var id) ? id : "";
}
