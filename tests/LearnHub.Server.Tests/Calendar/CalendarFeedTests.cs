using System.Net;
using Google.Protobuf.WellKnownTypes;
using LearnHub.Api.V1;
using LearnHub.Server.Tests.Infrastructure;

namespace LearnHub.Server.Tests.Calendar;

public sealed class CalendarFeedTests
{
    [Fact]
    public async Task Instructor_feed_parses_and_keeps_the_sessions_own_time_zone()
    {
        await using var app = await LearnHubApp.StartAsync();
        var instructor = await app.CreateUserAsync("teacher", "instructor");
        var viewer = await app.CreateUserAsync("student");
        // 2 days ahead at 19:30 New York time (whatever DST says that day).
        var newYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        var localStart = TimeZoneInfo.ConvertTime(app.Clock.GetUtcNow(), newYork).Date.AddDays(2).AddHours(19).AddMinutes(30);
        var start = new DateTimeOffset(localStart, newYork.GetUtcOffset(localStart));
        var session = await instructor.Sessions.CreateSessionAsync(new CreateSessionRequest
        {
            Title = "经济基础第19章考点梳理",
            PlannedStart = Timestamp.FromDateTimeOffset(start),
            DurationMinutes = 90,
            TimeZone = "America/New_York",
            Description = "第19章",
        });
        var key = (await viewer.Identity.GetMyCalendarFeedKeyAsync(new GetMyCalendarFeedKeyRequest())).Key;
        using var web = app.CreateWebClient();

        using var response = await web.GetAsync($"/calendar/instructors/{instructor.Id}.ics?key={key}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/calendar", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("utf-8", response.Content.Headers.ContentType?.CharSet);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("DTSTART;TZID=America/New_York:", text, StringComparison.Ordinal);
        Assert.Contains("BEGIN:VTIMEZONE", text, StringComparison.Ordinal);
        var calendar = Ical.Net.Calendar.Load(text)!;
        Assert.Contains(calendar.TimeZones, z => z.TzId == "America/New_York");
        var ev = Assert.Single(calendar.Events);
        Assert.Equal(session.Id, ev.Uid);
        Assert.Equal("经济基础第19章考点梳理", ev.Summary);
        Assert.Equal("America/New_York", ev.DtStart!.TzId);
        Assert.Equal(localStart, ev.DtStart.Value);
        Assert.Equal(localStart.AddMinutes(90), ev.DtEnd!.Value);
        Assert.Equal(start.UtcDateTime, ev.DtStart.AsUtc);
        Assert.Equal("CONFIRMED", ev.Status);
        Assert.Contains("第19章", ev.Description, StringComparison.Ordinal);
        Assert.EndsWith($"/sessions/{session.Id}", ev.Url!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Course_feed_marks_a_cancelled_session_cancelled()
    {
        await using var app = await LearnHubApp.StartAsync();
        var instructor = await app.CreateUserAsync("teacher", "instructor");
        var course = await instructor.Courses.CreateCourseAsync(new CreateCourseRequest { Title = "经济基础", ChapterTitles = { "第19章" } });
        var session = await instructor.Sessions.CreateSessionAsync(new CreateSessionRequest
        {
            Title = "第19章考点梳理",
            CourseId = course.Id,
            PlannedStart = Timestamp.FromDateTimeOffset(app.Clock.GetUtcNow().AddDays(1)),
            DurationMinutes = 60,
        });
        await instructor.Sessions.CancelSessionAsync(new CancelSessionRequest { SessionId = session.Id, Reason = "讲师生病" });
        var key = (await instructor.Identity.GetMyCalendarFeedKeyAsync(new GetMyCalendarFeedKeyRequest())).Key;
        using var web = app.CreateWebClient();

        var calendar = Ical.Net.Calendar.Load(await web.GetStringAsync($"/calendar/courses/{course.Id}.ics?key={key}"))!;

        var ev = Assert.Single(calendar.Events);
        Assert.Equal(session.Id, ev.Uid);
        Assert.Equal("CANCELLED", ev.Status);
        Assert.Equal("Asia/Shanghai", ev.DtStart!.TzId);
    }

    [Fact]
    public async Task Unknown_or_missing_key_is_not_found()
    {
        await using var app = await LearnHubApp.StartAsync();
        var instructor = await app.CreateUserAsync("teacher", "instructor");
        using var web = app.CreateWebClient();

        using var unknown = await web.GetAsync($"/calendar/instructors/{instructor.Id}.ics?key=0123456789abcdef0123456789abcdef");
        using var missing = await web.GetAsync("/calendar/me.ics");
        using var wrongInstructor = await web.GetAsync(
            $"/calendar/instructors/u_nobody.ics?key={(await instructor.Identity.GetMyCalendarFeedKeyAsync(new GetMyCalendarFeedKeyRequest())).Key}");

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, wrongInstructor.StatusCode);
    }

    [Fact]
    public async Task A_rotated_key_stops_the_old_url_and_the_new_one_works()
    {
        await using var app = await LearnHubApp.StartAsync();
        var viewer = await app.CreateUserAsync("student");
        var oldKey = (await viewer.Identity.GetMyCalendarFeedKeyAsync(new GetMyCalendarFeedKeyRequest())).Key;
        using var web = app.CreateWebClient();
        using (var before = await web.GetAsync($"/calendar/me.ics?key={oldKey}"))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        var newKey = (await viewer.Identity.GetMyCalendarFeedKeyAsync(new GetMyCalendarFeedKeyRequest { Rotate = true })).Key;

        Assert.NotEqual(oldKey, newKey);
        using var old = await web.GetAsync($"/calendar/me.ics?key={oldKey}");
        Assert.Equal(HttpStatusCode.NotFound, old.StatusCode);
        using var fresh = await web.GetAsync($"/calendar/me.ics?key={newKey}");
        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
    }

    [Fact]
    public async Task Reservations_feed_lists_only_the_key_owners_reservations()
    {
        await using var app = await LearnHubApp.StartAsync();
        var instructor = await app.CreateUserAsync("teacher", "instructor");
        var alice = await app.CreateUserAsync("alice");
        var bob = await app.CreateUserAsync("bob");
        var first = await instructor.Sessions.CreateSessionAsync(new CreateSessionRequest
        {
            Title = "第19章", PlannedStart = Timestamp.FromDateTimeOffset(app.Clock.GetUtcNow().AddDays(1)), DurationMinutes = 60,
        });
        var second = await instructor.Sessions.CreateSessionAsync(new CreateSessionRequest
        {
            Title = "第20章", PlannedStart = Timestamp.FromDateTimeOffset(app.Clock.GetUtcNow().AddDays(2)), DurationMinutes = 60,
        });
        await alice.Sessions.ReserveSessionAsync(new ReserveSessionRequest { SessionId = first.Id });
        await bob.Sessions.ReserveSessionAsync(new ReserveSessionRequest { SessionId = second.Id });
        var aliceKey = (await alice.Identity.GetMyCalendarFeedKeyAsync(new GetMyCalendarFeedKeyRequest())).Key;
        using var web = app.CreateWebClient();

        var calendar = Ical.Net.Calendar.Load(await web.GetStringAsync($"/calendar/me.ics?key={aliceKey}"))!;

        var ev = Assert.Single(calendar.Events);
        Assert.Equal(first.Id, ev.Uid);
        Assert.Equal("第19章", ev.Summary);
    }

    [Fact]
    public async Task Feeds_are_rate_limited_per_key()
    {
        await using var app = await LearnHubApp.StartAsync(new Dictionary<string, string?> { ["CalendarFeeds:RequestsPerMinute"] = "2" });
        var viewer = await app.CreateUserAsync("student");
        var key = (await viewer.Identity.GetMyCalendarFeedKeyAsync(new GetMyCalendarFeedKeyRequest())).Key;
        using var web = app.CreateWebClient();

        var codes = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var response = await web.GetAsync($"/calendar/me.ics?key={key}");
            codes.Add(response.StatusCode);
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], codes);
    }
}
