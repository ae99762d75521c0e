using System.Globalization;
using Grpc.Core;
using LearnHub.Api.V1;
using LearnHub.Server.Tests.Infrastructure;
using static LearnHub.Server.Tests.Infrastructure.Scenario;

namespace LearnHub.Server.Tests.Sessions;

public sealed class CourseSeriesTests
{
    /// <summary>The first Monday after the day the tests start on (1 to 7 days ahead).</summary>
    private static readonly DateOnly Monday = Today.AddDays(((int)DayOfWeek.Monday - (int)Today.DayOfWeek + 6) % 7 + 1);

    private static string Iso(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static DateTimeOffset At1930(DateOnly date) => new(date.ToDateTime(new TimeOnly(19, 30)), TimeSpan.FromHours(8));

    private static async Task<(TestUser Instructor, Course Course)> CourseAsync(LearnHubApp app, int chapters)
    {
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var course = await instructor.Courses.CreateCourseAsync(new CreateCourseRequest
        {
            Title = "经济基础",
            ChapterTitles = { Enumerable.Range(1, chapters).Select(i => $"第{i}章") },
        });
        return (instructor, course);
    }

    private static PlanCourseSeriesRequest TuesdaysAndThursdays(Course course, bool dryRun) => new()
    {
        CourseId = course.Id,
        Weekdays = { 2, 4 },
        LocalTime = "19:30",
        StartDate = Iso(Monday),
        DurationMinutes = 90,
        Holidays = { Iso(Monday.AddDays(3)) },
        TitleSuffix = "考点梳理",
        DryRun = dryRun,
    };

    [Fact]
    public async Task A_dry_run_returns_every_date_skipping_holidays_marking_conflicts_and_writes_nothing()
    {
        await using var app = await Scenario.StartAsync();
        var (instructor, course) = await CourseAsync(app, 5);
        var existing = await instructor.ScheduleAsync(At1930(Monday.AddDays(10)).AddMinutes(30), minutes: 30, title: "答疑");
        var before = await instructor.AllSessionsAsync();

        var plan = await instructor.Sessions.PlanCourseSeriesAsync(TuesdaysAndThursdays(course, dryRun: true));

        // Tuesday and Thursday of each week; the first Thursday is a holiday.
        var dates = new[] { 1, 8, 10, 15, 17 }.Select(d => Monday.AddDays(d)).ToArray();
        Assert.Equal(dates.Select(d => $"{Iso(d)} 19:30"), plan.Planned.Select(p => p.LocalStart));
        Assert.Equal(dates.Select(At1930), plan.Planned.Select(p => p.PlannedStart.ToDateTimeOffset()));
        Assert.Equal(dates.Select(d => At1930(d).AddMinutes(90)), plan.Planned.Select(p => p.PlannedEnd.ToDateTimeOffset()));
        Assert.Equal(course.Chapters.Select(c => c.Id), plan.Planned.Select(p => p.ChapterId));
        Assert.Equal(Enumerable.Range(1, 5).Select(i => $"经济基础第{i}章考点梳理"), plan.Planned.Select(p => p.Title));
        Assert.Equal(["", "", existing.Id, "", ""], plan.Planned.Select(p => p.ConflictingSessionId));
        Assert.Equal("答疑", plan.Planned[2].ConflictingSessionTitle);
        Assert.Empty(plan.Sessions);

        Assert.Equal(before, await instructor.AllSessionsAsync());
    }

    [Fact]
    public async Task Committing_creates_every_session_of_the_series()
    {
        await using var app = await Scenario.StartAsync();
        var (instructor, course) = await CourseAsync(app, 5);

        var plan = await instructor.Sessions.PlanCourseSeriesAsync(TuesdaysAndThursdays(course, dryRun: false));

        Assert.Equal(5, plan.Sessions.Count);
        Assert.Equal(plan.Planned.Select(p => p.PlannedStart), plan.Sessions.Select(s => s.PlannedStart));
        Assert.Equal(plan.Planned.Select(p => p.Title), plan.Sessions.Select(s => s.Title));
        Assert.All(plan.Sessions, s =>
        {
            Assert.Equal(SessionStatus.Scheduled, s.Status);
            Assert.Equal(course.Id, s.CourseId);
            Assert.Equal(90, s.DurationMinutes);
            Assert.Equal("Asia/Shanghai", s.TimeZone);
            Assert.Equal(instructor.Id, s.InstructorId);
        });
        var listed = await instructor.Sessions.ListSessionsAsync(new ListSessionsRequest { CourseId = course.Id });
        Assert.Equal(plan.Sessions, listed.Sessions);
        Assert.Equal(course.Chapters.Select(c => c.Id), listed.Sessions.Select(s => s.ChapterId));

        // The series' sessions are real sessions: the first goes live at its start.
        await app.AdvanceToAsync(At1930(Monday.AddDays(1)));
        Assert.Equal(SessionStatus.Live, (await instructor.GetAsync(plan.Sessions[0].Id)).Status);
    }

    [Fact]
    public async Task A_series_whose_tenth_date_conflicts_is_refused_whole_naming_the_session_and_nothing_is_written()
    {
        await using var app = await Scenario.StartAsync();
        var (instructor, course) = await CourseAsync(app, 10);
        var tenthDate = Monday.AddDays(11); // Monday to Friday: the tenth date is the second Friday
        var existing = await instructor.ScheduleAsync(At1930(tenthDate).AddMinutes(-30), minutes: 60, title: "周五加课");
        var request = new PlanCourseSeriesRequest
        {
            CourseId = course.Id, Weekdays = { 1, 2, 3, 4, 5 }, LocalTime = "19:30", StartDate = Iso(Monday), DurationMinutes = 90,
        };
        var before = await instructor.AllSessionsAsync();

        var dryRun = await instructor.Sessions.PlanCourseSeriesAsync(new PlanCourseSeriesRequest(request) { DryRun = true });
        Assert.Equal(10, dryRun.Planned.Count);
        Assert.Equal($"{Iso(tenthDate)} 19:30", dryRun.Planned[9].LocalStart);
        Assert.Equal([.. Enumerable.Repeat("", 9), existing.Id], dryRun.Planned.Select(p => p.ConflictingSessionId));

        var refusal = await Refusal.AssertAsync(StatusCode.FailedPrecondition, "start_date", async () => await instructor.Sessions.PlanCourseSeriesAsync(request));
        Assert.Equal(existing.Id, refusal.ConflictingSessionId());
        Assert.DoesNotContain(existing.Id, refusal.Status.Detail, StringComparison.Ordinal);
        Assert.Contains($"系列中 {Iso(tenthDate)} 的一次与已安排的直播《{existing.Title}》", refusal.Status.Detail, StringComparison.Ordinal);

        Assert.Equal(before, await instructor.AllSessionsAsync());
        Assert.Empty((await instructor.Sessions.ListSessionsAsync(new ListSessionsRequest { CourseId = course.Id })).Sessions);
    }

    [Fact]
    public async Task Iso_weekday_7_is_Sunday_and_a_series_can_start_from_a_later_chapter()
    {
        await using var app = await Scenario.StartAsync();
        var (instructor, course) = await CourseAsync(app, 5);

        var plan = await instructor.Sessions.PlanCourseSeriesAsync(new PlanCourseSeriesRequest
        {
            CourseId = course.Id, Weekdays = { 7 }, LocalTime = "09:00", StartDate = Iso(Monday), DurationMinutes = 60,
            FromChapterId = course.Chapters[2].Id, DryRun = true,
        });

        Assert.Equal(course.Chapters.Skip(2).Select(c => c.Id), plan.Planned.Select(p => p.ChapterId));
        Assert.Equal(new[] { 6, 13, 20 }.Select(d => $"{Iso(Monday.AddDays(d))} 09:00"), plan.Planned.Select(p => p.LocalStart));
        Assert.All(plan.Planned, p => Assert.Equal(DayOfWeek.Sunday, DateOnly.ParseExact(p.LocalStart[..10], "yyyy-MM-dd", CultureInfo.InvariantCulture).DayOfWeek));
        Assert.Equal("经济基础第3章", plan.Planned[0].Title);
    }

    /// <summary>The first Sunday more than a week after <see cref="Today"/> on which <paramref name="wallTime"/> in New York matches <paramref name="isTransition"/>.</summary>
    private static DateOnly NextNewYorkSunday(TimeOnly wallTime, Func<TimeZoneInfo, DateTime, bool> isTransition)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        var date = Today.AddDays(8); // so that the Sunday a week before is still in the future
        while (date.DayOfWeek != DayOfWeek.Sunday || !isTransition(zone, date.ToDateTime(wallTime)))
        {
            date = date.AddDays(1);
        }
        return date;
    }

