using System.Collections;
using System.Globalization;
using System.Resources;
using System.Text.RegularExpressions;

namespace LearnHub.Admin.Tests.Copy;

/// <summary>
/// Every text of the console, in both its languages: each Chinese text has an English one, Chinese uses full-width
/// punctuation next to Chinese characters (，not ,), and English holds no Chinese character or punctuation, so
/// each language reads on its own.
/// </summary>
public sealed partial class ConsoleTextTests
{
    public static TheoryData<string> ResourceNames { get; } =
    [
        "LearnHub.Admin.Resources.Strings",
        "LearnHub.Admin.Resources.AdminStrings",
        "LearnHub.Admin.Resources.ScheduleStrings",
        "LearnHub.Admin.Resources.CourseStrings",
        "LearnHub.Admin.Resources.LiveStrings",
        "LearnHub.Admin.Resources.BroadcastStrings",
    ];

    [Theory]
    [MemberData(nameof(ResourceNames))]
    public void Every_Chinese_text_has_an_English_one(string baseName)
    {
        var (chinese, english) = Load(baseName);
        var missing = chinese.Keys.Where(k => string.IsNullOrWhiteSpace(english.GetValueOrDefault(k))).ToList();
        Assert.True(missing.Count == 0, $"{baseName}: no English for {string.Join(", ", missing)}");
        Assert.NotEmpty(chinese);
    }

    [Theory]
    [MemberData(nameof(ResourceNames))]
    public void Chinese_texts_use_full_width_punctuation(string baseName)
    {
        var (chinese, _) = Load(baseName);
        var halfWidth = chinese.Where(e => HalfWidthNextToChinese().IsMatch(e.Value)).Select(e => $"{e.Key} = {e.Value}").ToList();
        Assert.True(halfWidth.Count == 0, $"{baseName}: half-width punctuation next to Chinese in\n{string.Join('\n', halfWidth)}");
    }

    [Theory]
    [MemberData(nameof(ResourceNames))]
    public void English_texts_hold_no_Chinese(string baseName)
    {
        var (_, english) = Load(baseName);
        var leaking = english.Where(e => ChineseCharacterOrPunctuation().IsMatch(e.Value)).Select(e => $"{e.Key} = {e.Value}").ToList();
        Assert.True(leaking.Count == 0, $"{baseName}: Chinese in English texts\n{string.Join('\n', leaking)}");
    }

    private static (Dictionary<string, string> Chinese, Dictionary<string, string> English) Load(string baseName)
    {
        var resources = new ResourceManager(baseName, typeof(LearnHub.Admin.Strings).Assembly);
        static Dictionary<string, string> Read(ResourceSet set) =>
            set.Cast<DictionaryEntry>().ToDictionary(e => (string)e.Key, e => e.Value as string ?? "", StringComparer.Ordinal);
        return (
            Read(resources.GetResourceSet(CultureInfo.InvariantCulture, createIfNotExists: true, tryParents: false)!),
            Read(resources.GetResourceSet(new CultureInfo("en"), createIfNotExists: true, tryParents: false)!));
    }

    /// <summary>, : ; ? ! ( ) right before or after a Chinese character (numbers and times like 19:30 stay half-width).</summary>
    [GeneratedRegex(@"(?<=\p{IsCJKUnifiedIdeographs})[,:;?!()]|[,:;?!()](?=\p{IsCJKUnifiedIdeographs})")]
    private static partial Regex HalfWidthNextToChinese();

    [GeneratedRegex(@"\p{IsCJKUnifiedIdeographs}|[，。：；！？（）《》「」、]")]
    private static partial Regex ChineseCharacterOrPunctuation();
}
