using System.Text.RegularExpressions;
using Google.Rpc;
using Grpc.Core;
using Grpc.Core.Interceptors;
using LearnHub.Api.V1;
using LearnHub.Server.Tests.Infrastructure;
using static LearnHub.Server.Tests.Infrastructure.Scenario;

namespace LearnHub.Server.Tests.Localization;

/// <summary>
/// Refusals speak the caller's language only: their saved language, else the call's accept-language, else zh-CN. Each
/// carries an ErrorInfo (stable reason, domain learnhub), a LocalizedMessage in that locale with the status message, and
/// field violations in the same language; the message names no field key and no internal id.
/// </summary>
public sealed partial class RefusalLanguageTests
{
    private const string EnglishHeader = "en-US,en;q=0.9";

    [Fact]
    public async Task A_caller_who_never_chose_a_language_is_answered_in_their_accept_language_else_in_Chinese()
    {
        await using var app = await StartAsync();
        var viewer = await app.CreateUserAsync("xiaowang");

        var english = await RefusedAsync(() => Client(app, viewer.Token, EnglishHeader).Sessions.GetSessionAsync(new GetSessionRequest { SessionId = "s_nowhere" }).ResponseAsync);
        AssertLocalized(english, StatusCode.NotFound, "SESSION_NOT_FOUND", "en");
        Assert.Equal("The session was not found.", english.Status.Detail);
        Assert.Equal("s_nowhere", Info(english).Metadata["id"]);

        var none = await RefusedAsync(() => Client(app, viewer.Token, null).Sessions.GetSessionAsync(new GetSessionRequest { SessionId = "s_nowhere" }).ResponseAsync);
        AssertLocalized(none, StatusCode.NotFound, "SESSION_NOT_FOUND", "zh-CN");
        Assert.Equal("未找到该直播。", none.Status.Detail);

        // Neither English nor Chinese asked for: zh-CN; Chinese preferred over English by q: zh-CN.
        var french = await RefusedAsync(() => Client(app, viewer.Token, "fr-FR,fr;q=0.9").Sessions.GetSessionAsync(new GetSessionRequest { SessionId = "s_nowhere" }).ResponseAsync);
        AssertLocalized(french, StatusCode.NotFound, "SESSION_NOT_FOUND", "zh-CN");
        var chineseFirst = await RefusedAsync(() => Client(app, viewer.Token, "en;q=0.5, zh-TW;q=0.8").Sessions.GetSessionAsync(new GetSessionRequest { SessionId = "s_nowhere" }).ResponseAsync);
        AssertLocalized(chineseFirst, StatusCode.NotFound, "SESSION_NOT_FOUND", "zh-CN");
    }

    [Fact]
    public async Task A_saved_language_beats_accept_language()
    {
        await using var app = await StartAsync();
        var english = await app.CreateUserAsync("emma");
        var chinese = await app.CreateUserAsync("xiaowang");
        await english.Identity.UpdateMyLanguageAsync(new UpdateMyLanguageRequest { Language = "en" });
        await chinese.Identity.UpdateMyLanguageAsync(new UpdateMyLanguageRequest { Language = "zh-CN" });

        var toEnglish = await RefusedAsync(() => Client(app, english.Token, "zh-CN,zh;q=0.9").Courses.CreateCourseAsync(new CreateCourseRequest { Title = "" }).ResponseAsync);
        AssertLocalized(toEnglish, StatusCode.PermissionDenied, "NOT_OWNER_OR_ROLE", "en");
        var toChinese = await RefusedAsync(() => Client(app, chinese.Token, EnglishHeader).Courses.CreateCourseAsync(new CreateCourseRequest { Title = "" }).ResponseAsync);
        AssertLocalized(toChinese, StatusCode.PermissionDenied, "NOT_OWNER_OR_ROLE", "zh-CN");
        Assert.Equal("只有讲师或管理员可以安排课程和直播。", toChinese.Status.Detail);

        // Changing it takes effect on the next call (the cached access that carries it is dropped).
        await english.Identity.UpdateMyLanguageAsync(new UpdateMyLanguageRequest { Language = "zh-CN" });
        var changed = await RefusedAsync(() => Client(app, english.Token, EnglishHeader).Courses.CreateCourseAsync(new CreateCourseRequest { Title = "" }).ResponseAsync);
        AssertLocalized(changed, StatusCode.PermissionDenied, "NOT_OWNER_OR_ROLE", "zh-CN");
    }

