using System.Text;
using LearnHub.Core.Common;

namespace LearnHub.Core.Tests.Common;

public sealed class TextRuleTests
{
    private static readonly TextRule Title = new("title", "标题", "title", 100);
    private static readonly TextRule Description = new("description", "简介", "description", 2000, TextKind.MultiLine, Required: false);
    private static readonly TextRule Text = new("text", "群发内容", "text", 300, TextKind.MultiLine);
    private static readonly TextRule Id = TextRule.Id("session_id");

    private static string Repeat(string unit, int count) => string.Concat(Enumerable.Repeat(unit, count));

    // Real text at its longest per character: each must be one character and accepted.
    public static TheoryData<string, string> RealCharacters() => new()
    {
        { "Vietnamese, decomposed (e + dot below + circumflex)", "e\u0323\u0302" },
        { "Thai consonant + vowel + tone mark", "กี่" },
        { "Thai with sara am", "น้ำ" },
        { "Devanagari syllable with vowel sign and nasal", "तां" },
        { "Devanagari consonant with virama", "स्" },
        { "Hebrew with dagesh, vowel and cantillation", "בּ\u05B8\u0591" },
        { "Tibetan stack", "སྒྲུ" },
        { "ZWJ family", "👨‍👩‍👧‍👦" },
        { "ZWJ family with skin tones (11 code points)", "👩🏽‍👩🏽‍👧🏽‍👦🏽" },
        { "kiss with skin tones", "👩🏻‍❤️‍💋‍👨🏼" },
        { "flag", "🇨🇳" },
        { "subdivision flag (7 code points)", "🏴󠁧󠁢󠁥󠁮󠁧󠁿" },
        { "keycap", "#️⃣" },
        { "transgender flag (two variation selectors)", "🏳️‍⚧️" },
    };

    [Theory]
    [MemberData(nameof(RealCharacters))]
    public void Real_characters_of_every_script_count_one_and_are_accepted(string why, string character)
    {
        var found = Title.Inspect(character);
        Assert.True(found.Accepted, $"{why}: {found}");
        Assert.Equal(1, found.Characters);
    }

    [Fact]
    public void Real_prose_fits_its_byte_budget_at_full_length()
    {
        // Measured averages (bytes per character): these scripts' prose stays well inside 8 bytes a character.
        foreach (var prose in new[]
        {
            "नमस्ते दुनिया, यह एक परीक्षण है। स्वतंत्रता दिवस पर राष्ट्रपति का संदेश।",
            "வணக்கம் உலகம், இது ஒரு சோதனை. தமிழ் மொழி மிகவும் பழமையானது",
            "สวัสดีชาวโลก นี่คือการทดสอบ ภาษาไทยมีวรรณยุกต์",
            "བསྒྲུབས་ཀྱི་སྐད་ཡིག་ནི་",
            "Tiếng Việt có dấu: người, được, chuyện, nghiêng".Normalize(NormalizationForm.FormD),
            "经济基础第19章考点梳理 👍🏽🇨🇳",
        })
        {
            var full = Description.Inspect(Repeat(prose, 2000 / new System.Globalization.StringInfo(prose).LengthInTextElements));
            Assert.True(full.Accepted, $"{prose}: {full}");
        }
    }