    [Fact]
    public async Task In_a_DST_zone_a_time_in_the_spring_gap_moves_forward_and_an_ambiguous_time_takes_the_first_occurrence()
    {
        await using var app = await Scenario.StartAsync();
        var (instructor, course) = await CourseAsync(app, 2);
        var springForward = NextNewYorkSunday(new TimeOnly(2, 30), (zone, local) => zone.IsInvalidTime(local));
        var fallBack = NextNewYorkSunday(new TimeOnly(1, 30), (zone, local) => zone.IsAmbiguousTime(local));

        PlanCourseSeriesRequest Sundays(DateOnly from, string at) => new()
        {
            CourseId = course.Id, Weekdays = { 7 }, LocalTime = at, StartDate = Iso(from), TimeZone = "America/New_York",
            DurationMinutes = 60, DryRun = true,
        };
        var spring = await instructor.Sessions.PlanCourseSeriesAsync(Sundays(springForward.AddDays(-7), "02:30"));
        var autumn = await instructor.Sessions.PlanCourseSeriesAsync(Sundays(fallBack, "01:30"));

        // 02:30 does not exist on the spring-forward Sunday: the session starts at 03:30 EDT (07:30 UTC), and says so.
        Assert.Equal([$"{Iso(springForward.AddDays(-7))} 02:30", $"{Iso(springForward)} 03:30"], spring.Planned.Select(p => p.LocalStart));
        Assert.Equal(
            [new DateTimeOffset(springForward.AddDays(-7).ToDateTime(new TimeOnly(7, 30)), TimeSpan.Zero), new DateTimeOffset(springForward.ToDateTime(new TimeOnly(7, 30)), TimeSpan.Zero)],
            spring.Planned.Select(p => p.PlannedStart.ToDateTimeOffset()));
        // 01:30 happens twice on the fall-back Sunday: the first one, still EDT (05:30 UTC); a week later EST (06:30 UTC).
        Assert.Equal([$"{Iso(fallBack)} 01:30", $"{Iso(fallBack.AddDays(7))} 01:30"], autumn.Planned.Select(p => p.LocalStart));
        Assert.Equal(
            [new DateTimeOffset(fallBack.ToDateTime(new TimeOnly(5, 30)), TimeSpan.Zero), new DateTimeOffset(fallBack.AddDays(7).ToDateTime(new TimeOnly(6, 30)), TimeSpan.Zero)],
            autumn.Planned.Select(p => p.PlannedStart.ToDateTimeOffset()));
    }

