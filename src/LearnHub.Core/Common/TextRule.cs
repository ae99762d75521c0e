using System.Globalization;
using System.Text;

namespace LearnHub.Core.Common;

/// <summary>What a text field may hold besides printable text.</summary>
public enum TextKind
{
    /// <summary>Titles, names, reasons, search queries: no control character at all, no line or paragraph separator.</summary>
    SingleLine,

    /// <summary>Descriptions and broadcast text: line feeds and tabs, no other control character.</summary>
    MultiLine,

    /// <summary>Ids (ours, like <c>s_…</c>, <c>u_demo_wanhongcoco</c>, and clients' request ids): no space, control, format or separator character.</summary>
    Identifier,
}

/// <summary>Why a text was refused; <see cref="TextProblem.None"/> when it was not.</summary>
public enum TextProblem
{
    None,

    /// <summary>Missing, or nothing left after removing whitespace, control and format characters (e.g. only U+200B).</summary>
    Empty,

    TooManyCharacters,

    TooManyBytes,

    /// <summary>One character (grapheme) stacks more code points or combining marks than any real script needs.</summary>
    OverloadedCharacter,

    /// <summary>A control character (a line break in a single-line field), or a space/format character in an id.</summary>
    ForbiddenCharacter,

    /// <summary>A lone UTF-16 surrogate: not text at all.</summary>
    InvalidText,
}

/// <summary>What <see cref="TextRule.Inspect"/> found.</summary>
/// <param name="Characters">Characters as a person counts them (grapheme clusters).</param>
/// <param name="Bytes">The text's UTF-8 length.</param>
/// <param name="Position">For a character problem, which character (1-based) is at fault.</param>
/// <param name="CodePoint">For a forbidden character, the code point (e.g. 0x0A).</param>
public readonly record struct TextInspection(TextProblem Problem, int Characters, int Bytes, int Position = 0, int CodePoint = 0)
{
    public bool Accepted => Problem == TextProblem.None;
}

/// <summary>
/// The limits of one text field, the same for the API and the admin console: 1–N characters counted as a person counts
/// them, no more than N characters' worth of UTF-8 bytes, no character stacked beyond what real text needs, no control
/// characters a field of its kind cannot show, and never blank.
/// </summary>
/// <param name="Field">The request field as the API spells it (snake_case); a check may name another (e.g. chapter_titles[3]).</param>
/// <param name="Name">The field's Chinese name for messages, e.g. 标题.</param>
/// <param name="EnglishName">The field's English name for messages, e.g. title.</param>
/// <param name="MaxCharacters">At most this many characters (grapheme clusters).</param>
public sealed record TextRule(string Field, string Name, string EnglishName, int MaxCharacters, TextKind Kind = TextKind.SingleLine, bool Required = true)
{
    /// <summary>
    /// The UTF-8 budget of one character, so that a field never carries more than its limit's worth: CJK takes 3 bytes,
    /// scripts written with combining marks average under 5 (measured: Devanagari, Tamil and Thai prose about 3.9, Tibetan
    /// 4.8), a single emoji 4 and one with a skin tone or a flag 8, so a whole field of any of these fits. Text that averages
    /// more is built of long ZWJ sequences or stacked marks: a title of 100 family emoji (25 bytes each) is refused by
    /// bytes although it counts 100 characters.
    /// </summary>
    public const int BytesPerCharacter = 8;

    /// <summary>
    /// Code points in one character. The longest real ones: an emoji family or couple with skin tones (11, e.g.
    /// 👩🏽‍👩🏽‍👧🏽‍👦🏽), a subdivision flag (7, 🏴 + tags), a Devanagari conjunct with its vowel sign and nasal (up to about 9
    /// where a segmenter joins conjuncts), Tibetan stacks (4–5), Vietnamese or Hebrew with all marks decomposed (3–5).
    /// 16 leaves room for all of them; 'a' followed by 100,000 U+0301 is one character of 100,001 code points.
    /// </summary>
    public const int MaxCodePointsPerCharacter = 16;

    /// <summary>
    /// Combining marks (Mn, Mc, Me) in one character: Vietnamese needs 2, Thai 2, Hebrew with cantillation 3–4, Devanagari
    /// conjuncts up to 5, keycap and flag emoji 2; 8 stops "Zalgo" stacks that paint over neighbouring lines.
    /// </summary>
    public const int MaxMarksPerCharacter = 8;

    /// <summary>At most this many UTF-8 bytes: <see cref="MaxCharacters"/> × <see cref="BytesPerCharacter"/> unless set.</summary>
    public int MaxBytes { get; init; } = MaxCharacters * BytesPerCharacter;

    /// <summary>A rule for ids: 1–<paramref name="maxBytes"/> bytes of visible characters (ours are ASCII, so bytes are characters).</summary>
    public static TextRule Id(string field, int maxBytes = 64, bool required = true)
    {
        var (name, englishName) = IdNames(field);
        return new(field, name, englishName, maxBytes, TextKind.Identifier, required) { MaxBytes = maxBytes };
    }

