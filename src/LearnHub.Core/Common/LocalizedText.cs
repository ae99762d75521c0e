using System.Globalization;

namespace LearnHub.Core.Common;

/// <summary>
/// A user-visible text in the two languages LearnHub speaks: zh-CN (the default) and English. The language is
/// <see cref="CultureInfo.CurrentUICulture"/> at the moment the text is formatted: the API sets it per call from the
/// caller's saved language or <c>accept-language</c>, the console per user, so the same rules speak either's language.
/// </summary>
public readonly record struct LocalizedText(string ZhCn, string En)
{
    public static readonly CultureInfo Chinese = CultureInfo.GetCultureInfo("zh-CN");

    public static readonly CultureInfo English = CultureInfo.GetCultureInfo("en");

    /// <summary>The text in the current UI culture's language.</summary>
    public string Current => In(CultureInfo.CurrentUICulture);

    /// <summary>The text in <paramref name="culture"/>'s language: English for any en culture, else Chinese.</summary>
    public string In(CultureInfo culture) => IsEnglish(culture) ? En : ZhCn;

    public override string ToString() => Current;

    /// <summary><paramref name="zhCn"/> or <paramref name="en"/>, as the current UI culture speaks.</summary>
    public static string Pick(string zhCn, string en) => IsEnglish(CultureInfo.CurrentUICulture) ? en : zhCn;

    /// <summary>True when the current UI culture is English (so messages are English).</summary>
    public static bool CurrentIsEnglish => IsEnglish(CultureInfo.CurrentUICulture);

    /// <summary>The BCP 47 locale of messages in <paramref name="culture"/>'s language: "en" or "zh-CN".</summary>
    public static string LocaleOf(CultureInfo culture) => IsEnglish(culture) ? "en" : "zh-CN";

    public static bool IsEnglish(CultureInfo culture) => culture.TwoLetterISOLanguageName == "en";

    /// <summary>
    /// Several messages as one: Chinese sentences are joined without spaces (each ends in 。), English ones with a space.
    /// </summary>
    public static string Join(IEnumerable<string> messages) => string.Join(CurrentIsEnglish ? " " : "", messages);
}
