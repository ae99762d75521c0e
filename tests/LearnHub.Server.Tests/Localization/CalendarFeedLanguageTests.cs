using Google.Protobuf.WellKnownTypes;
using LearnHub.Api.V1;
using LearnHub.Server.Tests.Infrastructure;

namespace LearnHub.Server.Tests.Localization;

/// <summary>A calendar feed's own words (讲师 / Instructor, 我的预约 / My reservations) are in its owner's saved language only.</summary>
public sealed class CalendarFeedLanguageTests
{
    [Fact]
    public async Task A_feed_speaks_its_owners_language_only()
    {
        await using var app = await LearnHubApp.StartAsync();
        var instructor = await app.CreateNamedUserAsync("teacher", "Ms Wan", "instructor");
        var english = await app.CreateUserAsync("emma");
        var chinese = await app.CreateUserAsync("xiaowang");
        await english.Identity.UpdateMyLanguageAsync(new UpdateMyLanguageRequest { Language = "en" });
        await instructor.Sessions.CreateSessionAsync(new CreateSessionRequest
        {
            Title = "Economics, chapter 19",
            PlannedStart = Timestamp.FromDateTimeOffset(app.Clock.GetUtcNow().AddDays(1)),
            DurationMinutes = 90,
        });
        using var web = app.CreateWebClient();

        var inEnglish = await FeedAsync(english, $"/calendar/instructors/{instructor.Id}.ics");
        Assert.Contains("Instructor: Ms Wan", inEnglish, StringComparison.Ordinal);
        Assert.DoesNotContain("讲师", inEnglish, StringComparison.Ordinal);
        var reservations = await FeedAsync(english, "/calendar/me.ics");
        Assert.Contains("LearnHub · My reservations", reservations, StringComparison.Ordinal);

        var inChinese = await FeedAsync(chinese, $"/calendar/instructors/{instructor.Id}.ics");
        Assert.Contains("讲师：Ms Wan", inChinese, StringComparison.Ordinal);
        Assert.DoesNotContain("Instructor", inChinese, StringComparison.Ordinal);

        async Task<string> FeedAsync(TestUser owner, string path)
        {
            var key = (await owner.Identity.GetMyCalendarFeedKeyAsync(new GetMyCalendarFeedKeyRequest())).Key;
            using var request = new HttpRequestMessage(HttpMethod.Get, $"{path}?key={key}");
            // A calendar app's accept-language says nothing of the owner: it is ignored.
            request.Headers.AcceptLanguage.ParseAdd(owner == english ? "zh-CN" : "en-US");
            using var response = await web.SendAsync(request);
            response.EnsureSuccessStatusCode();
            return await response.Content.ReadAsStringAsync();
        }
    }
}
