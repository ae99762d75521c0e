using System.Net;
using System.Text.RegularExpressions;
using Ical.Net.CalendarComponents;
using LearnHub.Browser.Tests.Infrastructure;

namespace LearnHub.Browser.Tests;

/// <summary>
/// Subscribing to a calendar feed as a calendar app does: the URL shown on the page, fetched without any cookie,
/// parsed as iCalendar; each event carries the session's own time zone.
/// </summary>
public sealed class CalendarFeedTests(LearnHubServer server) : BrowserTest(server), IClassFixture<LearnHubServer>
{
    private const string Chapter19 = "经济基础第19章考点梳理";
    private const string Chapter20 = "经济基础第20章考点梳理";

    [Fact]
    public async Task Instructor_subscribes_to_their_schedule_and_every_session_is_an_event_in_its_time_zone()
    {
        await OpenSignedInAsync(LearnHubServer.Instructor, "/calendar");

        var events = await SubscribeAsync("calendar-instructor-url");

        var chapter19 = Assert.Single(events, e => e.Summary == Chapter19);
        Assert.Equal("Asia/Shanghai", chapter19.DtStart?.TzId);
        Assert.Equal((19, 30), (chapter19.DtStart!.Value.Hour, chapter19.DtStart.Value.Minute));
        Assert.Equal(90, (int)(chapter19.DtEnd!.Value - chapter19.DtStart.Value).TotalMinutes);
        Assert.Contains(events, e => e.Summary == Chapter20);
        Assert.Contains(events, e => e.Summary == "经济基础阶段测试2试题讲解");
    }

    [Fact]
    public async Task Viewer_subscribes_to_their_reservations()
    {
        // demo-viewer-01 reserved both upcoming demo chapters; give the account a password to sign in with.
        var viewer = new TestAccount("demo-viewer-01", "学员01", "viewer-pass-1234", "viewer");
        await Server.RunCliAsync(viewer.Password + "\n", "user", "set-password", "--handle", viewer.Handle);
        await SignInAsync(viewer);
        await GotoInteractiveAsync("/calendar");

        var events = await SubscribeAsync("calendar-me-url");

        Assert.Equal([Chapter19, Chapter20], events.Select(e => e.Summary).Order(StringComparer.Ordinal));
        Assert.All(events, e => Assert.Equal("Asia/Shanghai", e.DtStart?.TzId));
    }

    /// <summary>Reads the feed URL off the page and fetches it as a calendar app would: no cookie, only the key in the URL.</summary>
    private async Task<IReadOnlyList<CalendarEvent>> SubscribeAsync(string urlTestId)
    {
        await Expect(Page.GetByTestId(urlTestId)).ToContainTextAsync(new Regex(@"\.ics\?key=\S+"));
        var url = (await Page.GetByTestId(urlTestId).InnerTextAsync()).Trim();
        Assert.StartsWith(Server.WebUrl + "/calendar/", url, StringComparison.Ordinal);

        using var http = new HttpClient { Timeout = BrowserTest.NavigationTimeout };
        using var response = await http.GetAsync(new Uri(url), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/calendar", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        // Without the key the same feed is refused.
        using var keyless = await http.GetAsync(new Uri(url[..url.IndexOf('?', StringComparison.Ordinal)]), TestContext.Current.CancellationToken);
        Assert.NotEqual(HttpStatusCode.OK, keyless.StatusCode);

        var calendar = Ical.Net.Calendar.Load(text);
        Assert.NotNull(calendar);
        Assert.Contains(calendar.TimeZones, z => z.TzId == "Asia/Shanghai");
        return [.. calendar.Events];
    }
}
