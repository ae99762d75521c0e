using System.Text;
using Google.Protobuf;
using Grpc.Core;
using LearnHub.Api.V1;
using LearnHub.Server.Tests.Broadcasts;
using LearnHub.Server.Tests.Infrastructure;

namespace LearnHub.Server.Tests.Security;

/// <summary>
/// Every text field of every API, through real gRPC calls: a combining-mark bomb, a text past its byte bound, a
/// control character and a text that shows nothing are each refused with INVALID_ARGUMENT naming the field, and change
/// nothing.
/// </summary>
public sealed class TextLimitsTests
{
    /// <summary>'a' and 100,000 combining acute accents: one character as a person counts it, 200 KB on the wire.</summary>
    private static readonly string Bomb = "a" + new string('\u0301', 100_000);

    /// <summary>Zero-width space, non-joiner, joiner and BOM: the issue's "blank" broadcast.</summary>
    private const string Invisible = "\u200B\u200C\u200D\uFEFF";

    private const string Family = "👨‍👩‍👧‍👦"; // 25 bytes, one character

    public enum Bad
    {
        /// <summary>A combining-mark bomb.</summary>
        Bomb,

        /// <summary>Within the character limit but past 8 bytes a character (ZWJ families).</summary>
        Bytes,

        /// <summary>A NUL inside otherwise good text.</summary>
        Nul,

        /// <summary>A line break: refused in single-line fields only.</summary>
        LineBreak,

        /// <summary>Only zero-width characters: refused in required fields.</summary>
        Blank,
    }

    /// <summary>One text field: how to send a value in it, its character limit, whether it is one line and required.</summary>
    private sealed record TextField(string Name, int MaxCharacters, bool SingleLine, bool Required, Func<World, string, Task> Send);

