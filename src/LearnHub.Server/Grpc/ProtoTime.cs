using Google.Protobuf.WellKnownTypes;

namespace LearnHub.Server.Grpc;

/// <summary>Conversions between stored Unix milliseconds and protobuf timestamps.</summary>
public static class ProtoTime
{
    public static Timestamp FromMs(long ms) => Timestamp.FromDateTimeOffset(DateTimeOffset.FromUnixTimeMilliseconds(ms));

    public static Timestamp? FromMs(long? ms) => ms is { } value ? FromMs(value) : null;

    public static DateTimeOffset? ToInstant(Timestamp? timestamp) => timestamp?.ToDateTimeOffset();
}