    [Fact]
    public async Task Anonymous_and_token_refusals_follow_accept_language()
    {
        await using var app = await StartAsync();

        var english = await RefusedAsync(() => Client(app, null, EnglishHeader).Identity.GetMeAsync(new GetMeRequest()).ResponseAsync);
        AssertLocalized(english, StatusCode.Unauthenticated, "TOKEN_MISSING", "en");
        Assert.Equal("Please sign in first.", english.Status.Detail);
        var chinese = await RefusedAsync(() => Client(app, null, null).Identity.GetMeAsync(new GetMeRequest()).ResponseAsync);
        AssertLocalized(chinese, StatusCode.Unauthenticated, "TOKEN_MISSING", "zh-CN");
        Assert.Equal("请先登录。", chinese.Status.Detail);
        var forged = await RefusedAsync(() => Client(app, "not-a-token", EnglishHeader).Identity.GetMeAsync(new GetMeRequest()).ResponseAsync);
        AssertLocalized(forged, StatusCode.Unauthenticated, "TOKEN_INVALID", "en");
    }

    [Fact]
    public async Task Several_bad_fields_are_joined_in_one_language_without_their_keys()
    {
        await using var app = await StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var bad = new CreateSessionRequest { Title = "", PlannedStart = Ts(Shanghai(1, 19, 30)), DurationMinutes = 3, TimeZone = "Mars/Olympus_Mons" };

        var chinese = await RefusedAsync(() => Client(app, instructor.Token, null).Sessions.CreateSessionAsync(bad).ResponseAsync);
        AssertLocalized(chinese, StatusCode.InvalidArgument, "FIELD_INVALID", "zh-CN");
        Assert.Equal("标题不能为空，须为 1–100 个字符。时长须在 5–720 分钟之间。未知时区「Mars/Olympus_Mons」。", chinese.Status.Detail);
        Assert.Equal("title,duration_minutes,time_zone", Info(chinese).Metadata["fields"]);
        var violations = chinese.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations;
        Assert.Equal(["title", "duration_minutes", "time_zone"], violations.Select(v => v.Field));
        Assert.Equal(["FIELD_REQUIRED", "FIELD_INVALID", "FIELD_INVALID"], violations.Select(v => v.Reason));

        var english = await RefusedAsync(() => Client(app, instructor.Token, EnglishHeader).Sessions.CreateSessionAsync(bad).ResponseAsync);
        AssertLocalized(english, StatusCode.InvalidArgument, "FIELD_INVALID", "en");
        Assert.Equal("The title is required (1 to 100 characters). The duration must be 5–720 minutes. Unknown time zone “Mars/Olympus_Mons”.", english.Status.Detail);
    }