    private static IEnumerable<TextField> Fields()
    {
        yield return new("CreateSession.title", 100, true, true, (w, v) => w.Instructor.Sessions.CreateSessionAsync(w.NewSession(title: v)).ResponseAsync);
        yield return new("CreateSession.description", 2000, false, false, (w, v) => w.Instructor.Sessions.CreateSessionAsync(w.NewSession(description: v)).ResponseAsync);
        yield return new("UpdateSession.title", 100, true, true, (w, v) => w.Instructor.Sessions.UpdateSessionAsync(new UpdateSessionRequest { SessionId = w.Session.Id, Title = v }).ResponseAsync);
        yield return new("UpdateSession.description", 2000, false, false, (w, v) => w.Instructor.Sessions.UpdateSessionAsync(new UpdateSessionRequest { SessionId = w.Session.Id, Description = v }).ResponseAsync);
        yield return new("CancelSession.reason", 500, true, false, (w, v) => w.Instructor.Sessions.CancelSessionAsync(new CancelSessionRequest { SessionId = w.Session.Id, Reason = v }).ResponseAsync);
        yield return new("CreateCourse.title", 100, true, true, (w, v) => w.Instructor.Courses.CreateCourseAsync(new CreateCourseRequest { Title = v }).ResponseAsync);
        yield return new("CreateCourse.description", 2000, false, false, (w, v) => w.Instructor.Courses.CreateCourseAsync(new CreateCourseRequest { Title = "经济基础", Description = v }).ResponseAsync);
        yield return new("CreateCourse.chapter_titles[1]", 100, true, true, (w, v) => w.Instructor.Courses.CreateCourseAsync(new CreateCourseRequest { Title = "经济基础", ChapterTitles = { "第19章", v } }).ResponseAsync);
        yield return new("UpdateCourse.title", 100, true, true, (w, v) => w.Instructor.Courses.UpdateCourseAsync(new UpdateCourseRequest { CourseId = w.Course.Id, Title = v }).ResponseAsync);
        yield return new("UpdateCourse.description", 2000, false, false, (w, v) => w.Instructor.Courses.UpdateCourseAsync(new UpdateCourseRequest { CourseId = w.Course.Id, Description = v }).ResponseAsync);
        yield return new("AddChapter.title", 100, true, true, (w, v) => w.Instructor.Courses.AddChapterAsync(new AddChapterRequest { CourseId = w.Course.Id, Title = v }).ResponseAsync);
        yield return new("RenameChapter.title", 100, true, true, (w, v) => w.Instructor.Courses.RenameChapterAsync(new RenameChapterRequest { CourseId = w.Course.Id, ChapterId = w.Course.Chapters[0].Id, Title = v }).ResponseAsync);
        yield return new("PlanCourseSeries.title_suffix", 100, true, false, (w, v) => w.Instructor.Sessions.PlanCourseSeriesAsync(w.NewSeries(v)).ResponseAsync);
        yield return new("SubmitBroadcast.text", 300, false, true, (w, v) => w.SubmitAsync(text: v));
        yield return new("SubmitBroadcast.request_id", 64, true, true, (w, v) => w.SubmitAsync(requestId: v));
        yield return new("SubmitBroadcast.agreement_version", 32, true, true, (w, v) => w.SubmitAsync(agreementVersion: v));
        yield return new("RejectBroadcast.reason", 200, true, true, (w, v) => w.Reviewer.BroadcastApi().RejectBroadcastAsync(new RejectBroadcastRequest { BroadcastId = w.Pending.Id, Reason = v }).ResponseAsync);
        yield return new("TakeDownBroadcast.reason", 200, true, true, (w, v) => w.Reviewer.BroadcastApi().TakeDownBroadcastAsync(new TakeDownBroadcastRequest { BroadcastId = w.Approved.Id, Reason = v }).ResponseAsync);
        yield return new("ReportBroadcast.reason", 200, true, true, (w, v) => w.Fan.Inbox.ReportBroadcastAsync(new ReportBroadcastRequest { MessageId = w.Approved.Id, Reason = v }).ResponseAsync);
        yield return new("SearchCreators.query", 50, true, true, (w, v) => w.Fan.Follows.SearchCreatorsAsync(new SearchCreatorsRequest { Query = v }).ResponseAsync);
        yield return new("ListUsers.query", 100, true, false, (w, v) => w.Admin.Admin.ListUsersAsync(new ListUsersRequest { Query = v }).ResponseAsync);
        // Ids: bounded in bytes (64), no space, control or format character.
        yield return new("GetSession.session_id", 64, true, true, (w, v) => w.Fan.Sessions.GetSessionAsync(new GetSessionRequest { SessionId = v }).ResponseAsync);
        yield return new("ReserveSession.session_id", 64, true, true, (w, v) => w.Fan.Sessions.ReserveSessionAsync(new ReserveSessionRequest { SessionId = v }).ResponseAsync);
        yield return new("UpdateSession.session_id", 64, true, true, (w, v) => w.Instructor.Sessions.UpdateSessionAsync(new UpdateSessionRequest { SessionId = v, Title = "新标题" }).ResponseAsync);
        yield return new("CreateSession.request_id", 64, true, false, (w, v) => w.Instructor.Sessions.CreateSessionAsync(w.NewSession(requestId: v)).ResponseAsync);
        yield return new("CreateSession.course_id", 64, true, false, (w, v) => w.Instructor.Sessions.CreateSessionAsync(w.NewSession(courseId: v)).ResponseAsync);
        yield return new("ListSessions.instructor_id", 64, true, false, (w, v) => w.Fan.Sessions.ListSessionsAsync(new ListSessionsRequest { InstructorId = v }).ResponseAsync);
        yield return new("GetCourse.course_id", 64, true, true, (w, v) => w.Fan.Courses.GetCourseAsync(new GetCourseRequest { CourseId = v }).ResponseAsync);
        yield return new("RenameChapter.chapter_id", 64, true, true, (w, v) => w.Instructor.Courses.RenameChapterAsync(new RenameChapterRequest { CourseId = w.Course.Id, ChapterId = v, Title = "第21章" }).ResponseAsync);
        yield return new("GetSessionStats.session_id", 64, true, true, (w, v) => w.Instructor.Presence.GetSessionStatsAsync(new GetSessionStatsRequest { SessionId = v }).ResponseAsync);
        yield return new("Follow.creator_id", 64, true, true, (w, v) => w.Fan.Follows.FollowAsync(new FollowRequest { CreatorId = v }).ResponseAsync);
        yield return new("MarkInboxRead.message_ids[0]", 64, true, true, (w, v) => w.Fan.Inbox.MarkInboxReadAsync(new MarkInboxReadRequest { MessageIds = { v } }).ResponseAsync);
        yield return new("ApproveBroadcast.broadcast_id", 64, true, true, (w, v) => w.Reviewer.BroadcastApi().ApproveBroadcastAsync(new ApproveBroadcastRequest { BroadcastId = v }).ResponseAsync);
        yield return new("SetUserRoles.user_id", 64, true, true, (w, v) => w.Admin.Admin.SetUserRolesAsync(new SetUserRolesRequest { UserId = v, Roles = { "viewer" } }).ResponseAsync);
        yield return new("SetCertified.user_id", 64, true, true, (w, v) => w.Admin.Admin.SetCertifiedAsync(new SetCertifiedRequest { UserId = v, Certified = true }).ResponseAsync);
    }

