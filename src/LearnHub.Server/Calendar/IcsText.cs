using System.Globalization;
using System.Text;

namespace LearnHub.Server.Calendar;

/// <summary>
/// Text made fit for an iCalendar TEXT value before the serializer escapes it (RFC 5545 §3.3.11): backslash, comma,
/// semicolon and line breaks have escapes; other control characters have none and are dropped, so no NUL, escape or
/// bare carriage return reaches a calendar app. Each value is also cut to a byte budget, keeping a feed's size bounded.
/// </summary>
public static class IcsText
{
    private const string Ellipsis = "…";

    /// <summary>A multi-line value (a description): line breaks kept, as "\n" in the feed.</summary>
    public static string MultiLine(string? value, int maxBytes) => Clean(value, maxBytes, keepLineBreaks: true);

    /// <summary>A one-line value (a summary, the calendar's name): line breaks become spaces.</summary>
    public static string SingleLine(string? value, int maxBytes) => Clean(value, maxBytes, keepLineBreaks: false);

    private static string Clean(string? value, int maxBytes, bool keepLineBreaks)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }
        var kept = new StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '\r' || c == '\n' || c == '\u2028' || c == '\u2029' || c == '\u0085')
            {
                // \r\n counts once.
                if (c == '\r' && i + 1 < value.Length && value[i + 1] == '\n')
                {
                    i++;
                }
                kept.Append(keepLineBreaks ? '\n' : ' ');
            }
            else if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                kept.Append(c).Append(value[++i]);
            }
            else if (c == '\t' || !(char.IsControl(c) || char.IsSurrogate(c)))
            {
                kept.Append(c);
            }
        }
        return Truncate(kept.ToString(), maxBytes);
    }

    /// <summary>At most <paramref name="maxBytes"/> UTF-8 bytes, cut between whole characters as a person sees them.</summary>
    private static string Truncate(string text, int maxBytes)
    {
        if (Encoding.UTF8.GetByteCount(text) <= maxBytes)
        {
            return text;
        }
        var budget = maxBytes - Encoding.UTF8.GetByteCount(Ellipsis);
        var cut = new StringBuilder();
        var used = 0;
        var elements = StringInfo.GetTextElementEnumerator(text);
        while (elements.MoveNext())
        {
            var element = elements.GetTextElement();
            var size = Encoding.UTF8.GetByteCount(element);
            if (used + size > budget)
            {
                break;
            }
            cut.Append(element);
            used += size;
        }
        return cut.Append(Ellipsis).ToString();
    }
}
