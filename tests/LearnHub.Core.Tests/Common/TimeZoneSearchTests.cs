using LearnHub.Core.Common;

namespace LearnHub.Core.Tests.Common;

public sealed class TimeZoneSearchTests
{
    [Theory]
    [InlineData("北京", "Asia/Shanghai")]
    [InlineData("Beijing", "Asia/Shanghai")]
    [InlineData("shanghai", "Asia/Shanghai")]
    [InlineData("纽约", "America/New_York")]
    [InlineData("New York", "America/New_York")]
    [InlineData("new york", "America/New_York")]
    [InlineData("伦敦", "Europe/London")]
    [InlineData("London", "Europe/London")]
    [InlineData("东京", "Asia/Tokyo")]
    [InlineData("香港", "Asia/Hong_Kong")]
    [InlineData("台北", "Asia/Taipei")]
    [InlineData("新加坡", "Asia/Singapore")]
    [InlineData("悉尼", "Australia/Sydney")]
    [InlineData("洛杉矶", "America/Los_Angeles")]
    [InlineData("芝加哥", "America/Chicago")]
    [InlineData("巴黎", "Europe/Paris")]
    [InlineData("柏林", "Europe/Berlin")]
    [InlineData("莫斯科", "Europe/Moscow")]
    [InlineData("迪拜", "Asia/Dubai")]
    [InlineData("Asia/Kolkata", "Asia/Kolkata")]
    [InlineData("kolkata", "Asia/Kolkata")]
    public void A_city_or_zone_id_finds_its_zone_first(string text, string zone)
    {
        Assert.Equal(zone, TimeZones.Search(text)[0].ZoneId);
    }

    [Fact]
    public void A_city_match_names_the_city_and_each_zone_comes_once()
    {
        var found = TimeZones.Search("上海");

        Assert.Equal("Shanghai", found[0].City?.English);
        Assert.Single(TimeZones.Search("a"), m => m.ZoneId == "Asia/Shanghai");
    }

    [Fact]
    public void Every_listed_city_keeps_a_zone_this_machine_knows_and_nothing_matches_nonsense()
    {
        Assert.All(TimeZones.Cities.Where(c => c.ZoneId != "Europe/Kyiv" && c.ZoneId != "Asia/Macau"), c => Assert.True(TimeZones.TryFind(c.ZoneId, out _), c.ZoneId));
        Assert.Empty(TimeZones.Search("Atlantis"));
        Assert.Contains(TimeZones.Search(""), m => m.ZoneId == "Asia/Shanghai");
    }

    [Fact]
    public void The_offset_label_follows_daylight_saving()
    {
        var newYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");

        Assert.Equal("UTC-05:00", TimeZones.OffsetLabel(newYork, new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero)));
        Assert.Equal("UTC-04:00", TimeZones.OffsetLabel(newYork, new DateTimeOffset(2026, 7, 1, 0, 0, 0, TimeSpan.Zero)));
        Assert.Equal("UTC+05:30", TimeZones.OffsetLabel(TimeZoneInfo.FindSystemTimeZoneById("Asia/Kolkata"), DateTimeOffset.UnixEpoch));
    }
}
