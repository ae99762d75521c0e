using System.Globalization;
using LearnHub.Core.Common;
using Microsoft.AspNetCore.Components.Authorization;

namespace LearnHub.Admin.Services;

/// <summary>Shows instants in the signed-in user's time zone (from their profile, carried in the sign-in cookie).</summary>
public sealed class UserClock(AuthenticationStateProvider authentication, TimeProvider clock)
{
    private TimeZoneInfo? zone;

    public DateTimeOffset Now => clock.GetUtcNow();

    public async Task<TimeZoneInfo> ZoneAsync()
    {
        if (zone is null)
        {
            var state = await authentication.GetAuthenticationStateAsync();
            zone = TimeZones.FindOrDefault(state.User.FindFirst(AdminClaims.TimeZone)?.Value);
        }
        return zone;
    }

    /// <summary>The instant as wall-clock time in the user's zone (valid after <see cref="ZoneAsync"/>).</summary>
    public DateTime ToLocal(DateTimeOffset instant) => TimeZoneInfo.ConvertTime(instant, zone ?? TimeZones.FindOrDefault(null)).DateTime;

    public string Format(DateTimeOffset instant, string format = "yyyy-MM-dd HH:mm") =>
        ToLocal(instant).ToString(format, CultureInfo.InvariantCulture);

    /// <summary>A wall-clock time the user picked, in their zone, as an instant.</summary>
    public DateTimeOffset FromLocal(DateTime local) =>
        Core.Sessions.CourseSeriesPlanner.ToInstant(DateTime.SpecifyKind(local, DateTimeKind.Unspecified), zone ?? TimeZones.FindOrDefault(null));
}