    [Fact]
    public void A_combining_mark_bomb_is_one_character_but_refused()
    {
        var bomb = "a" + new string('\u0301', 100_000);
        var found = Title.Inspect(bomb);
        Assert.Equal(TextProblem.OverloadedCharacter, found.Problem);
        Assert.Equal(1, found.Position);
        var error = Title.Check(bomb);
        Assert.Equal("title", error!.Field);
        Assert.Contains("组合符号", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(8, true)]
    [InlineData(9, false)]
    public void At_most_eight_combining_marks_in_one_character(int marks, bool accepted) =>
        Assert.Equal(accepted, Title.Inspect("a" + new string('\u0301', marks)).Accepted);

    [Fact]
    public void At_most_sixteen_code_points_in_one_character()
    {
        // A ZWJ chain of 8 emoji is 15 code points; 9 are 17.
        Assert.True(Title.Inspect(string.Join('\u200D', Enumerable.Repeat("😀", 8))).Accepted);
        Assert.Equal(TextProblem.OverloadedCharacter, Title.Inspect(string.Join('\u200D', Enumerable.Repeat("😀", 9))).Problem);
    }

    [Fact]
    public void The_byte_bound_is_eight_bytes_a_character()
    {
        Assert.Equal(800, Title.MaxBytes);
        Assert.Equal(2400, Text.MaxBytes);
        Assert.True(Title.Inspect(Repeat("👍🏽", 100)).Accepted); // 100 characters, 800 bytes
        Assert.True(Title.Inspect(Repeat("👨‍👩‍👧‍👦", 32)).Accepted); // 32 characters, 800 bytes
        var families = Title.Inspect(Repeat("👨‍👩‍👧‍👦", 33));
        Assert.Equal((TextProblem.TooManyBytes, 33, 825), (families.Problem, families.Characters, families.Bytes));
        Assert.Contains("最多 800 字节", Title.Check(Repeat("👨‍👩‍👧‍👦", 33))!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Characters_are_counted_as_a_person_counts_them()
    {
        Assert.True(Title.Inspect(Repeat("经", 100)).Accepted);
        var tooLong = Title.Inspect(Repeat("经", 101));
        Assert.Equal((TextProblem.TooManyCharacters, 101), (tooLong.Problem, tooLong.Characters));
        Assert.Equal(TextProblem.TooManyCharacters, Title.Inspect(new string('a', 200_000)).Problem);
    }

    public static TheoryData<string> BlankTexts() => new()
    {
        "",
        "   ",
        "\u3000",
        "\u200B\u200C\u200D\uFEFF",
        "\u2060\u00AD",
        "\u3164\u115F",
        "\u2800",
        " \u034F ",
    };

    [Theory]
    [MemberData(nameof(BlankTexts))]
    public void Text_that_shows_nothing_is_refused_as_empty(string blank)
    {
        Assert.Equal(TextProblem.Empty, Title.Inspect(blank).Problem);
        Assert.Equal(TextProblem.Empty, Text.Inspect(blank).Problem);
        // An optional field takes it as nothing.
        Assert.True(Description.Inspect(blank).Accepted);
    }

    [Fact]
    public void A_zero_width_joiner_between_visible_characters_is_fine() =>
        Assert.True(Title.Inspect("a\u200Db").Accepted);

    [Theory]
    [InlineData("\u0000")]
    [InlineData("a\u0000")]
    [InlineData("第19章\n考点")]
    [InlineData("第19章\r考点")]
    [InlineData("第19章\t考点")]
    [InlineData("a\u2028b")]
    [InlineData("a\u0085b")]
    [InlineData("a\u001Bb")]
    public void A_single_line_field_refuses_every_control_character_and_line_break(string text)
    {
        var found = Title.Inspect(text);
        Assert.Equal(TextProblem.ForbiddenCharacter, found.Problem);
        Assert.Equal("title", Title.Check(text)!.Field);
    }

    [Fact]
    public void A_multi_line_field_keeps_line_feeds_and_tabs_only()
    {
        Assert.True(Text.Inspect("第一段\n\n第二段\t结束").Accepted);
        Assert.Equal((TextProblem.ForbiddenCharacter, 0x0D), (Text.Inspect("a\r\nb").Problem, Text.Inspect("a\r\nb").CodePoint));
        Assert.Equal(TextProblem.ForbiddenCharacter, Text.Inspect("\u0000").Problem);
        Assert.Equal(TextProblem.ForbiddenCharacter, Text.Inspect("a\u0007b").Problem);
        Assert.Contains("U+0000", Text.Check("\u0000")!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_lone_surrogate_is_not_text()
    {
        Assert.Equal(TextProblem.InvalidText, Title.Inspect("a\uD83D").Problem);
        Assert.Equal(TextProblem.InvalidText, Title.Inspect("\uDE00b").Problem);
    }

    [Theory]
    [InlineData("s_0196f0c2a1b27c3d8e9f0a1b2c3d4e5f")]
    [InlineData("u_demo_wanhongcoco")]
    [InlineData("s_demo_test2")]
    [InlineData("3fa85f64-5717-4562-b3fc-2c963f66afa6")]
    [InlineData("req-1")]
    [InlineData("12345")]
    public void Ids_of_every_existing_shape_are_accepted(string id) => Assert.Null(Id.Check(id));

    [Theory]
    [InlineData("")]
    [InlineData("s_1\n")]
    [InlineData("s_1\u0000")]
    [InlineData("s 1")]
    [InlineData("s_1\u200B")]
    [InlineData("s_1\u202E")]
    [InlineData("s_1\u2028")]
    public void Ids_refuse_empty_spaces_controls_and_format_characters(string id) =>
        Assert.Equal("session_id", Id.Check(id)!.Field);

    [Fact]
    public void Ids_are_bounded_in_bytes()
    {
        Assert.Null(Id.Check(new string('x', 64)));
        Assert.Equal(TextProblem.TooManyBytes, Id.Inspect(new string('x', 65)).Problem);
        Assert.Equal(TextProblem.TooManyBytes, Id.Inspect(Repeat("经", 22)).Problem); // 22 characters, 66 bytes
        Assert.Null(TextRule.Id("request_id", required: false).Check(""));
    }

    [Fact]
    public void A_check_names_the_field_it_is_asked_for() =>
        Assert.Equal("chapter_titles[3]", Title.Check("", "chapter_titles[3]")!.Field);

    [Fact]
    public void Quoting_a_value_in_a_message_bounds_it_and_escapes_controls()
    {
        Assert.Equal("Asia/Shanghai", TextRule.Quote("Asia/Shanghai"));
        Assert.Equal("a\\u000Ab", TextRule.Quote("a\nb"));
        Assert.Equal(new string('x', 64) + "…", TextRule.Quote(new string('x', 200_000)));
    }
}
