using System.Net;
using System.Text;
using Dapper;
using Google.Protobuf.WellKnownTypes;
using LearnHub.Api.V1;
using LearnHub.Server.Calendar;
using LearnHub.Server.Data;
using LearnHub.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace LearnHub.Server.Tests.Calendar;

/// <summary>
/// What a hostile client or hostile stored text can do to the .ics feeds: guess keys by the thousand, send another
/// Host header, or have sessions whose text carries control characters or runs long. None of it gets through.
/// </summary>
public sealed class CalendarFeedHardeningTests
{
    [Fact]
    public async Task Two_thousand_guessed_keys_from_one_address_meet_429_with_retry_after_and_others_are_served()
    {
        await using var app = await LearnHubApp.StartAsync();
        var viewer = await app.CreateUserAsync("student");
        var key = (await viewer.Identity.GetMyCalendarFeedKeyAsync(new GetMyCalendarFeedKeyRequest())).Key;
        using var guesser = ClientFrom(app, "203.0.113.7");
        var perAddress = new CalendarFeedOptions().RequestsPerMinutePerAddress;

        var codes = new List<HttpStatusCode>();
        string? retryAfter = null;
        for (var i = 0; i < 2000; i++)
        {
            using var response = await guesser.GetAsync($"/calendar/me.ics?key={Guid.NewGuid():N}");
            codes.Add(response.StatusCode);
            retryAfter ??= response.StatusCode == HttpStatusCode.TooManyRequests ? response.Headers.RetryAfter?.ToString() : null;
        }

        // Each key is new, so only the per-address bucket can stop them; the wall clock may refill a token or two meanwhile.
        Assert.InRange(codes.Count(c => c == HttpStatusCode.NotFound), perAddress, perAddress + 10);
        Assert.Equal(2000, codes.Count(c => c is HttpStatusCode.NotFound or HttpStatusCode.TooManyRequests));
        Assert.All(codes.Take(perAddress), c => Assert.Equal(HttpStatusCode.NotFound, c));
        Assert.NotNull(retryAfter);
        Assert.InRange(int.Parse(retryAfter, System.Globalization.CultureInfo.InvariantCulture), 1, 60);
        // The right key from the guesser's address is refused too; from its owner's address it is served.
        using (var fromGuesser = await guesser.GetAsync($"/calendar/me.ics?key={key}"))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, fromGuesser.StatusCode);
        }
        using var owner = ClientFrom(app, "198.51.100.2");
        using var served = await owner.GetAsync($"/calendar/me.ics?key={key}");
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }

    [Fact]
    public async Task An_ipv6_client_is_limited_by_its_64_block_not_each_address()
    {
        await using var app = await LearnHubApp.StartAsync(new Dictionary<string, string?> { ["CalendarFeeds:RequestsPerMinutePerAddress"] = "3" });
        var codes = new List<HttpStatusCode>();
        for (var i = 1; i <= 5; i++)
        {
            using var client = ClientFrom(app, $"2001:db8:1:2::{i:x}");
            using var response = await client.GetAsync($"/calendar/me.ics?key={Guid.NewGuid():N}");
            codes.Add(response.StatusCode);
        }
        using var neighbour = ClientFrom(app, "2001:db8:1:3::1");
        using var other = await neighbour.GetAsync($"/calendar/me.ics?key={Guid.NewGuid():N}");

        Assert.Equal([HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], codes);
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
    }

    [Fact]
    public async Task Event_links_use_the_configured_public_base_url_never_the_host_header()
    {
        await using var app = await LearnHubApp.StartAsync(new Dictionary<string, string?> { ["Web:PublicBaseUrl"] = "https://learn.example.com/" });
        var (instructor, session) = await InstructorWithSessionAsync(app);
        var key = (await instructor.Identity.GetMyCalendarFeedKeyAsync(new GetMyCalendarFeedKeyRequest())).Key;
        using var web = app.CreateWebClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/calendar/instructors/{instructor.Id}.ics?key={key}");
        request.Headers.Host = "evil.example";

        using var response = await web.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("evil.example", text, StringComparison.Ordinal);
        var ev = Assert.Single(Ical.Net.Calendar.Load(text)!.Events);
        Assert.Equal($"https://learn.example.com/sessions/{session.Id}", ev.Url!.ToString());
    }

    [Fact]
    public async Task Without_a_setting_links_use_the_web_endpoints_own_url()
    {
        await using var app = await LearnHubApp.StartAsync(new Dictionary<string, string?> { ["Kestrel:Endpoints:Web:Url"] = "http://0.0.0.0:6081" });
        var (instructor, session) = await InstructorWithSessionAsync(app);
        var key = (await instructor.Identity.GetMyCalendarFeedKeyAsync(new GetMyCalendarFeedKeyRequest())).Key;
        using var web = app.CreateWebClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/calendar/instructors/{instructor.Id}.ics?key={key}");
        request.Headers.Host = "evil.example";

        var text = await (await web.SendAsync(request)).Content.ReadAsStringAsync();

        Assert.Equal($"http://127.0.0.1:6081/sessions/{session.Id}", Assert.Single(Ical.Net.Calendar.Load(text)!.Events).Url!.ToString());
    }

    [Theory]
    [InlineData("ftp://learn.example.com", false)]
    [InlineData("learn.example.com", false)]
    [InlineData("/learn", false)]
    [InlineData("https://learn.example.com/?x=1", false)]
    [InlineData("https://learn.example.com/#top", false)]
    [InlineData("https://user:pw@learn.example.com", false)]
    [InlineData("https://learn.example.com", true)]
    [InlineData("http://10.0.0.5:5081/learnhub", true)]
    public void A_public_base_url_is_an_absolute_http_url_without_credentials_query_or_fragment(string value, bool valid) =>
        Assert.Equal(valid, PublicWebOptions.IsValid(value));

    [Fact]
    public async Task A_bad_public_base_url_stops_the_start_and_names_the_setting()
    {
        await using var server = Interop.ServerChildProcess.Prepare();

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => server.StartAsync("--Web:PublicBaseUrl=learn.example.com"));

        Assert.Contains("exited with", refused.Message, StringComparison.Ordinal);
        Assert.Contains("Web:PublicBaseUrl must be an absolute http:// or https:// URL", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Control_characters_in_stored_text_never_reach_the_feed_raw()
    {
        await using var app = await LearnHubApp.StartAsync();
        var (instructor, session) = await InstructorWithSessionAsync(app);
        // Whatever the API lets in now, rows may hold such text (written before a rule existed, or by SQL). PostgreSQL
        // cannot store a NUL in text at all; SQLite can.
        var nul = TestStore.IsPostgres ? "\u0001" : "\u0000";
        await StoreAsync(app, session.Id,
            title: $"经济基础{nul}第19章\r\nEND:VEVENT\r\nBEGIN:VEVENT\u001b[31m",
            description: "第一行\n第二行\u0007;逗号,反斜杠\\\u0085下一段");
        var key = (await instructor.Identity.GetMyCalendarFeedKeyAsync(new GetMyCalendarFeedKeyRequest())).Key;
        using var web = app.CreateWebClient();

        var bytes = await web.GetByteArrayAsync($"/calendar/instructors/{instructor.Id}.ics?key={key}");
        var text = Encoding.UTF8.GetString(bytes);

        // Only the line endings iCalendar itself writes, and no other control character at all.
        Assert.DoesNotContain(text.Replace("\r\n", "", StringComparison.Ordinal).ToCharArray(), c => char.IsControl(c) && c != '\t');
        // The forged lines stayed inside the summary: one event.
        var lines = text.Split("\r\n");
        Assert.Single(lines, line => line == "BEGIN:VEVENT");
        Assert.Single(lines, line => line == "END:VEVENT");
        var ev = Assert.Single(Ical.Net.Calendar.Load(text)!.Events);
        Assert.Equal("经济基础第19章 END:VEVENT BEGIN:VEVENT[31m", ev.Summary);
        Assert.EndsWith("第一行\n第二行;逗号,反斜杠\\\n下一段", ev.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_feed_is_bounded_in_events_and_bytes()
    {
        await using var app = await LearnHubApp.StartAsync(new Dictionary<string, string?> { ["CalendarFeeds:MaxEvents"] = "3" });
        var instructor = await app.CreateUserAsync("teacher", "instructor");
        var start = app.Clock.GetUtcNow().AddHours(1);
        var sessions = new List<Session>();
        for (var day = 1; day <= 5; day++)
        {
            sessions.Add(await instructor.Sessions.CreateSessionAsync(new CreateSessionRequest
            {
                Title = $"第{day}讲", PlannedStart = Timestamp.FromDateTimeOffset(start.AddDays(day)), DurationMinutes = 60,
            }));
        }
        // The longest text a row could hold: a title of one character with 100,000 combining marks, a long description.
        await StoreAsync(app, sessions[0].Id, title: "a" + new string('\u0301', 100_000), description: new string('讲', 10_000));
        var key = (await instructor.Identity.GetMyCalendarFeedKeyAsync(new GetMyCalendarFeedKeyRequest())).Key;
        using var web = app.CreateWebClient();
        var feed = $"/calendar/instructors/{instructor.Id}.ics?key={key}";

        // Ahead: the soonest ones.
        var ahead = await web.GetByteArrayAsync(feed);
        var upcoming = Ical.Net.Calendar.Load(Encoding.UTF8.GetString(ahead))!.Events;
        Assert.Equal(Ids(sessions.Take(3)), Uids(upcoming));
        var first = upcoming.Single(e => e.Uid == sessions[0].Id);
        Assert.InRange(Encoding.UTF8.GetByteCount(first.Summary!), 1, CalendarFeedWriter.MaxSummaryBytes);
        Assert.InRange(Encoding.UTF8.GetByteCount(first.Description!), 1, CalendarFeedWriter.MaxEventDescriptionBytes);
        Assert.InRange(ahead.Length, 1, 3 * 4096 + 4096);

        // All past: the most recent ones; those that ended more than 30 days ago are gone.
        app.Clock.Advance(TimeSpan.FromDays(6) + TimeSpan.FromHours(3));
        var past = Ical.Net.Calendar.Load(await web.GetStringAsync(feed))!.Events;
        Assert.Equal(Ids(sessions.Skip(2)), Uids(past));
        app.Clock.Advance(TimeSpan.FromDays(27));
        var later = Ical.Net.Calendar.Load(await web.GetStringAsync(feed))!.Events;
        Assert.Equal(Ids(sessions.Skip(3)), Uids(later));
    }

    private static IEnumerable<string> Ids(IEnumerable<Session> sessions) => sessions.Select(s => s.Id).Order(StringComparer.Ordinal);

    private static IEnumerable<string> Uids(IEnumerable<Ical.Net.CalendarComponents.CalendarEvent> events) => events.Select(e => e.Uid!).Order(StringComparer.Ordinal);

    private static async Task<(TestUser Instructor, Session Session)> InstructorWithSessionAsync(LearnHubApp app)
    {
        var instructor = await app.CreateUserAsync("teacher", "instructor");
        var session = await instructor.Sessions.CreateSessionAsync(new CreateSessionRequest
        {
            Title = "经济基础第19章考点梳理", PlannedStart = Timestamp.FromDateTimeOffset(app.Clock.GetUtcNow().AddDays(1)), DurationMinutes = 60,
        });
        return (instructor, session);
    }

    private static async Task StoreAsync(LearnHubApp app, string sessionId, string title, string description)
    {
        await using var connection = await app.Services.GetRequiredService<Database>().OpenAsync(CancellationToken.None);
        await connection.ExecuteAsync("UPDATE sessions SET title = @title, description = @description WHERE id = @sessionId", new { title, description, sessionId });
    }

    /// <summary>An HTTP client of the web endpoints whose requests come from <paramref name="address"/>.</summary>
    private static HttpClient ClientFrom(LearnHubApp app, string address)
    {
        var remote = IPAddress.Parse(address);
        return new HttpClient(app.Server.CreateHandler(context => context.Connection.RemoteIpAddress = remote)) { BaseAddress = app.Server.BaseAddress };
    }
}
