using System.Globalization;

namespace LearnHub.Core.Common;

/// <summary>Counts text as a person does: one Chinese character, one emoji (even a joined family) is one.</summary>
public static class TextLength
{
    public static int Count(string text) => new StringInfo(text).LengthInTextElements;
}
