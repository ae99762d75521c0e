using Grpc.Core;
using LearnHub.Api.V1;
using LearnHub.Server.Tests.Infrastructure;
using static LearnHub.Server.Tests.Infrastructure.Scenario;

namespace LearnHub.Server.Tests.Sessions;

public sealed class CreateSessionTests
{
    [Fact]
    public async Task Creates_a_scheduled_session_and_reads_it_back()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var viewer = await app.CreateUserAsync("xiaowang");
        var start = Shanghai(1, 19, 30);

        var created = await instructor.Sessions.CreateSessionAsync(new CreateSessionRequest
        {
            Title = "  经济基础第19章考点梳理 ",
            PlannedStart = Ts(start),
            DurationMinutes = 90,
            Description = "本章重点",
        });

        Assert.StartsWith("s_", created.Id, StringComparison.Ordinal);
        Assert.Equal("经济基础第19章考点梳理", created.Title);
        Assert.Equal(instructor.Id, created.InstructorId);
        Assert.Equal("wanhongcoco", created.InstructorName);
        Assert.Equal(start, created.PlannedStart.ToDateTimeOffset());
        Assert.Equal(start.AddMinutes(90), created.PlannedEnd.ToDateTimeOffset());
        Assert.Equal(90, created.DurationMinutes);
        Assert.Equal("Asia/Shanghai", created.TimeZone);
        Assert.Equal("本章重点", created.Description);
        Assert.Equal(SessionStatus.Scheduled, created.Status);
        Assert.Equal(0, created.ReservationCount);
        Assert.Equal(1, created.Version);
        Assert.Equal(app.Now(), created.CreateTime.ToDateTimeOffset());
        Assert.Null(created.LiveAt);
        Assert.Equal("", created.CourseId);