    /// <summary>The field name a violation carries: the part after the RPC name.</summary>
    private static string FieldOf(TextField field) => field.Name[(field.Name.IndexOf('.', StringComparison.Ordinal) + 1)..];

    private static string? BadValue(TextField field, Bad bad) => bad switch
    {
        Bad.Bomb => Bomb,
        // Enough ZWJ families to pass 8 bytes a character while staying within the character limit (ids: 64 bytes).
        Bad.Bytes => field.MaxCharacters == 64 || field.MaxCharacters == 32
            ? string.Concat(Enumerable.Repeat("经", field.MaxCharacters / 3 + 1))
            : string.Concat(Enumerable.Repeat(Family, field.MaxCharacters * 8 / 25 + 1)),
        Bad.Nul => "经济\u0000基础",
        Bad.LineBreak => field.SingleLine ? "第19章\n考点" : null,
        Bad.Blank => field.Required ? Invisible : null,
        _ => throw new ArgumentOutOfRangeException(nameof(bad)),
    };

    [Theory]
    [InlineData(Bad.Bomb)]
    [InlineData(Bad.Bytes)]
    [InlineData(Bad.Nul)]
    [InlineData(Bad.LineBreak)]
    [InlineData(Bad.Blank)]
    public async Task Every_text_field_refuses_it_with_invalid_argument_naming_the_field_and_nothing_changes(Bad bad)
    {
        await using var world = await World.StartAsync();
        var before = await world.SnapshotAsync();
        var wrong = new List<string>();
        var tried = 0;
        foreach (var field in Fields())
        {
            if (BadValue(field, bad) is not { } value)
            {
                continue;
            }
            tried++;
            try
            {
                await field.Send(world, value);
                wrong.Add($"{field.Name}: accepted");
            }
            catch (RpcException e)
            {
                var violations = e.GetRpcStatus()?.GetDetail<Google.Rpc.BadRequest>()?.FieldViolations.Select(v => v.Field).ToList() ?? [];
                if (e.StatusCode != StatusCode.InvalidArgument || !violations.Contains(FieldOf(field)))
                {
                    wrong.Add($"{field.Name}: {e.StatusCode} [{string.Join(", ", violations)}] {e.Status.Detail[..Math.Min(200, e.Status.Detail.Length)]}");
                }
                else if (Encoding.UTF8.GetByteCount(e.Status.Detail) > 1024)
                {
                    wrong.Add($"{field.Name}: the refusal's message is {Encoding.UTF8.GetByteCount(e.Status.Detail)} bytes (it must not quote the value)");
                }
            }
        }
        Assert.True(wrong.Count == 0, $"{bad}: {wrong.Count} of {tried} fields wrong:\n{string.Join('\n', wrong)}");
        Assert.Equal(before, await world.SnapshotAsync());
    }

