using System.Collections.Concurrent;
using System.Globalization;
using Google.Protobuf;
using LearnHub.Api.V1;
using LearnHub.Server.Grpc;
using LearnHub.Server.Tests.Broadcasts;
using LearnHub.Server.Tests.Infrastructure;

namespace LearnHub.Server.Tests.Security;

/// <summary>
/// A store of worst-case items, every text field at its largest in bytes (8 bytes a character: 👍🏽), enough of each to
/// fill the largest page of every list.
/// </summary>
public sealed class WorstCaseStore : IAsyncLifetime
{
    /// <summary>A text of <paramref name="characters"/> characters and exactly its byte budget (8 bytes each).</summary>
    public static string Max(int characters) => string.Concat(Enumerable.Repeat("👍🏽", characters));

    public const int Sessions = 160;
    public const int CancelledSessions = 101;
    public const int Courses = 12;
    public const int Creators = 101;
    public const int Reporters = 100;
    public const int RejectedRecords = 101;

    public LearnHubApp App { get; private set; } = null!;

    public TestUser Admin { get; private set; } = null!;

    public TestUser Reviewer { get; private set; } = null!;

    public TestUser Instructor { get; private set; } = null!;

    public TestUser Fan { get; private set; } = null!;

    /// <summary>The creator whose 群发记录 holds <see cref="RejectedRecords"/> rejected broadcasts with the longest reasons.</summary>
    public TestUser Prolific { get; private set; } = null!;

    public string LargestCourseId { get; private set; } = "";

    public PlanCourseSeriesResponse Series { get; private set; } = null!;

    /// <summary>Encoded sizes measured by the tests, by list, for the report.</summary>
    public ConcurrentDictionary<string, (int Items, int Bytes)> Figures { get; } = new();

    private static string Handle(string prefix, int i) => $"{prefix}-{i:000}-".PadRight(64, 'x');

    public async ValueTask InitializeAsync()
    {
        // Feeds at the largest event count an operator may set: the worst case for their size.
        App = await LearnHubApp.StartAsync(
            new Dictionary<string, string?> { ["CalendarFeeds:MaxEvents"] = LearnHub.Server.Calendar.CalendarFeedEndpoints.MaxEventsLimit.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            clock: new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Scenario.Start) { AutoAdvanceAmount = TimeSpan.Zero });
        Admin = await App.CreateNamedUserAsync(Handle("admin", 0), Max(50), "admin");
        Reviewer = await App.CreateNamedUserAsync(Handle("reviewer", 0), Max(50), "reviewer");
        Instructor = await App.CreateNamedUserAsync(Handle("instructor", 0), Max(50), "instructor");
        Fan = await App.CreateNamedUserAsync(Handle("fan", 0), Max(50));
        var creators = new List<TestUser>();
        for (var i = 0; i < Creators; i++)
        {
            var creator = await App.CreateNamedUserAsync(Handle("creator", i), Max(50), "instructor");
            await Admin.Admin.SetCertifiedAsync(new SetCertifiedRequest { UserId = creator.Id, Certified = true });
            creators.Add(creator);
        }
        var reporters = new List<TestUser>();
        for (var i = 0; i < Reporters; i++)
        {
            reporters.Add(await App.CreateNamedUserAsync(Handle("reporter", i), Max(50)));
        }

        await SessionsAsync();
        await CoursesAsync();
        await BroadcastsAsync(creators, reporters);
    }

    /// <summary>Sessions with the longest title and description, reserved by the fan; most cancelled with the longest reason (which notifies the fan).</summary>
    private async Task SessionsAsync()
    {
        var sessions = new List<Session>();
        for (var i = 0; i < Sessions; i++)
        {
            sessions.Add(await Instructor.Sessions.CreateSessionAsync(new CreateSessionRequest
            {
                Title = Max(100),
                Description = Max(2000),
                PlannedStart = Scenario.Ts(Scenario.Shanghai(30, 0, 0).AddHours(2 * i)),
                DurationMinutes = 60,
                RequestId = new string('r', 60) + i.ToString("000", CultureInfo.InvariantCulture),
            }));
            await Fan.ReserveAsync(sessions[^1].Id);
        }
        foreach (var session in sessions.Take(CancelledSessions))
        {
            await Instructor.Sessions.CancelSessionAsync(new CancelSessionRequest { SessionId = session.Id, Reason = Max(500) });
        }
    }