    /// <summary>Checks <paramref name="text"/>; null when it is accepted, else the refusal naming <paramref name="field"/> (default <see cref="Field"/>).</summary>
    /// <remarks>The message is in the current UI culture's language (<see cref="LocalizedText"/>).</remarks>
    public FieldError? Check(string? text, string? field = null)
    {
        var found = Inspect(text);
        return found.Accepted ? null : new FieldError(field ?? Field, Describe(found), ReasonOf(found.Problem));
    }

    /// <summary>The stable reason of a problem: FIELD_REQUIRED, FIELD_TOO_LONG, FIELD_BAD_CHARACTER or FIELD_INVALID.</summary>
    public static string ReasonOf(TextProblem problem) => problem switch
    {
        TextProblem.Empty => FieldError.Required,
        TextProblem.TooManyCharacters or TextProblem.TooManyBytes => FieldError.TooLong,
        TextProblem.OverloadedCharacter or TextProblem.ForbiddenCharacter => FieldError.BadCharacter,
        _ => FieldError.Invalid,
    };

    /// <summary>Measures and judges <paramref name="text"/> without I/O, one pass over its characters.</summary>
    public TextInspection Inspect(string? text)
    {
        text ??= "";
        if (text.Length == 0)
        {
            return new(Required ? TextProblem.Empty : TextProblem.None, 0, 0);
        }
        var bytes = 0;
        var characters = 0;
        var visible = false;
        var rest = text.AsSpan();
        while (!rest.IsEmpty)
        {
            var length = StringInfo.GetNextTextElementLength(rest);
            var element = rest[..length];
            rest = rest[length..];
            characters++;
            var codePoints = 0;
            var marks = 0;
            var elementRest = element;
            while (!elementRest.IsEmpty)
            {
                if (Rune.DecodeFromUtf16(elementRest, out var rune, out var used) != System.Buffers.OperationStatus.Done)
                {
                    return new(TextProblem.InvalidText, characters, bytes, characters);
                }
                elementRest = elementRest[used..];
                codePoints++;
                bytes += rune.Utf8SequenceLength;
                var category = Rune.GetUnicodeCategory(rune);
                if (IsForbidden(rune, category))
                {
                    return new(TextProblem.ForbiddenCharacter, characters, bytes, characters, rune.Value);
                }
                marks += category is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark ? 1 : 0;
                if (codePoints > MaxCodePointsPerCharacter || marks > MaxMarksPerCharacter)
                {
                    // A mark bomb ('a' + 100,000 × U+0301) is refused here, without reading the rest of it.
                    return new(TextProblem.OverloadedCharacter, characters, bytes, characters);
                }
                visible |= !IsInvisible(rune, category);
            }
        }
        if (characters > MaxCharacters && Kind != TextKind.Identifier)
        {
            return new(TextProblem.TooManyCharacters, characters, bytes);
        }
        if (bytes > MaxBytes)
        {
            return new(TextProblem.TooManyBytes, characters, bytes);
        }
        return new(visible || !Required ? TextProblem.None : TextProblem.Empty, characters, bytes);
    }

    /// <summary>The refusal in the current UI culture's language: Chinese (full-width punctuation) or English.</summary>
    public string Describe(TextInspection found) => LocalizedText.CurrentIsEnglish ? DescribeInEnglish(found) : DescribeInChinese(found);

    private string DescribeInChinese(TextInspection found) => found.Problem switch
    {
        TextProblem.None => "",
        TextProblem.Empty or TextProblem.TooManyBytes or TextProblem.TooManyCharacters when Kind == TextKind.Identifier =>
            $"{Name}无效，须为 1–{MaxBytes} 字节的可见字符。",
        TextProblem.Empty => $"{Name}不能为空，须为 1–{MaxCharacters} 个字符。",
        TextProblem.TooManyCharacters => $"{Name}最多 {MaxCharacters} 个字符，当前 {found.Characters} 个。",
        TextProblem.TooManyBytes => $"{Name}最多 {MaxBytes} 字节（UTF-8），当前 {found.Bytes} 字节。",
        TextProblem.OverloadedCharacter => $"{Name}的第 {found.Position} 个字符叠加了过多的组合符号。",
        TextProblem.ForbiddenCharacter => Kind switch
        {
            TextKind.Identifier => $"{Name}只能包含可见字符，第 {found.Position} 个字符是 U+{found.CodePoint:X4}。",
            TextKind.SingleLine when IsLineBreak(found.CodePoint) => $"{Name}不能换行。",
            _ => $"{Name}不能包含控制字符 U+{found.CodePoint:X4}（第 {found.Position} 个字符）。",
        },
        TextProblem.InvalidText => $"{Name}包含无效的字符（第 {found.Position} 个）。",
        _ => throw new ArgumentOutOfRangeException(nameof(found), found.Problem, null),
    };

