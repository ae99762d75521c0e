using System.Diagnostics.CodeAnalysis;

namespace LearnHub.Core.Common;

/// <summary>IANA time zones: the only ids the product accepts, stores and shows.</summary>
public static class TimeZones
{
    public const string PlatformDefault = "Asia/Shanghai";

    /// <summary>Finds an IANA zone; Windows ids and abbreviations are refused so stored ids stay portable.</summary>
    public static bool TryFind(string? id, [NotNullWhen(true)] out TimeZoneInfo? zone)
    {
        zone = null;
        if (string.IsNullOrWhiteSpace(id) || id.Length > 64 || !id.Contains('/', StringComparison.Ordinal) && id != "UTC")
        {
            return false;
        }
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(id, out var found) || !found.HasIanaId)
        {
            return false;
        }
        zone = found;
        return true;
    }

    public static TimeZoneInfo FindOrDefault(string? id) =>
        TryFind(id, out var zone) ? zone : TimeZoneInfo.FindSystemTimeZoneById(PlatformDefault);
}
