using System.Globalization;
using System.Text.RegularExpressions;
using LearnHub.Core.Broadcasts;
using LearnHub.Core.Common;
using LearnHub.Core.Sessions;

namespace LearnHub.Core.Tests.Common;

/// <summary>
/// The rules' messages speak one language, the current UI culture's: English with no Chinese character, Chinese with
/// full-width punctuation, never the field's key in front. The console's on-the-spot checks and the API read the same.
/// </summary>
public sealed partial class LocalizedMessagesTests
{
    private static readonly DateTimeOffset Now = new(2027, 5, 4, 11, 0, 0, TimeSpan.Zero);

    private static readonly TextRule Title = new("title", "标题", "title", 100);

    /// <summary>Every kind of refusal the rules give, formatted when called (so under the culture set around it).</summary>
    public static IEnumerable<Func<string?>> Refusals() =>
    [
        () => Title.Check("")?.Message,
        () => Title.Check(new string('a', 101))?.Message,
        () => Title.Check(string.Concat(Enumerable.Repeat("👨‍👩‍👧‍👦", 33)))?.Message,
        () => Title.Check("a" + new string('\u0301', 20))?.Message,
        () => Title.Check("第一行\n第二行")?.Message,
        () => BroadcastRules.Text.Check("\u0000")?.Message,
        () => Title.Check("\uD800")?.Message,
        () => TextRule.Id("session_id").Check("s 1")?.Message,
        () => TextRule.Id("session_id").Check(new string('s', 65))?.Message,
        () => SessionRules.CheckDurationMinutes(3)?.Message,
        () => SessionRules.CheckTimeZone("Mars/Olympus_Mons")?.Message,
        () => SessionRules.CheckPlannedStart(null, Now)?.Message,
        () => SessionRules.CheckPlannedStart(Now.AddMinutes(-1), Now)?.Message,
        () => SessionRules.CheckPlannedStart(Now.AddYears(3), Now)?.Message,
        () => SessionRules.WhyCannotGoLive(SessionStatus.Ended, Now, Now),
        () => SessionRules.WhyCannotGoLive(SessionStatus.Scheduled, Now.AddHours(2), Now),
        () => BroadcastRules.CheckAgreement(false, BroadcastRules.AgreementVersion)?.Message,
        () => BroadcastRules.CheckAgreement(true, "2020-01")?.Message,
    ];

    [Fact]
    public void In_English_every_refusal_is_English_only()
    {
        using var _ = UiCulture.Use("en-US");
        foreach (var refusal in Refusals())
        {
            var message = refusal();
            Assert.False(string.IsNullOrEmpty(message));
            AssertEnglish(message);
        }
    }

    [Fact]
    public void In_Chinese_every_refusal_is_Chinese_with_full_width_punctuation()
    {
        using var _ = UiCulture.Use("zh-CN");
        foreach (var refusal in Refusals())
        {
            var message = refusal();
            Assert.False(string.IsNullOrEmpty(message));
            AssertChinese(message);
        }
    }

    [Fact]
    public void A_rule_speaks_the_culture_current_when_it_checks()
    {
        using (UiCulture.Use("zh-CN"))
        {
            Assert.Equal("标题不能为空，须为 1–100 个字符。", Title.Check("")!.Message);
            Assert.Equal(FieldError.Required, Title.Check("")!.Reason);
        }
        using (UiCulture.Use("en"))
        {
            Assert.Equal("The title is required (1 to 100 characters).", Title.Check("")!.Message);
            Assert.Equal(FieldError.TooLong, Title.Check(new string('a', 101))!.Reason);
        }
    }

    [Fact]
    public void Chinese_messages_join_without_spaces_and_English_ones_with_one()
    {
        using (UiCulture.Use("zh-CN"))
        {
            Assert.Equal("标题不能为空。时长须在 5–720 分钟之间。", LocalizedText.Join(["标题不能为空。", "时长须在 5–720 分钟之间。"]));
        }
        using (UiCulture.Use("en-GB"))
        {
            Assert.Equal("A. B.", LocalizedText.Join(["A.", "B."]));
            Assert.Equal("en", LocalizedText.LocaleOf(CultureInfo.CurrentUICulture));
        }
    }

    /// <summary>No Chinese character, no full-width punctuation.</summary>
    private static void AssertEnglish(string message) =>
        Assert.False(HanOrFullWidth().IsMatch(message), $"English message holds Chinese: {message}");

    /// <summary>Has Chinese; no half-width , : ; ( ) next to a Chinese character; no "field:" prefix; ends a sentence.</summary>
    private static void AssertChinese(string message)
    {
        Assert.True(Han().IsMatch(message), $"not Chinese: {message}");
        Assert.False(HalfWidthNextToHan().IsMatch(message), $"half-width punctuation in Chinese: {message}");
        Assert.False(FieldPrefix().IsMatch(message), $"field key in front: {message}");
        Assert.True(message.EndsWith('。') || message.EndsWith('~'), $"not a sentence: {message}");
    }

    [GeneratedRegex(@"\p{IsCJKUnifiedIdeographs}")]
    private static partial Regex Han();

    [GeneratedRegex(@"[\p{IsCJKUnifiedIdeographs}，。：；（）《》「」、]")]
    private static partial Regex HanOrFullWidth();

    [GeneratedRegex(@"\p{IsCJKUnifiedIdeographs}\s*[,:;()]|[,:;()]\s*\p{IsCJKUnifiedIdeographs}")]
    private static partial Regex HalfWidthNextToHan();

    [GeneratedRegex(@"^[a-z_\[\]0-9.]+:\s")]
    private static partial Regex FieldPrefix();
}

/// <summary>Sets the current UI culture for a block and restores it.</summary>
public sealed class UiCulture : IDisposable
{
    private readonly CultureInfo previous = CultureInfo.CurrentUICulture;

    private UiCulture(string name) => CultureInfo.CurrentUICulture = CultureInfo.GetCultureInfo(name);

    public static UiCulture Use(string name) => new(name);

    public void Dispose() => CultureInfo.CurrentUICulture = previous;
}