    public static TheoryData<string> BadSeries() =>
    [
        "no weekday", "weekday 0", "weekday 8", "repeated weekday", "bad local time", "bad start date", "bad holiday",
        "unknown time zone", "duration 0", "duration 13 h", "first date in the past", "101-character title",
    ];

    [Theory]
    [MemberData(nameof(BadSeries))]
    public async Task Bad_input_is_refused_with_the_field_named_and_nothing_written(string badInput)
    {
        await using var app = await Scenario.StartAsync();
        var (instructor, course) = await CourseAsync(app, 3);
        var request = TuesdaysAndThursdays(course, dryRun: false);
        var field = badInput switch
        {
            "no weekday" => Refusal.Spoil("weekdays", () => request.Weekdays.Clear()),
            "weekday 0" => Refusal.Spoil("weekdays", () => request.Weekdays.Add(0)),
            "weekday 8" => Refusal.Spoil("weekdays", () => request.Weekdays.Add(8)),
            "repeated weekday" => Refusal.Spoil("weekdays", () => request.Weekdays.Add(2)),
            "bad local time" => Refusal.Spoil("local_time", () => request.LocalTime = "25:00"),
            "bad start date" => Refusal.Spoil("start_date", () => request.StartDate = "2027/05/04"),
            "bad holiday" => Refusal.Spoil("holidays[1]", () => request.Holidays.Add("next friday")),
            "unknown time zone" => Refusal.Spoil("time_zone", () => request.TimeZone = "Asia/Beijing"),
            "duration 0" => Refusal.Spoil("duration_minutes", () => request.DurationMinutes = 0),
            "duration 13 h" => Refusal.Spoil("duration_minutes", () => request.DurationMinutes = 780),
            "first date in the past" => Refusal.Spoil("start_date", () => request.StartDate = Iso(Today.AddDays(-7))),
            "101-character title" => Refusal.Spoil("title_suffix", () => request.TitleSuffix = new string('讲', 100)),
            _ => throw new ArgumentOutOfRangeException(nameof(badInput)),
        };

        await Refusal.AssertAsync(StatusCode.InvalidArgument, field, async () => await instructor.Sessions.PlanCourseSeriesAsync(request));

        Assert.Empty(await instructor.AllSessionsAsync());
    }

    [Fact]
    public async Task Unknown_ids_and_another_instructors_course_are_refused_and_nothing_written()
    {
        await using var app = await Scenario.StartAsync();
        var (wan, course) = await CourseAsync(app, 3);
        var li = await app.CreateUserAsync("li", "instructor");

        await Refusal.AssertAsync(StatusCode.NotFound, "course_id", async () => await wan.Sessions.PlanCourseSeriesAsync(
            new PlanCourseSeriesRequest(TuesdaysAndThursdays(course, dryRun: false)) { CourseId = "c_missing" }));
        await Refusal.AssertAsync(StatusCode.NotFound, "from_chapter_id", async () => await wan.Sessions.PlanCourseSeriesAsync(
            new PlanCourseSeriesRequest(TuesdaysAndThursdays(course, dryRun: false)) { FromChapterId = "ch_missing" }));
        await Refusal.AssertAsync(StatusCode.PermissionDenied, "course_id", async () => await li.Sessions.PlanCourseSeriesAsync(TuesdaysAndThursdays(course, dryRun: false)));
        await Refusal.AssertAsync(StatusCode.PermissionDenied, "course_id", async () => await li.Sessions.PlanCourseSeriesAsync(TuesdaysAndThursdays(course, dryRun: true)));

        Assert.Empty(await wan.AllSessionsAsync());
    }
}