    [Fact]
    public async Task A_schedule_conflict_names_the_other_session_once_by_title_and_time_and_keeps_its_id_in_the_details()
    {
        await using var app = await StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        // A Latin title, so that the English message can be checked for Chinese (a title is the user's, in any script).
        var existing = await instructor.ScheduleAsync(Shanghai(1, 19, 30), minutes: 90, title: "Economics, chapter 19");
        var overlapping = new CreateSessionRequest { Title = "答疑", PlannedStart = Ts(Shanghai(1, 20, 0)), DurationMinutes = 30 };

        foreach (var (header, locale) in new[] { ((string?)null, "zh-CN"), (EnglishHeader, "en") })
        {
            var refusal = await RefusedAsync(() => Client(app, instructor.Token, header).Sessions.CreateSessionAsync(overlapping).ResponseAsync);
            AssertLocalized(refusal, StatusCode.FailedPrecondition, "SCHEDULE_CONFLICT", locale);
            Assert.DoesNotContain(existing.Id, refusal.Status.Detail, StringComparison.Ordinal);
            Assert.Equal(existing.Id, refusal.ConflictingSessionId());
            Assert.Single(Regex.Matches(refusal.Status.Detail, Regex.Escape(existing.Title)));
            Assert.Contains("19:30–21:00 Asia/Shanghai", refusal.Status.Detail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Rate_limited_calls_are_refused_in_the_callers_language()
    {
        await using var app = await LearnHubApp.StartAsync(new Dictionary<string, string?>
        {
            ["RateLimits:WriteBurst"] = "1",
            ["RateLimits:WritesPerMinute"] = "1",
        });
        var teacher = await app.CreateUserAsync("teacher", "instructor");
        var courses = Client(app, teacher.Token, EnglishHeader).Courses;
        await courses.CreateCourseAsync(new CreateCourseRequest { Title = "经济基础" });

        var refused = await RefusedAsync(() => courses.CreateCourseAsync(new CreateCourseRequest { Title = "人力资源管理" }).ResponseAsync);
        AssertLocalized(refused, StatusCode.ResourceExhausted, "RATE_LIMITED", "en");
        Assert.True(int.Parse(Info(refused).Metadata["retry_after_seconds"], System.Globalization.CultureInfo.InvariantCulture) >= 1);
        var chinese = await RefusedAsync(() => Client(app, teacher.Token, null).Courses.CreateCourseAsync(new CreateCourseRequest { Title = "人力资源管理" }).ResponseAsync);
        AssertLocalized(chinese, StatusCode.ResourceExhausted, "RATE_LIMITED", "zh-CN");
    }

    [Fact]
    public async Task A_sweep_of_bad_requests_reads_as_one_language_in_each()
    {
        await using var app = await StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var viewer = await app.CreateUserAsync("xiaowang");
        var session = await instructor.ScheduleAsync(Shanghai(1, 19, 30), minutes: 90);
        var course = await instructor.Courses.CreateCourseAsync(new CreateCourseRequest { Title = "经济基础", ChapterTitles = { "第19章" } });

        foreach (var (header, locale) in new[] { ((string?)null, "zh-CN"), (EnglishHeader, "en") })
        {
            var teach = Client(app, instructor.Token, header);
            var watch = Client(app, viewer.Token, header);
            var cases = new (string What, Func<Task> Call)[]
            {
                ("empty title", () => teach.Sessions.CreateSessionAsync(new CreateSessionRequest { Title = "", PlannedStart = Ts(Shanghai(2, 9, 0)), DurationMinutes = 60 }).ResponseAsync),
                ("long title", () => teach.Sessions.CreateSessionAsync(new CreateSessionRequest { Title = new string('经', 101), PlannedStart = Ts(Shanghai(2, 9, 0)), DurationMinutes = 60 }).ResponseAsync),
                ("title over two lines", () => teach.Sessions.CreateSessionAsync(new CreateSessionRequest { Title = "第一行\n第二行", PlannedStart = Ts(Shanghai(2, 9, 0)), DurationMinutes = 60 }).ResponseAsync),
                ("start in the past", () => teach.Sessions.CreateSessionAsync(new CreateSessionRequest { Title = "答疑", PlannedStart = Ts(Shanghai(-1, 9, 0)), DurationMinutes = 60 }).ResponseAsync),
                ("no start", () => teach.Sessions.CreateSessionAsync(new CreateSessionRequest { Title = "答疑", DurationMinutes = 60 }).ResponseAsync),
                ("chapter without course", () => teach.Sessions.CreateSessionAsync(new CreateSessionRequest { Title = "答疑", PlannedStart = Ts(Shanghai(2, 9, 0)), DurationMinutes = 60, ChapterId = "ch_1" }).ResponseAsync),
                ("bad id", () => watch.Sessions.GetSessionAsync(new GetSessionRequest { SessionId = "s 1" }).ResponseAsync),
                ("unknown session", () => watch.Sessions.GetSessionAsync(new GetSessionRequest { SessionId = "s_nowhere" }).ResponseAsync),
                ("page size", () => watch.Sessions.ListSessionsAsync(new ListSessionsRequest { PageSize = 1000 }).ResponseAsync),
                ("page token", () => watch.Sessions.ListSessionsAsync(new ListSessionsRequest { PageToken = "garbage" }).ResponseAsync),
                ("empty course title", () => teach.Courses.CreateCourseAsync(new CreateCourseRequest { Title = "" }).ResponseAsync),
                ("unknown course", () => teach.Courses.AddChapterAsync(new AddChapterRequest { CourseId = "c_nowhere", Title = "第20章" }).ResponseAsync),
                ("bad position", () => teach.Courses.AddChapterAsync(new AddChapterRequest { CourseId = course.Id, Title = "第20章", Position = 9 }).ResponseAsync),
                ("viewer schedules", () => watch.Sessions.CreateSessionAsync(new CreateSessionRequest { Title = "答疑", PlannedStart = Ts(Shanghai(2, 9, 0)), DurationMinutes = 60 }).ResponseAsync),
                ("viewer edits another's session", () => watch.Sessions.UpdateSessionAsync(new UpdateSessionRequest { SessionId = session.Id, Title = "改" }).ResponseAsync),
                ("extend a scheduled session", () => teach.Sessions.ExtendSessionAsync(new ExtendSessionRequest { SessionId = session.Id, Minutes = 30 }).ResponseAsync),
                ("extend by nothing", () => teach.Sessions.ExtendSessionAsync(new ExtendSessionRequest { SessionId = session.Id, Minutes = 0 }).ResponseAsync),
                ("end a scheduled session", () => teach.Sessions.EndSessionAsync(new EndSessionRequest { SessionId = session.Id }).ResponseAsync),
                ("go live too early", () => teach.Sessions.GoLiveAsync(new GoLiveRequest { SessionId = session.Id }).ResponseAsync),
                ("series with bad days and time", () => teach.Sessions.PlanCourseSeriesAsync(new PlanCourseSeriesRequest { CourseId = course.Id, Weekdays = { 9 }, LocalTime = "7pm", StartDate = "tomorrow", DurationMinutes = 90 }).ResponseAsync),
                ("unknown zone", () => watch.Identity.UpdateMyTimeZoneAsync(new UpdateMyTimeZoneRequest { TimeZone = "Mars/Olympus_Mons" }).ResponseAsync),
                ("unknown language", () => watch.Identity.UpdateMyLanguageAsync(new UpdateMyLanguageRequest { Language = "fr" }).ResponseAsync),
                ("follow oneself", () => watch.Follows.FollowAsync(new FollowRequest { CreatorId = viewer.Id }).ResponseAsync),
                ("uncertified broadcast", () => watch.Broadcasts.SubmitBroadcastAsync(new SubmitBroadcastRequest { RequestId = "r1", Kind = BroadcastKind.Text, Text = "你好" }).ResponseAsync),
                ("roles by a viewer", () => watch.Admin.SetUserRolesAsync(new SetUserRolesRequest { UserId = viewer.Id, Roles = { "admin" } }).ResponseAsync),
                ("too many notifications", () => watch.Notifications.MarkNotificationsReadAsync(new MarkNotificationsReadRequest { NotificationIds = { Enumerable.Range(0, 1000).Select(i => $"n_{i}") } }).ResponseAsync),
            };
            foreach (var (what, call) in cases)
            {
                var refusal = await RefusedAsync(call);
                try
                {
                    AssertLocalized(refusal, refusal.StatusCode, Info(refusal).Reason, locale);
                    Assert.DoesNotContain(session.Id, refusal.Status.Detail, StringComparison.Ordinal);
                    Assert.DoesNotContain(viewer.Id, refusal.Status.Detail, StringComparison.Ordinal);
                }
                catch (Exception e) when (e is Xunit.Sdk.XunitException)
                {
                    throw new Xunit.Sdk.XunitException($"{what} ({locale}): {refusal.StatusCode} {refusal.Status.Detail}\n{e.Message}");
                }
            }
        }
    }

    /// <summary>Clients of <paramref name="token"/>'s user (anonymous when null) that send <paramref name="acceptLanguage"/>.</summary>
    private static Clients Client(LearnHubApp app, string? token, string? acceptLanguage) =>
        new(app.Channel.Intercept(metadata =>
        {
            if (token is not null)
            {
                metadata.Add("authorization", $"Bearer {token}");
            }
            if (acceptLanguage is not null)
            {
                metadata.Add("accept-language", acceptLanguage);
            }
            return metadata;
        }));

    private sealed record Clients(CallInvoker Invoker)
    {
        public SessionService.SessionServiceClient Sessions => new(Invoker);

        public CourseService.CourseServiceClient Courses => new(Invoker);

        public IdentityService.IdentityServiceClient Identity => new(Invoker);

        public FollowService.FollowServiceClient Follows => new(Invoker);

        public BroadcastService.BroadcastServiceClient Broadcasts => new(Invoker);

        public AdminService.AdminServiceClient Admin => new(Invoker);

        public NotificationService.NotificationServiceClient Notifications => new(Invoker);
    }

    private static Task<RpcException> RefusedAsync(Func<Task> call) => Assert.ThrowsAsync<RpcException>(call);

    private static ErrorInfo Info(RpcException refusal) =>
        refusal.GetRpcStatus()?.GetDetail<ErrorInfo>() ?? throw new Xunit.Sdk.XunitException($"no ErrorInfo: {refusal.Status}");

    /// <summary>The status, reason, LocalizedMessage and field violations of a refusal, all in <paramref name="locale"/>.</summary>
    private static void AssertLocalized(RpcException refusal, StatusCode code, string reason, string locale)
    {
        Assert.Equal(code, refusal.StatusCode);
        var status = refusal.GetRpcStatus();
        Assert.NotNull(status);
        var info = Info(refusal);
        Assert.Equal((reason, "learnhub"), (info.Reason, info.Domain));
        Assert.Matches("^[A-Z][A-Z0-9_]+$", info.Reason);
        var localized = status.GetDetail<LocalizedMessage>();
        Assert.NotNull(localized);
        Assert.Equal((locale, refusal.Status.Detail), (localized.Locale, localized.Message));
        Assert.Equal(refusal.Status.Detail, status.Message);
        AssertLanguage(refusal.Status.Detail, locale);
        foreach (var violation in status.GetDetail<BadRequest>()?.FieldViolations ?? [])
        {
            AssertLanguage(violation.Description, locale);
            Assert.Equal((locale, violation.Description), (violation.LocalizedMessage?.Locale, violation.LocalizedMessage?.Message));
            Assert.Matches("^[A-Z][A-Z0-9_]+$", violation.Reason);
        }
    }

    /// <summary>English: no Chinese character or full-width punctuation. Chinese: full-width punctuation, no "field:" prefix.</summary>
    private static void AssertLanguage(string message, string locale)
    {
        Assert.False(string.IsNullOrWhiteSpace(message));
        Assert.False(FieldPrefix().IsMatch(message), $"field key in front: {message}");
        if (locale == "en")
        {
            Assert.False(HanOrFullWidth().IsMatch(message), $"English message holds Chinese: {message}");
            return;
        }
        Assert.True(Han().IsMatch(message), $"not Chinese: {message}");
        Assert.False(HalfWidthNextToHan().IsMatch(message), $"half-width punctuation in Chinese: {message}");
    }

    [GeneratedRegex(@"\p{IsCJKUnifiedIdeographs}")]
    private static partial Regex Han();

    [GeneratedRegex(@"[\p{IsCJKUnifiedIdeographs}，。：；（）《》「」、]")]
    private static partial Regex HanOrFullWidth();

    [GeneratedRegex(@"\p{IsCJKUnifiedIdeographs}\s*[,:;()]|[,:;()]\s*\p{IsCJKUnifiedIdeographs}")]
    private static partial Regex HalfWidthNextToHan();

    [GeneratedRegex(@"^[a-z_\[\]0-9.]+:\s")]
    private static partial Regex FieldPrefix();
}