    [Theory]
    [InlineData(Invisible)]
    [InlineData("\u0000")]
    [InlineData("   \u3000\u2060")]
    [InlineData("\u3164")]
    public async Task A_broadcast_that_shows_nothing_is_refused_and_uses_no_quota(string text)
    {
        await using var world = await World.StartAsync();
        var creator = await world.App.CreateUserAsync("zhanglaoshi", "instructor");
        await world.Admin.Admin.SetCertifiedAsync(new SetCertifiedRequest { UserId = creator.Id, Certified = true });
        var submitted = (await world.App.AuditActionsAsync()).Count(a => a == "submitted");

        await Refusal.AssertAsync(StatusCode.InvalidArgument, "text", () => creator.SubmitTextAsync(text));

        var quota = await creator.BroadcastApi().GetQuotaAsync(new GetQuotaRequest());
        Assert.Equal((0, 0, 2), (quota.Frozen, quota.Consumed, quota.Remaining));
        Assert.Empty((await creator.BroadcastApi().ListMyBroadcastsAsync(new ListMyBroadcastsRequest())).Broadcasts);
        Assert.Equal(submitted, (await world.App.AuditActionsAsync()).Count(a => a == "submitted"));
        // The same creator's real text goes through and freezes one.
        await creator.SubmitTextAsync("本周直播安排" + text.Trim('\u0000'));
        Assert.Equal(1, (await creator.BroadcastApi().GetQuotaAsync(new GetQuotaRequest())).Frozen);
    }

    [Fact]
    public async Task Real_text_of_every_script_at_its_longest_is_accepted()
    {
        await using var world = await World.StartAsync();
        // Real characters at their longest: ZWJ families with skin tones, flags, Vietnamese and Devanagari marks, Thai.
        const string Mixed = "👩🏽‍👩🏽‍👧🏽‍👦🏽🏴󠁧󠁢󠁥󠁮󠁧󠁿🇨🇳 Tiếng Việt नमस्ते สวัสดี 经济基础";
        var title = string.Concat(Enumerable.Repeat("👍🏽", 100)); // 100 characters, 800 bytes: the title's whole budget
        var session = await world.Instructor.Sessions.CreateSessionAsync(world.NewSession(title: title, description: string.Concat(Enumerable.Repeat("नमस्ते दुनिया ", 100)) + "\n\t" + Mixed));
        Assert.Equal(title, session.Title);
        var decomposed = Mixed.Normalize(NormalizationForm.FormD);
        var renamed = await world.Instructor.Sessions.UpdateSessionAsync(new UpdateSessionRequest { SessionId = session.Id, Title = decomposed });
        Assert.Equal(decomposed, renamed.Title);
        await world.Creator.BroadcastApi().WithdrawBroadcastAsync(new WithdrawBroadcastRequest { BroadcastId = world.Pending.Id });
        var broadcast = await world.SubmitAsync(text: "第一段\n\n第二段\t" + Mixed);
        Assert.Equal(BroadcastStatus.Pending, broadcast.Status);
    }

    [Fact]
    public async Task A_refusal_does_not_quote_a_huge_or_multi_line_value()
    {
        await using var world = await World.StartAsync();
        var zone = await Refusal.AssertAsync(StatusCode.InvalidArgument, "time_zone",
            () => world.Fan.Identity.UpdateMyTimeZoneAsync(new UpdateMyTimeZoneRequest { TimeZone = "Asia/\nForged: line" + new string('x', 100_000) }).ResponseAsync);
        Assert.DoesNotContain("\n", zone.Status.Detail, StringComparison.Ordinal);
        Assert.True(zone.Status.Detail.Length < 300, zone.Status.Detail);
        var role = await Refusal.AssertAsync(StatusCode.InvalidArgument, "roles",
            () => world.Admin.Admin.SetUserRolesAsync(new SetUserRolesRequest { UserId = world.Fan.Id, Roles = { new string('r', 100_000) } }).ResponseAsync);
        Assert.True(role.Status.Detail.Length < 300, role.Status.Detail);
    }

    /// <summary>An instructor with a course, a chapter and a session; a certified creator with one pending and one approved broadcast held by a fan.</summary>
    private sealed class World : IAsyncDisposable
    {
        private World(LearnHubApp app) => App = app;

        public LearnHubApp App { get; }

        public TestUser Admin { get; private set; } = default!;

        public TestUser Instructor { get; private set; } = default!;

        public TestUser Creator { get; private set; } = default!;