    /// <summary>Courses with 200 chapters each, every title and description at its longest; and a 200-chapter series.</summary>
    private async Task CoursesAsync()
    {
        for (var i = 0; i < Courses; i++)
        {
            var course = await Instructor.Courses.CreateCourseAsync(new CreateCourseRequest
            {
                Title = Max(100),
                Description = Max(2000),
                ChapterTitles = { Enumerable.Range(0, 200).Select(_ => Max(100)) },
            });
            LargestCourseId = course.Id;
        }
        // A series' titles are course + chapter + suffix, at most 100 characters together.
        var seriesCourse = await Instructor.Courses.CreateCourseAsync(new CreateCourseRequest
        {
            Title = Max(40),
            ChapterTitles = { Enumerable.Range(0, 200).Select(_ => Max(60)) },
        });
        Series = await Instructor.Sessions.PlanCourseSeriesAsync(new PlanCourseSeriesRequest
        {
            CourseId = seriesCourse.Id,
            Weekdays = { 1, 2, 3, 4, 5, 6, 7 },
            LocalTime = "09:00",
            StartDate = Scenario.Today.AddDays(60).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            DurationMinutes = 60,
        });
    }

    /// <summary>
    /// Each creator has one approved broadcast (in the fan's inbox) and one pending (in the review queue), the longest
    /// text; the first one's approved broadcast is reported by 100 people with the longest reason and taken down with
    /// the longest reason; the second one's 群发记录 holds 101 rejections with the longest reason.
    /// </summary>
    private async Task BroadcastsAsync(List<TestUser> creators, List<TestUser> reporters)
    {
        Prolific = creators[1];
        for (var i = 0; i < RejectedRecords; i++)
        {
            var rejected = await SubmitAsync(Prolific);
            await Reviewer.Broadcasts.RejectBroadcastAsync(new RejectBroadcastRequest { BroadcastId = rejected.Id, Reason = Max(200) });
        }
        foreach (var creator in creators)
        {
            await Fan.Follows.FollowAsync(new FollowRequest { CreatorId = creator.Id });
        }
        foreach (var reporter in reporters)
        {
            await reporter.Follows.FollowAsync(new FollowRequest { CreatorId = creators[0].Id });
        }
        var approved = new List<Broadcast>();
        foreach (var creator in creators)
        {
            approved.Add(await Reviewer.Broadcasts.ApproveBroadcastAsync(new ApproveBroadcastRequest { BroadcastId = (await SubmitAsync(creator)).Id }));
            await SubmitAsync(creator);
        }
        await Fan.Inbox.CheckInAsync(new CheckInRequest());
        foreach (var reporter in reporters)
        {
            await reporter.Inbox.CheckInAsync(new CheckInRequest());
            await reporter.Inbox.ReportBroadcastAsync(new ReportBroadcastRequest { MessageId = approved[0].Id, Reason = Max(200) });
        }
        await Reviewer.Broadcasts.TakeDownBroadcastAsync(new TakeDownBroadcastRequest { BroadcastId = approved[0].Id, Reason = Max(200) });
    }

    private static async Task<Broadcast> SubmitAsync(TestUser creator) =>
        await creator.Broadcasts.SubmitBroadcastAsync(new SubmitBroadcastRequest
        {
            RequestId = Guid.NewGuid().ToString("N") + new string('q', 32),
            Kind = BroadcastKind.Text,
            Text = Max(300),
            AgreedToAgreement = true,
            AgreementVersion = FanBroadcastWorld.AgreementVersion,
        });

    public async ValueTask DisposeAsync()
    {
        foreach (var (list, (items, bytes)) in Figures.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            Console.WriteLine($"page-size figure: {list}: {items} items, {bytes:N0} bytes");
        }
        await App.DisposeAsync();
    }
}

