using System.Buffers;
using System.Globalization;
using System.Text.Unicode;
using Google.Protobuf.Reflection;

namespace LearnHub.Server.Grpc;

internal enum WireFault
{
    Malformed,
    Truncated,
    InvalidUtf8,
    NulCharacter,
    TooDeep,
}

/// <summary>Where a message failed to decode: the API's field path (<c>planned_start.nanos</c>, <c>chapter_titles[2]</c>; empty: the message itself).</summary>
internal sealed record WireFaultAt(string Path, WireFault Problem);

/// <summary>
/// Walks the protobuf wire format of a request, guided by its descriptor, to tell the client which field is at fault:
/// after Google.Protobuf refused it, or when its bytes hold a 0x00 that may be a U+0000 in a string (which PostgreSQL
/// text cannot store). Allocates only for the paths it names (the field at fault, nested messages) and for repeated
/// fields' indexes; every call without a 0x00 byte skips it.
/// </summary>
internal static class WireFormatCheck
{
    /// <summary>Google.Protobuf's default recursion limit.</summary>
    private const int MaxDepth = 100;

    public static WireFaultAt? FindFault(MessageDescriptor descriptor, ReadOnlySpan<byte> message) => Walk(descriptor, message, "", 0);

    /// <summary>Whether the bytes may hold a U+0000 in a string: a message without a 0x00 byte cannot (the fast check of every call).</summary>
    public static bool MayHoldNul(in ReadOnlySequence<byte> message)
    {
        if (message.IsSingleSegment)
        {
            return message.FirstSpan.Contains((byte)0);
        }
        foreach (var segment in message)
        {
            if (segment.Span.Contains((byte)0))
            {
                return true;
            }
        }
        return false;
    }

    private static WireFaultAt? Walk(MessageDescriptor? descriptor, ReadOnlySpan<byte> data, string path, int depth)
    {
        if (depth > MaxDepth)
        {
            return new(path, WireFault.TooDeep);
        }
        Dictionary<int, int>? occurrences = null;
        var at = 0;
        while (at < data.Length)
        {
            if (ReadVarint(data, ref at) is not { } tag)
            {
                return new(path, at >= data.Length ? WireFault.Truncated : WireFault.Malformed);
            }
            var number = tag >> 3;
            var wireType = (int)(tag & 7);
            // A tag that cannot be (field 0, wire types 6 and 7, an end-group without its start) spoils the message, not a field.
            if (number is 0 or > int.MaxValue || wireType is 4 or 6 or 7)
            {
                return new(path, WireFault.Malformed);
            }
            var field = descriptor?.FindFieldByNumber((int)number);
            var index = -1;
            if (field is not null && field.IsRepeated && !IsPackable(field))
            {
                occurrences ??= [];
                index = occurrences.GetValueOrDefault(field.FieldNumber);
                occurrences[field.FieldNumber] = index + 1;
            }
            if (SkipValue(data, ref at, wireType, (int)number, depth, out var value) is { } problem)
            {
                return new(PathOf(path, field, index), problem);
            }
            if (wireType != 2 || field is null)
            {
                continue;
            }
            switch (field.FieldType)
            {
                case FieldType.String when !Utf8.IsValid(value):
                    return new(PathOf(path, field, index), WireFault.InvalidUtf8);
                case FieldType.String when value.Contains((byte)0):
                    return new(PathOf(path, field, index), WireFault.NulCharacter);
                case FieldType.Message:
                    if (Walk(field.MessageType, value, PathOf(path, field, index), depth + 1) is { } nested)
                    {
                        return nested;
                    }
                    break;
                case var _ when IsPackable(field) && !IsPackedValid(field.FieldType, value):
                    return new(PathOf(path, field, index), WireFault.Malformed);
            }
        }
        return null;
    }

    /// <summary>The API's name for a field: <c>planned_start.nanos</c>, <c>chapter_titles[2]</c>; the enclosing path for an unknown field.</summary>
    private static string PathOf(string path, FieldDescriptor? field, int index)
    {
        if (field is null)
        {
            return path;
        }
        var name = path.Length == 0 ? field.Name : $"{path}.{field.Name}";
        return index < 0 ? name : string.Create(CultureInfo.InvariantCulture, $"{name}[{index}]");
    }

    /// <summary>Moves past one value of the given wire type; <paramref name="value"/> is a length-delimited one's bytes.</summary>
    private static WireFault? SkipValue(ReadOnlySpan<byte> data, ref int at, int wireType, int number, int depth, out ReadOnlySpan<byte> value)
    {
        value = default;
        switch (wireType)
        {
            case 0:
                return ReadVarint(data, ref at) is null ? (at >= data.Length ? WireFault.Truncated : WireFault.Malformed) : null;
            case 1:
                return Advance(data, ref at, 8);
            case 5:
                return Advance(data, ref at, 4);
            case 2:
                if (ReadVarint(data, ref at) is not { } length)
                {
                    return at >= data.Length ? WireFault.Truncated : WireFault.Malformed;
                }
                if (length > (ulong)(data.Length - at))
                {
                    return WireFault.Truncated;
                }
                value = data.Slice(at, (int)length);
                at += (int)length;
                return null;
            case 3:
                // A group (proto2) of a field this message does not know: its fields up to the matching end.
                while (true)
                {
                    if (ReadVarint(data, ref at) is not { } tag)
                    {
                        return at >= data.Length ? WireFault.Truncated : WireFault.Malformed;
                    }
                    var innerNumber = tag >> 3;
                    if (innerNumber is 0 or > int.MaxValue)
                    {
                        return WireFault.Malformed;
                    }
                    if ((tag & 7) == 4)
                    {
                        return innerNumber == (ulong)number ? null : WireFault.Malformed;
                    }
                    if (depth >= MaxDepth)
                    {
                        return WireFault.TooDeep;
                    }
                    if (SkipValue(data, ref at, (int)(tag & 7), (int)innerNumber, depth + 1, out _) is { } inner)
                    {
                        return inner;
                    }
                }
            default:
                // An end-group without its start, or a wire type protobuf does not have.
                return WireFault.Malformed;
        }
    }

    private static WireFault? Advance(ReadOnlySpan<byte> data, ref int at, int bytes)
    {
        if (data.Length - at < bytes)
        {
            at = data.Length;
            return WireFault.Truncated;
        }
        at += bytes;
        return null;
    }

    /// <summary>A base-128 varint of at most 10 bytes, or null (then <paramref name="at"/> is past the bytes read).</summary>
    private static ulong? ReadVarint(ReadOnlySpan<byte> data, ref int at)
    {
        ulong result = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            if (at >= data.Length)
            {
                return null;
            }
            var b = data[at++];
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return result;
            }
        }
        return null;
    }

    private static bool IsPackable(FieldDescriptor field) => field.IsRepeated && field.FieldType is not (FieldType.String or FieldType.Bytes or FieldType.Message or FieldType.Group);

    private static bool IsPackedValid(FieldType type, ReadOnlySpan<byte> packed)
    {
        var width = type switch
        {
            FieldType.Fixed64 or FieldType.SFixed64 or FieldType.Double => 8,
            FieldType.Fixed32 or FieldType.SFixed32 or FieldType.Float => 4,
            _ => 0,
        };
        if (width > 0)
        {
            return packed.Length % width == 0;
        }
        var at = 0;
        while (at < packed.Length)
        {
            if (ReadVarint(packed, ref at) is null)
            {
                return false;
            }
        }
        return true;
    }
}
