using System.Text;

namespace LearnHub.Core.Common;

/// <summary>
/// The form names are searched in, computed in C# on both sides (stored keys and the query), because SQLite's lower()
/// and LIKE fold ASCII only and PostgreSQL's depend on the database's locale: ÉLODIE finds élodie, ΣΟΦΊΑ finds Σοφία.
/// </summary>
public static class SearchKey
{
    /// <summary>
    /// Compatibility-normalized (NFKC: full-width Ｃｏｃｏ is Coco, ﬁ is fi), lower-cased with the invariant culture's
    /// Unicode mapping, with the two foldings lower-casing misses: final sigma ς → σ (ΟΔΥΣΣΕΎΣ finds Οδυσσεύς) and
    /// ß → ss. Accents are kept: 'elodie' does not find 'élodie'.
    /// </summary>
    public static string Of(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }
        var lowered = Normalize(text).ToLowerInvariant()
            .Replace('ς', 'σ')
            .Replace("ß", "ss", StringComparison.Ordinal);
        // Lower-casing can leave a sequence that composes differently (e.g. a capital with a combining mark).
        return Normalize(lowered);
    }

    private static string Normalize(string text)
    {
        try
        {
            return text.Normalize(NormalizationForm.FormKC);
        }
        catch (ArgumentException)
        {
            // A lone surrogate cannot be normalized; the text rules refuse such input before a search, so keep it as is.
            return text;
        }
    }
}