/// <summary>
/// The largest page of every list, read with its maximum page_size from a store of worst-case items, stays under
/// <see cref="PageBudget.MaxResponseBytes"/> (1 MiB, a quarter of the 4 MB gRPC clients accept by default), and 直播推荐,
/// which every user loads, stays small. Lists whose items can each be tens of kilobytes end a page early and page on.
/// </summary>
public sealed class PageSizeBoundTests(WorstCaseStore store) : IClassFixture<WorstCaseStore>
{
    private const int Limit = PageBudget.MaxResponseBytes;

    private int Measure(string list, IMessage response, int items, int limit = Limit)
    {
        var bytes = response.CalculateSize();
        store.Figures[list] = (items, bytes);
        TestContext.Current.TestOutputHelper?.WriteLine($"{list}: {items} items, {bytes:N0} bytes");
        Assert.True(bytes <= limit, $"{list}: {items} items encode to {bytes:N0} bytes, over {limit:N0}");
        return bytes;
    }

    [Fact]
    public async Task ListSessions_ends_its_page_under_the_budget_and_pages_through_every_session()
    {
        var seen = new List<string>();
        var token = "";
        var pages = 0;
        do
        {
            var page = await store.Fan.Sessions.ListSessionsAsync(new ListSessionsRequest { PageSize = 100, PageToken = token });
            Measure("ListSessions", page, page.Sessions.Count);
            Assert.NotEmpty(page.Sessions);
            seen.AddRange(page.Sessions.Select(s => s.Id));
            token = page.NextPageToken;
            pages++;
        }
        while (token.Length > 0);
        Assert.Equal(WorstCaseStore.Sessions + 200, seen.Count);
        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.True(pages > (WorstCaseStore.Sessions + 200) / 100, $"{pages} pages: the budget should have ended some pages early");
    }

    [Fact]
    public async Task ListMyReservations_ends_its_page_under_the_budget_and_pages_through_every_reservation()
    {
        var seen = new List<string>();
        var token = "";
        do
        {
            var page = await store.Fan.Sessions.ListMyReservationsAsync(new ListMyReservationsRequest { PageSize = 100, IncludePast = true, PageToken = token });
            Measure("ListMyReservations", page, page.Reservations.Count);
            seen.AddRange(page.Reservations.Select(r => r.SessionId));
            token = page.NextPageToken;
        }
        while (token.Length > 0);
        Assert.Equal(WorstCaseStore.Sessions, seen.Distinct().Count());
    }

    [Fact]
    public async Task ListCourses_ends_its_page_under_the_budget_and_pages_through_every_course()
    {
        var seen = new List<string>();
        var token = "";
        do
        {
            var page = await store.Fan.Courses.ListCoursesAsync(new ListCoursesRequest { PageSize = 100, PageToken = token });
            Measure("ListCourses", page, page.Courses.Count);
            Assert.NotEmpty(page.Courses);
            seen.AddRange(page.Courses.Select(c => c.Id));
            token = page.NextPageToken;
        }
        while (token.Length > 0);
        Assert.Equal(WorstCaseStore.Courses + 1, seen.Distinct().Count());
        var largest = await store.Fan.Courses.GetCourseAsync(new GetCourseRequest { CourseId = store.LargestCourseId });
        Assert.Equal(200, largest.Chapters.Count);
        Measure("GetCourse (200 chapters)", largest, 1);
    }

    [Fact]
    public async Task The_live_recommendations_panel_stays_small_for_every_user()
    {
        var full = await store.Fan.Sessions.ListRecommendationsAsync(new ListRecommendationsRequest { PageSize = 50 });
        Assert.Equal(50, full.Items.Count);
        Measure("ListRecommendations (50)", full, full.Items.Count, limit: 128 * 1024);
        var panel = await store.Fan.Sessions.ListRecommendationsAsync(new ListRecommendationsRequest());
        Assert.Equal(10, panel.Items.Count);
        Measure("ListRecommendations (default 10)", panel, panel.Items.Count, limit: 32 * 1024);
        // The panel shows no description; the session itself still has it.
        Assert.All(full.Items, i => Assert.Empty(i.Session.Description));
        Assert.Equal(WorstCaseStore.Max(2000), (await store.Fan.GetAsync(full.Items[0].Session.Id)).Description);
    }

