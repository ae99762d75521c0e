using System.Globalization;
using Dapper;
using LearnHub.Core.Common;
using LearnHub.Server.Data;
using LearnHub.Server.Sessions;
using Microsoft.Extensions.Options;

namespace LearnHub.Server.Platform;

/// <summary>The settings an admin changes at run time; configuration gives the defaults until they do.</summary>
public sealed record PlatformSettingsValues(TimeSpan ReminderLead, TimeSpan ReviewTimeout, string PlatformTimeZone, long UpdatedAtMs, string? UpdatedBy);

/// <summary>
/// Reads and writes platform_settings. Reads are served from memory and refreshed on every write of this node; the
/// scheduler reads the reminder lead on each session change, so a change applies to sessions scheduled after it.
/// On PostgreSQL other nodes write too, so the copy in memory is also re-read once it is <see cref="ClusterCacheLifetime"/> old.
/// </summary>
public sealed class PlatformSettingsStore(Database database, IOptions<SessionSchedulingOptions> scheduling, TimeProvider clock)
{
    public static readonly TimeSpan ClusterCacheLifetime = TimeSpan.FromSeconds(5);

    public const string ReminderLeadKey = "reminder_lead_minutes";
    public const string ReviewTimeoutKey = "review_timeout_hours";
    public const string PlatformTimeZoneKey = "platform_time_zone";
    public static readonly TimeSpan DefaultReviewTimeout = TimeSpan.FromDays(7);

    private volatile CachedSettings? cached;

    public async Task<PlatformSettingsValues> GetAsync(CancellationToken ct)
    {
        if (cached is { } hit && (database.Provider == StorageProvider.Sqlite || clock.GetUtcNow() - hit.ReadAt < ClusterCacheLifetime))
        {
            return hit.Values;
        }
        var readAt = clock.GetUtcNow();
        await using var connection = await database.OpenAsync(ct);
        var rows = (await connection.QueryAsync<(string Key, string Value, long UpdatedAtMs, string? UpdatedBy)>(new CommandDefinition(
            "SELECT key, value, updated_at_ms, updated_by FROM platform_settings", cancellationToken: ct))).ToList();
        var byKey = rows.ToDictionary(r => r.Key, r => r.Value);
        var latest = rows.OrderByDescending(r => r.UpdatedAtMs).FirstOrDefault();
        var values = new PlatformSettingsValues(
            byKey.TryGetValue(ReminderLeadKey, out var lead) ? TimeSpan.FromMinutes(int.Parse(lead, CultureInfo.InvariantCulture)) : scheduling.Value.ReminderLead,
            byKey.TryGetValue(ReviewTimeoutKey, out var review) ? TimeSpan.FromHours(int.Parse(review, CultureInfo.InvariantCulture)) : DefaultReviewTimeout,
            byKey.TryGetValue(PlatformTimeZoneKey, out var zone) ? zone : TimeZones.PlatformDefault,
            latest.UpdatedAtMs,
            latest.UpdatedBy);
        cached = new CachedSettings(values, readAt);
        return values;
    }

    /// <summary>Writes the given settings (null: unchanged) in one transaction.</summary>
    public async Task<PlatformSettingsValues> UpdateAsync(int? reminderLeadMinutes, int? reviewTimeoutHours, string? platformTimeZone, string updatedBy, CancellationToken ct)
    {
        var changes = new List<(string Key, string Value)>();
        if (reminderLeadMinutes is { } lead)
        {
            changes.Add((ReminderLeadKey, lead.ToString(CultureInfo.InvariantCulture)));
        }
        if (reviewTimeoutHours is { } review)
        {
            changes.Add((ReviewTimeoutKey, review.ToString(CultureInfo.InvariantCulture)));
        }
        if (platformTimeZone is not null)
        {
            changes.Add((PlatformTimeZoneKey, platformTimeZone));
        }
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await using (var connection = await database.OpenAsync(ct))
        await using (var tx = await connection.BeginTransactionAsync(ct))
        {
            foreach (var (key, value) in changes)
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    """
                    INSERT INTO platform_settings (key, value, updated_at_ms, updated_by) VALUES (@key, @value, @now, @updatedBy)
                    ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at_ms = excluded.updated_at_ms, updated_by = excluded.updated_by
                    """,
                    new { key, value, now, updatedBy }, tx, cancellationToken: ct));
            }
            await tx.CommitAsync(ct);
        }
        cached = null;
        return await GetAsync(ct);
    }

    private sealed record CachedSettings(PlatformSettingsValues Values, DateTimeOffset ReadAt);
}
