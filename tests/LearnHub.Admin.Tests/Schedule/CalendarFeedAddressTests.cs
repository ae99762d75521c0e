using LearnHub.Admin.Tests.Infrastructure;
using LearnHub.Api.V1;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using CalendarPage = LearnHub.Admin.Components.Pages.Calendar;

namespace LearnHub.Admin.Tests.Schedule;

/// <summary>The 日历订阅 page: the feed addresses start with the server's configured public address, not the one the browser used.</summary>
public sealed class CalendarFeedAddressTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Feed_urls_start_with_the_configured_public_address()
    {
        await using var context = new AdminTestContext(roles: ["viewer"]);
        context.Services.AddSingleton<IConfiguration>(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Web:PublicBaseUrl"] = "https://learn.example.com/" })
            .Build());
        context.Api.On<GetMyCalendarFeedKeyRequest, CalendarFeedKey>("GetMyCalendarFeedKey", _ => new CalendarFeedKey { Key = "k1" });

        var page = context.Render<CalendarPage>();

        page.WaitForAssertion(() =>
            Assert.Equal("https://learn.example.com/calendar/me.ics?key=k1", page.Find("[data-testid=calendar-me-url]").TextContent), Timeout);
    }
}
