using Google.Protobuf.WellKnownTypes;
using LearnHub.Core.Common;

namespace LearnHub.Server.Grpc;

/// <summary>Conversions between stored Unix milliseconds and protobuf timestamps.</summary>
public static class ProtoTime
{
    /// <summary>google.protobuf.Timestamp's range: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z (its own comment).</summary>
    private const long MinSeconds = -62_135_596_800;
    private const long MaxSeconds = 253_402_300_799;

    public static Timestamp FromMs(long ms) => Timestamp.FromDateTimeOffset(DateTimeOffset.FromUnixTimeMilliseconds(ms));

    public static Timestamp? FromMs(long? ms) => ms is { } value ? FromMs(value) : null;

    /// <summary>
    /// The instant a request's Timestamp field holds (null when unset), or the field's violation when the client sent
    /// seconds or nanos outside Timestamp's range (any int64 decodes, so this is checked before every conversion).
    /// </summary>
    public static (DateTimeOffset? Instant, FieldError? Error) Read(Timestamp? timestamp, string field)
    {
        if (timestamp is null)
        {
            return (null, null);
        }
        if (timestamp.Seconds is < MinSeconds or > MaxSeconds || timestamp.Nanos is < 0 or > 999_999_999)
        {
            return (null, new FieldError(field,
                LocalizedText.Pick("时间无效，须在 0001-01-01 至 9999-12-31（UTC）之间。", "The time is not valid: it must be between 0001-01-01 and 9999-12-31 UTC.")));
        }
        return (timestamp.ToDateTimeOffset(), null);
    }
}
