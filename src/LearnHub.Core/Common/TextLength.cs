using System.Globalization;

namespace LearnHub.Core.Common;

/// <summary>Counts text as a person does: one Chinese character, one emoji (even a joined family) is one.</summary>
public static class TextLength
{
    public static int Count(string text) => new StringInfo(text).LengthInTextElements;

    /// <summary>The first <paramref name="characters"/> characters of <paramref name="text"/>, never splitting one (a joined emoji stays whole).</summary>
    public static string Prefix(string text, int characters)
    {
        ArgumentNullException.ThrowIfNull(text);
        var length = 0;
        for (var taken = 0; taken < characters && length < text.Length; taken++)
        {
            length += StringInfo.GetNextTextElementLength(text.AsSpan(length));
        }
        return text[..length];
    }
}
