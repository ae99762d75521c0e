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

    /// <summary>A major city and the zone it keeps: its Chinese and English names.</summary>
    public sealed record City(string Chinese, string English, string ZoneId);

    /// <summary>Cities a user may type to find a zone (a zone may have several; the first one names it).</summary>
    public static IReadOnlyList<City> Cities { get; } =
    [
        new("北京", "Beijing", "Asia/Shanghai"),
        new("上海", "Shanghai", "Asia/Shanghai"),
        new("广州", "Guangzhou", "Asia/Shanghai"),
        new("深圳", "Shenzhen", "Asia/Shanghai"),
        new("成都", "Chengdu", "Asia/Shanghai"),
        new("重庆", "Chongqing", "Asia/Shanghai"),
        new("武汉", "Wuhan", "Asia/Shanghai"),
        new("杭州", "Hangzhou", "Asia/Shanghai"),
        new("南京", "Nanjing", "Asia/Shanghai"),
        new("西安", "Xi'an", "Asia/Shanghai"),
        new("天津", "Tianjin", "Asia/Shanghai"),
        new("乌鲁木齐", "Urumqi", "Asia/Urumqi"),
        new("香港", "Hong Kong", "Asia/Hong_Kong"),
        new("澳门", "Macau", "Asia/Macau"),
        new("台北", "Taipei", "Asia/Taipei"),
        new("东京", "Tokyo", "Asia/Tokyo"),
        new("大阪", "Osaka", "Asia/Tokyo"),
        new("首尔", "Seoul", "Asia/Seoul"),
        new("新加坡", "Singapore", "Asia/Singapore"),
        new("吉隆坡", "Kuala Lumpur", "Asia/Kuala_Lumpur"),
        new("曼谷", "Bangkok", "Asia/Bangkok"),
        new("雅加达", "Jakarta", "Asia/Jakarta"),
        new("马尼拉", "Manila", "Asia/Manila"),
        new("胡志明市", "Ho Chi Minh City", "Asia/Ho_Chi_Minh"),
        new("河内", "Hanoi", "Asia/Bangkok"),
        new("新德里", "New Delhi", "Asia/Kolkata"),
        new("孟买", "Mumbai", "Asia/Kolkata"),
        new("加尔各答", "Kolkata", "Asia/Kolkata"),
        new("卡拉奇", "Karachi", "Asia/Karachi"),
        new("迪拜", "Dubai", "Asia/Dubai"),
        new("利雅得", "Riyadh", "Asia/Riyadh"),
        new("德黑兰", "Tehran", "Asia/Tehran"),
        new("伊斯坦布尔", "Istanbul", "Europe/Istanbul"),
        new("莫斯科", "Moscow", "Europe/Moscow"),
        new("伦敦", "London", "Europe/London"),
        new("都柏林", "Dublin", "Europe/Dublin"),
        new("巴黎", "Paris", "Europe/Paris"),
        new("柏林", "Berlin", "Europe/Berlin"),
        new("法兰克福", "Frankfurt", "Europe/Berlin"),
        new("慕尼黑", "Munich", "Europe/Berlin"),
        new("马德里", "Madrid", "Europe/Madrid"),
        new("罗马", "Rome", "Europe/Rome"),
        new("米兰", "Milan", "Europe/Rome"),
        new("阿姆斯特丹", "Amsterdam", "Europe/Amsterdam"),
        new("布鲁塞尔", "Brussels", "Europe/Brussels"),
        new("苏黎世", "Zurich", "Europe/Zurich"),
        new("维也纳", "Vienna", "Europe/Vienna"),
        new("斯德哥尔摩", "Stockholm", "Europe/Stockholm"),
        new("华沙", "Warsaw", "Europe/Warsaw"),
        new("雅典", "Athens", "Europe/Athens"),
        new("基辅", "Kyiv", "Europe/Kyiv"),
        new("开罗", "Cairo", "Africa/Cairo"),
        new("约翰内斯堡", "Johannesburg", "Africa/Johannesburg"),
        new("拉各斯", "Lagos", "Africa/Lagos"),
        new("内罗毕", "Nairobi", "Africa/Nairobi"),
        new("纽约", "New York", "America/New_York"),
        new("华盛顿", "Washington", "America/New_York"),
        new("波士顿", "Boston", "America/New_York"),
        new("多伦多", "Toronto", "America/Toronto"),
        new("芝加哥", "Chicago", "America/Chicago"),
        new("休斯顿", "Houston", "America/Chicago"),
        new("丹佛", "Denver", "America/Denver"),
        new("凤凰城", "Phoenix", "America/Phoenix"),
        new("洛杉矶", "Los Angeles", "America/Los_Angeles"),
        new("旧金山", "San Francisco", "America/Los_Angeles"),
        new("西雅图", "Seattle", "America/Los_Angeles"),
        new("温哥华", "Vancouver", "America/Vancouver"),
        new("安克雷奇", "Anchorage", "America/Anchorage"),
        new("檀香山", "Honolulu", "Pacific/Honolulu"),
        new("墨西哥城", "Mexico City", "America/Mexico_City"),
        new("圣保罗", "São Paulo", "America/Sao_Paulo"),
        new("布宜诺斯艾利斯", "Buenos Aires", "America/Argentina/Buenos_Aires"),
        new("圣地亚哥", "Santiago", "America/Santiago"),
        new("利马", "Lima", "America/Lima"),
        new("波哥大", "Bogotá", "America/Bogota"),
        new("悉尼", "Sydney", "Australia/Sydney"),
        new("墨尔本", "Melbourne", "Australia/Melbourne"),
        new("布里斯班", "Brisbane", "Australia/Brisbane"),
        new("珀斯", "Perth", "Australia/Perth"),
        new("阿德莱德", "Adelaide", "Australia/Adelaide"),
        new("奥克兰", "Auckland", "Pacific/Auckland"),
        new("协调世界时", "UTC", "UTC"),
    ];

    /// <summary>One answer of <see cref="Search"/>: the zone, and the city the text matched (null when it matched the id).</summary>
    public sealed record Match(string ZoneId, City? City);

    private static readonly Lazy<string[]> Known = new(() => TimeZoneInfo.GetSystemTimeZones()
        .Where(z => z.HasIanaId && (z.Id.Contains('/', StringComparison.Ordinal) || z.Id == "UTC"))
        .Select(z => z.Id)
        .Order(StringComparer.Ordinal)
        .ToArray());

    /// <summary>Every IANA zone this machine knows, sorted.</summary>
    public static IReadOnlyList<string> All => Known.Value;

    /// <summary>
    /// Zones for what a user typed: cities whose Chinese or English name contains it (names starting with it first),
    /// then zone ids containing it (spaces match underscores, so "new york" finds America/New_York). One answer per
    /// zone. No text: the cities' zones, then every other zone.
    /// </summary>
    public static IReadOnlyList<Match> Search(string? text)
    {
        var query = (text ?? string.Empty).Trim();
        var found = new List<Match>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Add(string id, City? city)
        {
            if (Known.Value.Contains(id, StringComparer.Ordinal) && seen.Add(id))
            {
                found.Add(new Match(id, city));
            }
        }
        if (query.Length == 0)
        {
            foreach (var city in Cities)
            {
                Add(city.ZoneId, city);
            }
            foreach (var id in Known.Value)
            {
                Add(id, null);
            }
            return found;
        }
        var cities = Cities
            .Select(c => (City: c, Rank: Math.Min(Rank(c.Chinese, query), Rank(c.English, query))))
            .Where(c => c.Rank < int.MaxValue)
            .OrderBy(c => c.Rank);
        foreach (var (city, _) in cities)
        {
            Add(city.ZoneId, city);
        }
        var asId = query.Replace(' ', '_');
        foreach (var id in Known.Value.Where(z => z.Contains(asId, StringComparison.OrdinalIgnoreCase)))
        {
            Add(id, null);
        }
        return found;
    }

    /// <summary>The city that names a zone in the list (the first listed for it), or null.</summary>
    public static City? CityOf(string? zoneId) => Cities.FirstOrDefault(c => string.Equals(c.ZoneId, zoneId, StringComparison.Ordinal));

    /// <summary>"UTC+08:00" for the zone's offset at <paramref name="at"/>.</summary>
    public static string OffsetLabel(TimeZoneInfo zone, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(zone);
        var offset = zone.GetUtcOffset(at);
        var sign = offset < TimeSpan.Zero ? "-" : "+";
        return $"UTC{sign}{Math.Abs(offset.Hours):00}:{Math.Abs(offset.Minutes):00}";
    }

    // 0 = the name starts with the text, 1 = contains it, MaxValue = no match.
    private static int Rank(string name, string query) =>
        name.StartsWith(query, StringComparison.OrdinalIgnoreCase) ? 0
        : name.Contains(query, StringComparison.OrdinalIgnoreCase) ? 1
        : int.MaxValue;
}
