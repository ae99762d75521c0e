using LearnHub.Core.Common;
using LearnHub.Core.Sessions;

namespace LearnHub.Core.Tests.Sessions;

public sealed class SessionRulesTests
{
    private static readonly DateTimeOffset Now = new(2027, 5, 4, 11, 0, 0, TimeSpan.Zero);

    // A family emoji is several code points joined by zero-width joiners, yet a person counts it as one character.
    private const string Family = "👨‍👩‍👧‍👦";

    public static TheoryData<string, string, bool> Titles() => new()
    {
        { "empty", "", false },
        { "blank", "   ", false },
        { "1 Chinese character", "经", true },
        { "1 emoji", Family, true },
        { "100 ASCII", new string('a', 100), true },
        { "101 ASCII", new string('a', 101), false },
        { "100 Chinese", string.Concat(Enumerable.Repeat("经", 100)), true },
        { "101 Chinese", string.Concat(Enumerable.Repeat("经", 101)), false },
        { "99 Chinese + 1 family emoji", string.Concat(Enumerable.Repeat("经", 99)) + Family, true },
        { "99 Chinese + 2 family emoji", string.Concat(Enumerable.Repeat("经", 99)) + Family + Family, false },
        { "100 emoji with a skin tone (800 bytes)", string.Concat(Enumerable.Repeat("👍🏽", 100)), true },
        { "101 emoji", string.Concat(Enumerable.Repeat("😀", 101)), false },
        { "32 family emoji (800 bytes)", string.Concat(Enumerable.Repeat(Family, 32)), true },
        { "33 family emoji (825 bytes: past 8 bytes a character)", string.Concat(Enumerable.Repeat(Family, 33)), false },
        { "a combining-mark bomb (one character)", "a" + new string('\u0301', 100_000), false },
        { "only zero-width characters", "\u200B\u200C\u200D\uFEFF", false },
        { "a line break", "第19章\n考点", false },
    };

    [Theory]
    [MemberData(nameof(Titles))]
    public void Title_is_1_to_100_characters_as_a_person_counts_them(string why, string title, bool accepted)
    {
        var error = SessionRules.CheckTitle(title);
        Assert.True(accepted == (error is null), why);
        if (error is not null)
        {
            Assert.Equal("title", error.Field);
        }
    }

    [Fact]
    public void A_title_error_names_the_field_it_was_asked_for() =>
        Assert.Equal("title_suffix", SessionRules.CheckTitle(new string('x', 101), "title_suffix")!.Field);

    [Fact]
    public void Emoji_and_Chinese_count_one_each()
    {
        Assert.Equal(1, TextLength.Count(Family));
        Assert.Equal(1, TextLength.Count("😀"));
        Assert.Equal(2, TextLength.Count("经济"));
        Assert.Equal(12, TextLength.Count("经济基础第19章考点梳理"));
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(4, false)]
    [InlineData(5, true)]
    [InlineData(720, true)]
    [InlineData(721, false)]
    [InlineData(780, false)]
    [InlineData(-5, false)]
    public void Duration_is_5_to_720_minutes(int minutes, bool accepted)
    {
        var error = SessionRules.CheckDurationMinutes(minutes);
        Assert.Equal(accepted, error is null);
        Assert.Equal("duration_minutes", error?.Field ?? "duration_minutes");
    }

    [Theory]
    [InlineData("Asia/Shanghai", true)]
    [InlineData("America/New_York", true)]
    [InlineData("Europe/London", true)]
    [InlineData("UTC", true)]
    [InlineData("Mars/Olympus_Mons", false)]
    [InlineData("Asia/Beijing", false)]
    [InlineData("China Standard Time", false)] // Windows id
    [InlineData("Eastern Standard Time", false)] // Windows id
    [InlineData("CST", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void Time_zone_must_be_an_IANA_id(string? id, bool accepted)
    {
        var error = SessionRules.CheckTimeZone(id);
        Assert.Equal(accepted, error is null);
        if (error is not null)
        {
            Assert.Equal("time_zone", error.Field);
        }
    }

    [Theory]
    [InlineData(-60, false)]
    [InlineData(-1, false)]
    [InlineData(0, false)] // now is not in the future
    [InlineData(1, true)]
    [InlineData(60 * 24 * 365, true)]
    [InlineData(60 * 24 * 731, false)] // beyond the two-year horizon
    public void Start_must_be_in_the_future(int minutesFromNow, bool accepted)
    {
        var error = SessionRules.CheckPlannedStart(Now.AddMinutes(minutesFromNow), Now);
        Assert.Equal(accepted, error is null);
        Assert.Equal("planned_start", error?.Field ?? "planned_start");
    }

    [Fact]
    public void Start_is_required() => Assert.Equal("planned_start", SessionRules.CheckPlannedStart(null, Now)!.Field);

    [Fact]
    public void Start_a_tick_after_now_is_in_the_future() => Assert.Null(SessionRules.CheckPlannedStart(Now.AddTicks(1), Now));

    [Theory]
    [InlineData(31, false)]
    [InlineData(30, true)]
    [InlineData(1, true)]
    [InlineData(0, true)]
    [InlineData(-45, true)] // late: the scheduler has not caught up yet
    public void Go_live_is_allowed_at_most_30_minutes_early(int minutesBeforeStart, bool allowed)
    {
        var why = SessionRules.WhyCannotGoLive(SessionStatus.Scheduled, Now.AddMinutes(minutesBeforeStart), Now);
        Assert.Equal(allowed, why is null);
    }

    [Fact]
    public void Go_live_31_minutes_less_a_tick_early_is_still_refused() =>
        Assert.NotNull(SessionRules.WhyCannotGoLive(SessionStatus.Scheduled, Now.AddMinutes(30).AddTicks(1), Now));

    [Theory]
    [InlineData(SessionStatus.Live)]
    [InlineData(SessionStatus.Ended)]
    [InlineData(SessionStatus.Cancelled)]
    public void Only_a_scheduled_session_goes_live(SessionStatus status) =>
        Assert.NotNull(SessionRules.WhyCannotGoLive(status, Now.AddMinutes(5), Now));

    [Fact]
    public void Description_is_at_most_2000_characters()
    {
        Assert.Null(SessionRules.CheckDescription(new string('说', 2000)));
        Assert.Equal("description", SessionRules.CheckDescription(new string('说', 2001))!.Field);
        Assert.Null(SessionRules.CheckDescription(null));
    }
}