        public TestUser Reviewer { get; private set; } = default!;

        public TestUser Fan { get; private set; } = default!;

        public Course Course { get; private set; } = default!;

        public Session Session { get; private set; } = default!;

        public Broadcast Pending { get; private set; } = default!;

        public Broadcast Approved { get; private set; } = default!;

        public static async Task<World> StartAsync()
        {
            var world = new World(await Scenario.StartAsync());
            var app = world.App;
            world.Admin = await app.CreateUserAsync("admin", "admin");
            world.Instructor = await app.CreateNamedUserAsync("wanhongcoco", "万红coco", "instructor");
            world.Creator = await app.CreateNamedUserAsync("lilaoshi", "李老师", "instructor");
            world.Reviewer = await app.CreateUserAsync("shenhe", "reviewer");
            world.Fan = await app.CreateUserAsync("xiaowang");
            await world.Admin.Admin.SetCertifiedAsync(new SetCertifiedRequest { UserId = world.Creator.Id, Certified = true });
            await world.Fan.Follows.FollowAsync(new FollowRequest { CreatorId = world.Creator.Id });
            world.Course = await world.Instructor.Courses.CreateCourseAsync(new CreateCourseRequest { Title = "经济基础", ChapterTitles = { "第19章", "第20章" } });
            world.Session = await world.Instructor.ScheduleAsync(Scenario.Shanghai(1, 19, 30));
            world.Approved = await world.Reviewer.BroadcastApi().ApproveBroadcastAsync(new ApproveBroadcastRequest { BroadcastId = (await world.SubmitAsync(text: "本周直播安排")).Id });
            world.Pending = await world.SubmitAsync(text: "第二条");
            await world.Fan.Inbox.CheckInAsync(new CheckInRequest());
            return world;
        }

        public CreateSessionRequest NewSession(string title = "经济基础第20章考点梳理", string description = "", string requestId = "", string courseId = "") => new()
        {
            Title = title,
            Description = description,
            RequestId = requestId,
            CourseId = courseId,
            PlannedStart = Scenario.Ts(Scenario.Shanghai(3, 19, 30)),
            DurationMinutes = 60,
        };

        public PlanCourseSeriesRequest NewSeries(string suffix) => new()
        {
            CourseId = Course.Id,
            Weekdays = { 1, 3 },
            LocalTime = "19:30",
            StartDate = Scenario.Today.AddDays(7).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            DurationMinutes = 60,
            TitleSuffix = suffix,
            DryRun = false,
        };

        public Task<Broadcast> SubmitAsync(string text = "你好", string? requestId = null, string agreementVersion = FanBroadcastWorld.AgreementVersion) =>
            Creator.BroadcastApi().SubmitBroadcastAsync(new SubmitBroadcastRequest
            {
                RequestId = requestId ?? Guid.NewGuid().ToString("N"),
                Kind = BroadcastKind.Text,
                Text = text,
                AgreedToAgreement = true,
                AgreementVersion = agreementVersion,
            }).ResponseAsync;

        /// <summary>What the refused calls could have changed, as the API shows it.</summary>
        public async Task<string> SnapshotAsync()
        {
            var parts = new List<IMessage>
            {
                await Instructor.Sessions.ListSessionsAsync(new ListSessionsRequest { PageSize = 100 }),
                await Instructor.Courses.ListCoursesAsync(new ListCoursesRequest { PageSize = 100 }),
                await Creator.BroadcastApi().ListMyBroadcastsAsync(new ListMyBroadcastsRequest { PageSize = 100 }),
                await Reviewer.BroadcastApi().ListReportsAsync(new ListReportsRequest { PageSize = 100, IncludeClosed = true }),
                await Fan.Inbox.ListInboxAsync(new ListInboxRequest { PageSize = 100 }),
                await Fan.Follows.ListFollowingAsync(new ListFollowingRequest { PageSize = 100 }),
                await Admin.Admin.ListUsersAsync(new ListUsersRequest { PageSize = 100 }),
            };
            return string.Join('\n', parts.Select(p => p.ToString()));
        }

        public ValueTask DisposeAsync() => App.DisposeAsync();
    }
}