        var read = await viewer.GetAsync(created.Id);
        Assert.Equal(created, read);
    }

    [Fact]
    public async Task Creates_a_session_for_a_chapter_of_the_instructors_course_in_another_zone()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var course = await instructor.Courses.CreateCourseAsync(new CreateCourseRequest { Title = "经济基础", ChapterTitles = { "第19章", "第20章" } });

        var session = await instructor.ScheduleAsync(Shanghai(3, 19, 30), courseId: course.Id, chapterId: course.Chapters[1].Id, timeZone: "America/New_York");

        Assert.Equal(course.Id, session.CourseId);
        Assert.Equal(course.Chapters[1].Id, session.ChapterId);
        Assert.Equal("America/New_York", session.TimeZone);
    }

    [Fact]
    public async Task A_repeated_request_id_returns_the_session_it_already_created()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var request = new CreateSessionRequest
        {
            Title = "经济基础第19章考点梳理",
            PlannedStart = Ts(Shanghai(1, 19, 30)),
            DurationMinutes = 90,
            RequestId = "retry-7f3a",
        };

        var first = await instructor.Sessions.CreateSessionAsync(request);
        var retried = await instructor.Sessions.CreateSessionAsync(request);

        Assert.Equal(first.Id, retried.Id);
        Assert.Single(await instructor.AllSessionsAsync());

        // A different request id is a different session (here: refused as an overlap, which proves it was not deduplicated).
        var other = await Refusal.AssertAsync(StatusCode.FailedPrecondition, "planned_start",
            async () => await instructor.Sessions.CreateSessionAsync(new CreateSessionRequest(request) { RequestId = "retry-8b1c" }));
        Assert.Equal(first.Id, other.ConflictingSessionId());
    }

    [Fact]
    public async Task A_retry_with_the_same_request_id_returns_the_session_even_after_it_went_live()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var request = new CreateSessionRequest
        {
            Title = "经济基础阶段测试2试题讲解", PlannedStart = Ts(app.Now().AddMinutes(1)), DurationMinutes = 60, RequestId = "slow-network-1",
        };
        var created = await instructor.Sessions.CreateSessionAsync(request);
        await app.AdvanceAsync(TimeSpan.FromMinutes(2));

        var retried = await instructor.Sessions.CreateSessionAsync(request);

        Assert.Equal(created.Id, retried.Id);
        Assert.Equal(SessionStatus.Live, retried.Status);
        Assert.Single(await instructor.AllSessionsAsync());
    }

    [Fact]
    public async Task Lists_by_start_filtered_by_instructor_course_status_and_time_range()
    {
        await using var app = await Scenario.StartAsync();
        var wan = await app.CreateUserAsync("wanhongcoco", "instructor");
        var li = await app.CreateUserAsync("li", "instructor");
        var course = await wan.Courses.CreateCourseAsync(new CreateCourseRequest { Title = "经济基础", ChapterTitles = { "第19章" } });

        var wanLater = await wan.ScheduleAsync(Shanghai(3, 19, 30), courseId: course.Id);
        var wanSoon = await wan.ScheduleAsync(Scenario.Start.AddMinutes(20), minutes: 30, title: "阶段测试讲解");
        var wanCancelled = await wan.ScheduleAsync(Shanghai(2, 19, 30), title: "取消的直播");
        await wan.Sessions.CancelSessionAsync(new CancelSessionRequest { SessionId = wanCancelled.Id });
        var liSession = await li.ScheduleAsync(Shanghai(1, 19, 30), title: "人力资源第1章");
        await wan.Sessions.GoLiveAsync(new GoLiveRequest { SessionId = wanSoon.Id }); // 20 minutes early

        async Task<string[]> Ids(ListSessionsRequest request) =>
            (await li.Sessions.ListSessionsAsync(request)).Sessions.Select(s => s.Id).ToArray();

        Assert.Equal([wanSoon.Id, liSession.Id, wanCancelled.Id, wanLater.Id], await Ids(new ListSessionsRequest()));
        Assert.Equal([wanSoon.Id, wanCancelled.Id, wanLater.Id], await Ids(new ListSessionsRequest { InstructorId = wan.Id }));
        Assert.Equal([liSession.Id], await Ids(new ListSessionsRequest { InstructorId = li.Id }));
        Assert.Equal([wanLater.Id], await Ids(new ListSessionsRequest { CourseId = course.Id }));
        Assert.Equal([wanSoon.Id], await Ids(new ListSessionsRequest { Statuses = { SessionStatus.Live } }));
        Assert.Equal([liSession.Id, wanCancelled.Id], await Ids(new ListSessionsRequest { Statuses = { SessionStatus.Scheduled, SessionStatus.Cancelled }, StartFrom = Ts(Shanghai(1, 0, 0)), StartBefore = Ts(Shanghai(3, 0, 0)) }));
        Assert.Equal([liSession.Id, wanCancelled.Id, wanLater.Id], await Ids(new ListSessionsRequest { StartFrom = Ts(Shanghai(1, 19, 30)) }));
        Assert.Equal([wanSoon.Id, liSession.Id], await Ids(new ListSessionsRequest { StartBefore = Ts(Shanghai(2, 19, 30)) }));
        Assert.Empty(await Ids(new ListSessionsRequest { InstructorId = li.Id, Statuses = { SessionStatus.Ended } }));

        await Refusal.AssertAsync(StatusCode.InvalidArgument, "start_before",
            async () => await li.Sessions.ListSessionsAsync(new ListSessionsRequest { StartFrom = Ts(Shanghai(2, 0, 0)), StartBefore = Ts(Shanghai(1, 0, 0)) }));
        await Refusal.AssertAsync(StatusCode.InvalidArgument, "statuses",
            async () => await li.Sessions.ListSessionsAsync(new ListSessionsRequest { Statuses = { SessionStatus.Unspecified } }));
    }

    [Fact]
    public async Task Pages_through_every_session_once_in_start_order()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var other = await app.CreateUserAsync("li", "instructor");
        var created = new List<Session>();
        for (var day = 1; day <= 5; day++)
        {
            created.Add(await instructor.ScheduleAsync(Shanghai(day, 19, 30), title: $"第{day}讲"));
        }
        // Same starts as two of the above: ties are broken by id, and paging must not skip or repeat them.
        created.Add(await other.ScheduleAsync(Shanghai(1, 19, 30), title: "同时开讲一"));
        created.Add(await other.ScheduleAsync(Shanghai(3, 19, 30), title: "同时开讲二"));
        var expected = created.OrderBy(s => s.PlannedStart).ThenBy(s => s.Id, StringComparer.Ordinal).Select(s => s.Id).ToList();

        var seen = new List<string>();
        var pages = 0;
        var request = new ListSessionsRequest { PageSize = 2 };
        do
        {
            var page = await instructor.Sessions.ListSessionsAsync(request);
            pages++;
            Assert.True(page.Sessions.Count <= 2);
            seen.AddRange(page.Sessions.Select(s => s.Id));
            request.PageToken = page.NextPageToken;
        }
        while (request.PageToken.Length > 0 && pages < 10);

        Assert.Equal(4, pages);
        Assert.Equal(expected, seen);

        await Refusal.AssertAsync(StatusCode.InvalidArgument, "page_token",
            async () => await instructor.Sessions.ListSessionsAsync(new ListSessionsRequest { PageToken = "not-a-token" }));
        await Refusal.AssertAsync(StatusCode.InvalidArgument, "page_size",
            async () => await instructor.Sessions.ListSessionsAsync(new ListSessionsRequest { PageSize = 101 }));
    }

    public static TheoryData<string> BadInputs() =>
    [
        "empty title", "blank title", "101-character title", "start in the past", "start now", "no start",
        "duration 0", "duration 4", "duration 13 h", "unknown time zone", "Windows time zone",
        "2001-character description", "65-character request id",
    ];

    [Theory]
    [MemberData(nameof(BadInputs))]
    public async Task Bad_input_is_refused_with_the_field_named_and_nothing_created(string badInput)
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var request = new CreateSessionRequest { Title = "经济基础第19章考点梳理", PlannedStart = Ts(Shanghai(1, 19, 30)), DurationMinutes = 90 };
        var field = badInput switch
        {
            "empty title" => Refusal.Spoil("title", () => request.Title = ""),
            "blank title" => Refusal.Spoil("title", () => request.Title = "   "),
            "101-character title" => Refusal.Spoil("title", () => request.Title = string.Concat(Enumerable.Repeat("经", 100)) + "😀"),
            "start in the past" => Refusal.Spoil("planned_start", () => request.PlannedStart = Ts(app.Now().AddMinutes(-1))),
            "start now" => Refusal.Spoil("planned_start", () => request.PlannedStart = Ts(app.Now())),
            "no start" => Refusal.Spoil("planned_start", () => request.PlannedStart = null),
            "duration 0" => Refusal.Spoil("duration_minutes", () => request.DurationMinutes = 0),
            "duration 4" => Refusal.Spoil("duration_minutes", () => request.DurationMinutes = 4),
            "duration 13 h" => Refusal.Spoil("duration_minutes", () => request.DurationMinutes = 780),
            "unknown time zone" => Refusal.Spoil("time_zone", () => request.TimeZone = "Asia/Beijing"),
            "Windows time zone" => Refusal.Spoil("time_zone", () => request.TimeZone = "China Standard Time"),
            "2001-character description" => Refusal.Spoil("description", () => request.Description = new string('说', 2001)),
            "65-character request id" => Refusal.Spoil("request_id", () => request.RequestId = new string('r', 65)),
            _ => throw new ArgumentOutOfRangeException(nameof(badInput)),
        };

        await Refusal.AssertAsync(StatusCode.InvalidArgument, field, async () => await instructor.Sessions.CreateSessionAsync(request));

        Assert.Empty(await instructor.AllSessionsAsync());
    }

    [Fact]
    public async Task The_limits_themselves_are_accepted()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");

        var longest = await instructor.ScheduleAsync(app.Now().AddMinutes(1), minutes: 720, title: string.Concat(Enumerable.Repeat("经", 99)) + "👨‍👩‍👧‍👦");
        var shortest = await instructor.ScheduleAsync(longest.PlannedEnd.ToDateTimeOffset(), minutes: 5, title: "经");

        Assert.Equal(720, longest.DurationMinutes);
        Assert.Equal(5, shortest.DurationMinutes);
        Assert.Equal(2, (await instructor.AllSessionsAsync()).Count);
    }

    [Fact]
    public async Task Several_bad_fields_are_all_named_at_once()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");

        var refusal = await Refusal.AssertAsync(StatusCode.InvalidArgument, "title", async () => await instructor.Sessions.CreateSessionAsync(
            new CreateSessionRequest { Title = "", PlannedStart = Ts(app.Now().AddHours(-1)), DurationMinutes = 0, TimeZone = "Nowhere/Land" }));

        var fields = refusal.GetRpcStatus()!.GetDetail<Google.Rpc.BadRequest>()!.FieldViolations.Select(v => v.Field);
        Assert.Equal(["title", "planned_start", "duration_minutes", "time_zone"], fields);
        Assert.Empty(await instructor.AllSessionsAsync());
    }

    [Fact]
    public async Task Unknown_course_chapter_or_session_is_not_found_and_nothing_is_created()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var course = await instructor.Courses.CreateCourseAsync(new CreateCourseRequest { Title = "经济基础", ChapterTitles = { "第19章" } });
        var start = Shanghai(1, 19, 30);

        await Refusal.AssertAsync(StatusCode.NotFound, "course_id", async () => await instructor.ScheduleAsync(start, courseId: "c_missing"));
        await Refusal.AssertAsync(StatusCode.NotFound, "chapter_id", async () => await instructor.ScheduleAsync(start, courseId: course.Id, chapterId: "ch_missing"));
        await Refusal.AssertAsync(StatusCode.InvalidArgument, "chapter_id", async () => await instructor.ScheduleAsync(start, chapterId: course.Chapters[0].Id));
        await Refusal.AssertAsync(StatusCode.NotFound, "session_id", async () => await instructor.GetAsync("s_missing"));

        Assert.Empty(await instructor.AllSessionsAsync());
    }

    [Fact]
    public async Task Another_instructors_course_is_refused_and_nothing_is_created()
    {
        await using var app = await Scenario.StartAsync();
        var wan = await app.CreateUserAsync("wanhongcoco", "instructor");
        var li = await app.CreateUserAsync("li", "instructor");
        var wansCourse = await wan.Courses.CreateCourseAsync(new CreateCourseRequest { Title = "经济基础", ChapterTitles = { "第19章" } });

        await Refusal.AssertAsync(StatusCode.PermissionDenied, "course_id", async () => await li.ScheduleAsync(Shanghai(1, 19, 30), courseId: wansCourse.Id));

        Assert.Empty(await li.AllSessionsAsync());
    }

    [Fact]
    public async Task An_overlapping_session_is_refused_naming_the_other_and_back_to_back_is_allowed()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var other = await app.CreateUserAsync("li", "instructor");
        var existing = await instructor.ScheduleAsync(Shanghai(1, 19, 30), minutes: 90); // 19:30–21:00

        foreach (var (start, minutes) in new[] { (Shanghai(1, 20, 59), 30), (Shanghai(1, 19, 0), 31), (Shanghai(1, 19, 0), 180), (Shanghai(1, 20, 0), 10) })
        {
            var before = await instructor.AllSessionsAsync();
            var refusal = await Refusal.AssertAsync(StatusCode.FailedPrecondition, "planned_start", async () => await instructor.ScheduleAsync(start, minutes, title: "重叠"));
            Assert.Equal(existing.Id, refusal.ConflictingSessionId());
            // Named once, by title and time; its id only in the details.
            Assert.DoesNotContain(existing.Id, refusal.Status.Detail, StringComparison.Ordinal);
            Assert.Matches($@"^与已安排的直播《{existing.Title}》（\d{{4}}-\d\d-\d\d 19:30–21:00 Asia/Shanghai）时间冲突。$", refusal.Status.Detail);
            Assert.Equal(before, await instructor.AllSessionsAsync());
        }

        // Half-open [start, end): ending as the other starts, or starting as it ends, is no overlap.
        var before1930 = await instructor.ScheduleAsync(Shanghai(1, 19, 0), minutes: 30, title: "课前答疑");
        var after2100 = await instructor.ScheduleAsync(Shanghai(1, 21, 0), minutes: 30, title: "课后答疑");
        // Another instructor's sessions never conflict with this one's.
        var othersSame = await other.ScheduleAsync(Shanghai(1, 19, 30), minutes: 90);

        var mine = await instructor.Sessions.ListSessionsAsync(new ListSessionsRequest { InstructorId = instructor.Id });
        Assert.Equal([before1930.Id, existing.Id, after2100.Id], mine.Sessions.Select(s => s.Id).ToArray());
        Assert.Equal(SessionStatus.Scheduled, othersSame.Status);
    }
}
