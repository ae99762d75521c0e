using LearnHub.Admin.Components.Live;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LearnHub.Admin.Tests.Live;

public sealed class LiveModelTests
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 1, 1, 30, 0, TimeSpan.Zero);

    private static IStringLocalizer<LiveStrings> Strings()
    {
        System.Globalization.CultureInfo.CurrentUICulture = new System.Globalization.CultureInfo("zh-CN");
        var factory = new ResourceManagerStringLocalizerFactory(Options.Create(new LocalizationOptions { ResourcesPath = "Resources" }), NullLoggerFactory.Instance);
        return new StringLocalizer<LiveStrings>(factory);
    }

    [Fact]
    public void Pushes_closer_than_the_spacing_move_the_newest_point_instead_of_adding_one()
    {
        var timeline = new ViewerTimeline();
        timeline.Add(T0, 1);
        timeline.Add(T0.AddSeconds(10), 2);
        timeline.Add(T0.AddSeconds(11), 3);
        timeline.Add(T0.AddSeconds(12), 4);
        timeline.Add(T0.AddSeconds(20), 5);
        // Older than the newest point: a late push, dropped.
        timeline.Add(T0.AddSeconds(15), 99);

        Assert.Equal([1, 2, 4, 5], timeline.Points.Select(p => p.Viewers));
        Assert.Equal(T0.AddSeconds(12), timeline.Points[2].At);
    }

    [Fact]
    public void A_long_session_is_thinned_keeping_peaks_and_the_newest_point()
    {
        var timeline = new ViewerTimeline();
        for (var i = 0; i <= ViewerTimeline.MaxPoints; i++)
        {
            timeline.Add(T0.AddSeconds(10 * i), i == 301 ? 1000 : i % 7);
        }

        Assert.InRange(timeline.Points.Count, ViewerTimeline.MaxPoints / 2, ViewerTimeline.MaxPoints / 2 + 1);
        Assert.Contains(timeline.Points, p => p.Viewers == 1000);
        Assert.Equal(T0.AddSeconds(10 * ViewerTimeline.MaxPoints), timeline.Points[^1].At);
    }

    [Theory]
    [InlineData(40, "40 秒")]
    [InlineData(754, "12 分 34 秒")]
    [InlineData(3900, "1 小时 5 分")]
    [InlineData(-5, "0 秒")]
    public void Watch_time_reads_as_hours_minutes_and_seconds(long seconds, string expected) =>
        Assert.Equal(expected, LiveText.Duration(Strings(), seconds));

    [Fact]
    public void A_hub_refusal_is_shown_without_the_clients_wrapper_text()
    {
        var refusal = Infrastructure.FakeLiveFeed.Refusal("无权查看该直播 (not allowed).");

        Assert.Equal("无权查看该直播 (not allowed).", LiveText.Problem(Strings(), refusal));
        Assert.StartsWith("无法连接实时服务", LiveText.Problem(Strings(), new HttpRequestException("refused")), StringComparison.Ordinal);
    }

    [Fact]
    public void The_order_accepts_only_newer_sequences_per_session()
    {
        var order = new ViewerCountOrder();

        Assert.True(order.Accept(LiveFakes.Count("a", 1, 2)));
        Assert.False(order.Accept(LiveFakes.Count("a", 1, 1)));
        Assert.False(order.Accept(LiveFakes.Count("a", 1, 2)));
        Assert.True(order.Accept(LiveFakes.Count("b", 1, 1)));
        Assert.True(order.Accept(LiveFakes.Count("a", 1, 3)));
        order.Reset();
        Assert.True(order.Accept(LiveFakes.Count("a", 1, 1)));
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(6, 2)]
    [InlineData(20, 5)]
    [InlineData(57, 10)]
    [InlineData(1200, 500)]
    public void The_y_step_is_round_and_gives_about_five_ticks(int max, int step) =>
        Assert.Equal(step, LiveText.YStep(max));

    [Theory]
    [InlineData(2, 30)]
    [InlineData(23, 300)]
    [InlineData(90, 900)]
    [InlineData(300, 3600)]
    public void Chart_labels_are_at_most_six_across(int minutes, int spacingSeconds)
    {
        var spacing = LiveText.LabelSpacing(TimeSpan.FromMinutes(minutes));
        Assert.Equal(TimeSpan.FromSeconds(spacingSeconds), spacing);
        Assert.True(TimeSpan.FromMinutes(minutes) / spacing <= 6);
    }

    [Fact]
    public void A_rows_trend_keeps_the_last_ten_minutes_and_ends_with_its_session()
    {
        var board = new LiveSessionBoard();
        var start = LiveFakes.LiveAt;
        board.Reset([LiveFakes.View("s1", "经济基础", viewers: 1)], start);
        for (var minute = 1; minute <= 30; minute++)
        {
            Assert.True(board.Apply(LiveFakes.Count("s1", minute + 1, sequence: minute, at: start.AddMinutes(minute))));
        }

        var trend = board.Trend("s1");
        // Minutes 20 to 30, plus the point just before the window so the line starts at its left edge.
        Assert.Equal(start.AddMinutes(20), trend[0].At);
        Assert.Equal(31, trend[^1].Viewers);
        Assert.Equal(11, trend.Count);

        board.Apply(LiveFakes.View("s1", "经济基础", viewers: 0, status: "Ended"));
        Assert.Empty(board.Trend("s1"));
    }
}