    private string DescribeInEnglish(TextInspection found) => found.Problem switch
    {
        TextProblem.None => "",
        TextProblem.Empty or TextProblem.TooManyBytes or TextProblem.TooManyCharacters when Kind == TextKind.Identifier =>
            $"The {EnglishName} must be 1–{MaxBytes} bytes of visible characters.",
        TextProblem.Empty => $"The {EnglishName} is required (1 to {MaxCharacters} characters).",
        TextProblem.TooManyCharacters => $"The {EnglishName} can be at most {MaxCharacters} characters; it has {found.Characters}.",
        TextProblem.TooManyBytes => $"The {EnglishName} can be at most {MaxBytes} bytes of UTF-8; it has {found.Bytes}.",
        TextProblem.OverloadedCharacter => $"Character {found.Position} of the {EnglishName} stacks too many combining marks.",
        TextProblem.ForbiddenCharacter => Kind switch
        {
            TextKind.Identifier => $"The {EnglishName} may contain only visible characters; character {found.Position} is U+{found.CodePoint:X4}.",
            TextKind.SingleLine when IsLineBreak(found.CodePoint) => $"The {EnglishName} must be a single line.",
            _ => $"The {EnglishName} must not contain the control character U+{found.CodePoint:X4} (character {found.Position}).",
        },
        TextProblem.InvalidText => $"The {EnglishName} is not valid text (character {found.Position}).",
        _ => throw new ArgumentOutOfRangeException(nameof(found), found.Problem, null),
    };

    /// <summary>How messages name an id field: "直播编号" / "session id" for session_id; "编号" / "id" when unknown.</summary>
    private static (string Name, string EnglishName) IdNames(string field) => field switch
    {
        "session_id" => ("直播编号", "session id"),
        "course_id" => ("课程编号", "course id"),
        "chapter_id" or "from_chapter_id" => ("章节编号", "chapter id"),
        "user_id" or "sub" => ("用户编号", "user id"),
        "creator_id" => ("创作者编号", "creator id"),
        "instructor_id" => ("讲师编号", "instructor id"),
        "broadcast_id" => ("群发编号", "broadcast id"),
        "message_id" => ("消息编号", "message id"),
        "report_id" => ("举报编号", "report id"),
        "request_id" => ("请求编号", "request id"),
        _ when field.StartsWith("notification_ids", StringComparison.Ordinal) => ("通知编号", "notification id"),
        _ when field.StartsWith("message_ids", StringComparison.Ordinal) => ("消息编号", "message id"),
        _ when field.StartsWith("chapter_ids", StringComparison.Ordinal) => ("章节编号", "chapter id"),
        _ => ("编号", "id"),
    };

    /// <summary>
    /// A value safe to quote in a message: itself when it is a short single line, else its first characters, escaped.
    /// Refusals echo what was sent (an unknown time zone, a role) and must not carry a 200 KB value or a forged line.
    /// </summary>
    public static string Quote(string? value, int maxCharacters = 64)
    {
        value ??= "";
        var builder = new StringBuilder();
        foreach (var rune in value.EnumerateRunes())
        {
            if (builder.Length >= maxCharacters)
            {
                return builder.Append('…').ToString();
            }
            var category = Rune.GetUnicodeCategory(rune);
            if (category is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator)
            {
                builder.Append(CultureInfo.InvariantCulture, $"\\u{rune.Value:X4}");
            }
            else
            {
                builder.Append(rune.ToString());
            }
        }
        return builder.ToString();
    }

    private bool IsForbidden(Rune rune, UnicodeCategory category) => Kind switch
    {
        TextKind.MultiLine => category == UnicodeCategory.Control && rune.Value is not ('\n' or '\t'),
        TextKind.SingleLine => category is UnicodeCategory.Control or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator,
        _ => category is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.SpaceSeparator
            or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator || Rune.IsWhiteSpace(rune),
    };

    private static bool IsLineBreak(int codePoint) => codePoint is '\n' or '\r' or '\v' or '\f' or 0x85 or 0x2028 or 0x2029;

    /// <summary>
    /// Characters that show nothing: whitespace, controls, format characters (U+200B–U+200D, U+FEFF, bidi marks…), and
    /// the few letters and marks that render blank (Hangul fillers, the combining grapheme joiner, variation selectors,
    /// the blank braille pattern), which are used to fake a non-empty text.
    /// </summary>
    private static bool IsInvisible(Rune rune, UnicodeCategory category) =>
        Rune.IsWhiteSpace(rune)
        || category is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
        || rune.Value is 0x034F or 0x115F or 0x1160 or 0x3164 or 0xFFA0 or 0x2800 or (>= 0x180B and <= 0x180F)
            or (>= 0xFE00 and <= 0xFE0F) or (>= 0xE0100 and <= 0xE01EF);
}