    [Fact]
    public async Task ListNotifications_largest_page_fits()
    {
        var page = await store.Fan.Notifications.ListNotificationsAsync(new ListNotificationsRequest { PageSize = 100 });
        Assert.Equal(100, page.Notifications.Count);
        Measure("ListNotifications", page, page.Notifications.Count);
    }

    [Fact]
    public async Task ListInbox_largest_page_fits()
    {
        var page = await store.Fan.Inbox.ListInboxAsync(new ListInboxRequest { PageSize = 100 });
        Assert.Equal(100, page.Messages.Count);
        Measure("ListInbox", page, page.Messages.Count);
    }

    [Fact]
    public async Task ListMyBroadcasts_largest_page_fits()
    {
        var page = await store.Prolific.Broadcasts.ListMyBroadcastsAsync(new ListMyBroadcastsRequest { PageSize = 100 });
        Assert.Equal(100, page.Broadcasts.Count);
        Assert.Contains(page.Broadcasts, b => b.Reason.Length > 0);
        Measure("ListMyBroadcasts", page, page.Broadcasts.Count);
    }

    [Fact]
    public async Task ListReviewQueue_largest_page_fits()
    {
        var page = await store.Reviewer.Broadcasts.ListReviewQueueAsync(new ListReviewQueueRequest { PageSize = 100 });
        Assert.Equal(100, page.Items.Count);
        Measure("ListReviewQueue", page, page.Items.Count);
    }

    [Fact]
    public async Task ListReports_largest_page_fits()
    {
        var page = await store.Reviewer.Broadcasts.ListReportsAsync(new ListReportsRequest { PageSize = 100, IncludeClosed = true });
        Assert.Equal(100, page.Reports.Count);
        Measure("ListReports", page, page.Reports.Count);
    }

    [Fact]
    public async Task ListFollowing_largest_page_fits()
    {
        var page = await store.Fan.Follows.ListFollowingAsync(new ListFollowingRequest { PageSize = 100 });
        Assert.Equal(100, page.Creators.Count);
        Measure("ListFollowing", page, page.Creators.Count);
    }

    [Fact]
    public async Task ListUsers_largest_page_fits()
    {
        var page = await store.Admin.Admin.ListUsersAsync(new ListUsersRequest { PageSize = 100 });
        Assert.Equal(100, page.Users.Count);
        Measure("ListUsers", page, page.Users.Count);
    }

    [Fact]
    public async Task SearchCreators_largest_page_fits()
    {
        var page = await store.Fan.Follows.SearchCreatorsAsync(new SearchCreatorsRequest { Query = "👍🏽", PageSize = 20 });
        Assert.Equal(20, page.Creators.Count);
        Measure("SearchCreators", page, page.Creators.Count);
    }

    [Fact]
    public async Task A_calendar_feed_keeps_every_event_and_its_descriptions_share_a_budget()
    {
        var key = (await store.Fan.Identity.GetMyCalendarFeedKeyAsync(new GetMyCalendarFeedKeyRequest())).Key;
        using var web = store.App.CreateWebClient();
        var feed = await web.GetStringAsync($"/calendar/instructors/{store.Instructor.Id}.ics?key={key}");
        var bytes = System.Text.Encoding.UTF8.GetByteCount(feed);
        var events = feed.Split("BEGIN:VEVENT").Length - 1;
        store.Figures["instructor .ics feed"] = (events, bytes);
        TestContext.Current.TestOutputHelper?.WriteLine($"instructor .ics feed: {events} events, {bytes:N0} bytes");

        Assert.Equal(WorstCaseStore.Sessions + 200, events);
        // Every event keeps its link; its description is cut to a per-event budget and all of them share a feed-wide one,
        // so a feed's size is bounded by its event count whatever instructors write.
        Assert.Equal(events, feed.Split("\r\nURL:").Length - 1);
        Assert.True(bytes <= events * 2048 + LearnHub.Server.Calendar.CalendarFeedWriter.MaxDescriptionBytes, $"{bytes:N0} bytes for {events} events");
    }

    [Fact]
    public void A_200_chapter_series_answer_fits()
    {
        Assert.Equal(200, store.Series.Sessions.Count);
        Measure("PlanCourseSeries (200 chapters)", store.Series, store.Series.Sessions.Count);
    }
}

