using System.Collections;
using System.Globalization;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;

namespace LearnHub.Server.Tests.Fuzz;

/// <summary>What the fuzzer draws from: ids of real objects (so calls reach deep logic), real page tokens, and so on.</summary>
public sealed record FuzzPools(
    IReadOnlyList<string> Ids,
    IReadOnlyList<string> UserIdsAdminsMayChange,
    IReadOnlyList<string> PageTokens,
    IReadOnlyList<string> Handles,
    IReadOnlyList<string> NotificationIds,
    string AgreementVersion,
    byte[] Png,
    DateTimeOffset Now);

/// <summary>
/// Random request messages built from a method's input descriptor: structurally valid messages whose values mix the
/// plausible (real ids, valid titles, a start next week) with the adversarial (unknown ids, empty, huge and negative
/// numbers, out-of-range timestamps, control characters, unknown enum numbers, forged page tokens), and raw byte
/// mutations of such messages (truncated, bit-flipped, invalid UTF-8, garbage). Each request depends only on the
/// <see cref="Random"/> it is given, so a seed reproduces it.
/// </summary>
public sealed class RequestFuzzer(FuzzPools pools)
{
    /// <summary>Share of requests sent as mutated bytes rather than a well-formed message.</summary>
    public const double MutatedShare = 0.35;

    private static readonly string[] Zones =
    [
        "Asia/Shanghai", "Europe/Berlin", "UTC", "America/New_York", "Pacific/Chatham", "", " ", "Mars/Olympus_Mons",
        "../../../../etc/passwd", "Asia/Shanghai\0", "EST", "China Standard Time", "Etc/GMT+5", "asia/shanghai",
        "Asia/Shanghai/", "/", "Asia/" + new string('x', 60), "America/Argentina/ComodRivadavia", "Asia/Shang\u200Bhai",
    ];

    private static readonly string[] Words =
    [
        "经济基础第21章考点梳理", "经济基础", "第19章", "人力资源管理", "万红coco", "a", "x y", "Σοφία", "ÉLODIE", "👨‍👩‍👧‍👦",
        "'; DROP TABLE sessions; --", "%", "_", "%_%", "\\", "\"", "<script>alert(1)</script>", "\u202Eevil", "null",
        "\u200B\u200C\u200D\uFEFF", "\t", "\r\n", "abc\nxyz", "\0", "a\0b", "\u0001\u0002\u001F\u007F", "\u0085",
        "\uFFFD", "\uFFFF", "\U0001F600", "a\u0301\u0301\u0301", "ﷺ", "𠜎𠜱𠝹", "Ω≈ç√∫", " 前后空格 ",
    ];

    private static readonly int[] EdgeInts = [0, 1, -1, 2, 5, 7, 8, 59, 60, 100, 101, 300, 720, 721, 1440, 10_000, int.MaxValue, int.MinValue, int.MaxValue - 1, short.MaxValue];

    private static readonly long[] EdgeLongs = [0, 1, -1, 2, long.MaxValue, long.MinValue, int.MaxValue, (long)int.MaxValue + 1, 9_223_372_036_854_775_807, -62_135_596_801];

    /// <summary>Share of well-formed messages whose every value is plausible, so that calls get past validation.</summary>
    public const double PlausibleShare = 0.4;

    public byte[] Next(MessageDescriptor input, Random random)
    {
        var plausible = random.NextDouble() < PlausibleShare;
        var bytes = Message(input, random, 0, plausible).ToByteArray();
        return random.NextDouble() < MutatedShare ? Mutate(bytes, random) : bytes;
    }

    public IMessage Message(MessageDescriptor descriptor, Random random, int depth, bool plausible)
    {
        if (descriptor.ClrType == typeof(Timestamp))
        {
            return plausible ? Upcoming(random) : Time(random);
        }
        var message = (IMessage)System.Activator.CreateInstance(descriptor.ClrType)!;
        foreach (var field in descriptor.Fields.InFieldNumberOrder())
        {
            if (random.NextDouble() < (plausible ? 0.1 : 0.25))
            {
                continue;
            }
            if (field.IsRepeated)
            {
                var list = (IList)field.Accessor.GetValue(message);
                var count = plausible ? random.Next(1, 4) : Count(random);
                for (var i = 0; i < count; i++)
                {
                    list.Add(plausible ? Plausible(field, random, depth) : Value(field, random, depth));
                }
            }
            else
            {
                field.Accessor.SetValue(message, plausible ? Plausible(field, random, depth) : Value(field, random, depth));
            }
        }
        return message;
    }

    /// <summary>A value that passes validation as often as possible: the fuzz then reaches state checks, stores and notices.</summary>
    private object Plausible(FieldDescriptor field, Random random, int depth) => field.FieldType switch
    {
        FieldType.String => field.Name switch
        {
            var id when id.EndsWith("_id", StringComparison.Ordinal) || id.EndsWith("_ids", StringComparison.Ordinal) => Id(id, random),
            "page_token" => random.Next(2) == 0 ? "" : Pick(random, pools.PageTokens),
            "time_zone" or "platform_time_zone" => Pick(random, ["Asia/Shanghai", "Europe/Berlin", "UTC", "America/New_York"]),
            "language" => Pick(random, ["zh-CN", "en"]),
            "local_time" => Pick(random, ["19:30", "08:00", "12:15"]),
            "start_date" or "holidays" => DateOnly.FromDateTime(pools.Now.UtcDateTime).AddDays(random.Next(2, 60)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            "roles" => Pick(random, ["viewer", "instructor", "reviewer", "admin"]),
            "request_id" => new Guid(RandomBytes(random, 16)).ToString("N"),
            "agreement_version" => pools.AgreementVersion,
            "query" => Pick(random, pools.Handles),
            _ => Pick(random, ["经济基础第21章考点梳理", "人力资源管理第3章", "本周直播安排", "习题讲解", "Σοφία 的答疑"]),
        },
        FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 => field.Name switch
        {
            "page_size" => random.Next(0, 30),
            "duration_minutes" => Pick(random, [30, 45, 60, 90]),
            "minutes" => random.Next(1, 60),
            "weekdays" => random.Next(1, 8),
            "position" => random.Next(0, 4),
            "reminder_lead_minutes" => random.Next(1, 60),
            "review_timeout_hours" => random.Next(1, 200),
            _ => random.Next(0, 5),
        },
        FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 => 0L,
        FieldType.Enum => System.Enum.ToObject(field.EnumType.ClrType, Pick(random, field.EnumType.Values.Where(v => v.Number != 0).Select(v => v.Number).DefaultIfEmpty(0).ToList())),
        FieldType.Bytes => ByteString.CopyFrom(pools.Png),
        FieldType.Message => Message(field.MessageType, random, depth + 1, plausible: true),
        _ => Value(field, random, depth),
    };

    private Timestamp Upcoming(Random random)
    {
        var minutes = random.Next(60, 60 * 24 * 60);
        return Timestamp.FromDateTimeOffset(pools.Now.AddMinutes(minutes - minutes % 30));
    }

    private static int Count(Random random) => random.NextDouble() switch
    {
        < 0.35 => 0,
        < 0.85 => random.Next(1, 4),
        < 0.96 => random.Next(4, 30),
        < 0.99 => random.Next(100, 700),
        _ => random.Next(2_000, 6_000),
    };

    private object Value(FieldDescriptor field, Random random, int depth) => field.FieldType switch
    {
        FieldType.String => Text(field.Name, random),
        FieldType.Bytes => ByteString.CopyFrom(Bytes(random)),
        FieldType.Bool => random.Next(2) == 0,
        FieldType.Enum => System.Enum.ToObject(field.EnumType.ClrType, EnumNumber(field.EnumType, random)),
        FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 => Int(field.Name, random),
        FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 => Long(random),
        FieldType.UInt32 or FieldType.Fixed32 => unchecked((uint)Int(field.Name, random)),
        FieldType.UInt64 or FieldType.Fixed64 => unchecked((ulong)Long(random)),
        FieldType.Double => Pick(random, [0d, -1d, double.NaN, double.PositiveInfinity, double.MaxValue, random.NextDouble()]),
        FieldType.Float => Pick(random, [0f, -1f, float.NaN, float.NegativeInfinity, float.MaxValue, (float)random.NextDouble()]),
        FieldType.Message => depth < 4 ? Message(field.MessageType, random, depth + 1, plausible: false) : System.Activator.CreateInstance(field.MessageType.ClrType)!,
        _ => throw new NotSupportedException($"{field.FullName}: {field.FieldType}"),
    };

    private static int EnumNumber(EnumDescriptor type, Random random) => random.NextDouble() switch
    {
        < 0.75 => type.Values[random.Next(type.Values.Count)].Number,
        _ => Pick(random, [type.Values.Max(v => v.Number) + 1, 99, -1, int.MaxValue, int.MinValue, random.Next()]),
    };

    private int Int(string field, Random random)
    {
        if (random.NextDouble() < 0.3)
        {
            return Pick(random, EdgeInts);
        }
        return field switch
        {
            "page_size" => random.Next(0, 120),
            "duration_minutes" or "minutes" => random.Next(0, 800),
            "weekdays" => random.Next(0, 9),
            "position" => random.Next(-1, 8),
            "reminder_lead_minutes" => random.Next(0, 1500),
            "review_timeout_hours" => random.Next(0, 800),
            _ => random.Next(-1000, 1000),
        };
    }

    private static long Long(Random random) => random.NextDouble() switch
    {
        < 0.4 => random.Next(0, 4),
        < 0.8 => Pick(random, EdgeLongs),
        _ => random.NextInt64(long.MinValue, long.MaxValue),
    };

    /// <summary>A Timestamp: unset-like, plausible (the next weeks, on a whole minute), past, far, or outside its range.</summary>
    private Timestamp Time(Random random)
    {
        switch (random.NextDouble())
        {
            case < 0.45:
                return Upcoming(random);
            case < 0.55:
                return Timestamp.FromDateTimeOffset(pools.Now.AddDays(-random.Next(1, 1000)));
            case < 0.65:
                return Timestamp.FromDateTimeOffset(pools.Now.AddYears(random.Next(2, 50)));
            case < 0.7:
                return new Timestamp { Seconds = -62_135_596_800, Nanos = 0 };
            case < 0.75:
                return new Timestamp { Seconds = 253_402_300_799, Nanos = 999_999_999 };
            default:
                // Outside google.protobuf.Timestamp's range: any int64 and int32 decode.
                return Pick(random,
                [
                    new Timestamp { Seconds = long.MaxValue, Nanos = -1 },
                    new Timestamp { Seconds = long.MinValue, Nanos = 0 },
                    new Timestamp { Seconds = 253_402_300_800, Nanos = 0 },
                    new Timestamp { Seconds = -62_135_596_801, Nanos = 0 },
                    new Timestamp { Seconds = pools.Now.ToUnixTimeSeconds() + 86_400, Nanos = 1_000_000_000 },
                    new Timestamp { Seconds = pools.Now.ToUnixTimeSeconds() + 86_400, Nanos = int.MinValue },
                    new Timestamp { Seconds = random.NextInt64(long.MinValue, long.MaxValue), Nanos = random.Next(int.MinValue, int.MaxValue) },
                ]);
        }
    }

    private string Text(string field, Random random)
    {
        if (random.NextDouble() < 0.15)
        {
            return Junk(random);
        }
        if (field.EndsWith("_id", StringComparison.Ordinal) || field.EndsWith("_ids", StringComparison.Ordinal))
        {
            return Id(field, random);
        }
        return field switch
        {
            "page_token" => Token(random),
            "time_zone" or "platform_time_zone" => Pick(random, Zones),
            "language" => Pick(random, ["zh-CN", "en", "", "EN", "zh", "xx-YY", "en\0"]),
            "local_time" => Pick(random, ["19:30", "07:00", "00:00", "23:59", "24:00", "7:30", "19:30:00", "", "19h30"]),
            "start_date" or "holidays" => Date(random),
            "roles" => Pick(random, ["viewer", "instructor", "reviewer", "admin", "Admin", "root", "", "viewer,admin"]),
            "request_id" => Pick(random, [new Guid(RandomBytes(random, 16)).ToString("N"), $"req-{random.Next(20)}", "", new string('r', 64), new string('r', 65)]),
            "agreement_version" => random.NextDouble() < 0.7 ? pools.AgreementVersion : Pick(random, ["", "1999-01", pools.AgreementVersion + " "]),
            "query" => random.NextDouble() < 0.5 ? Pick(random, pools.Handles) : Prose(random),
            _ => Prose(random),
        };
    }

    /// <summary>Mostly the id of a real object of the kind the field names (its prefix), else any real id or a made-up one.</summary>
    private string Id(string field, Random random)
    {
        var prefix = field switch
        {
            "session_id" => "s_",
            "course_id" => "c_",
            "chapter_id" or "chapter_ids" or "from_chapter_id" => "ch_",
            "broadcast_id" or "message_id" or "message_ids" => "b_",
            "report_id" => "r_",
            _ => "u_",
        };
        return random.NextDouble() switch
        {
            // Never the three callers themselves: an admin's fuzzed SetUserActive or SetUserRoles applies at once (roles
            // are read afresh on every call), and would leave the rest of the run refused as UNAUTHENTICATED.
            < 0.65 when field == "user_id" => Pick(random, pools.UserIdsAdminsMayChange),
            < 0.7 when field == "notification_ids" => Pick(random, pools.NotificationIds),
            < 0.65 => Pick(random, pools.Ids.Where(id => id.StartsWith(prefix, StringComparison.Ordinal)).DefaultIfEmpty("").ToList()),
            < 0.8 when field != "user_id" => Pick(random, pools.Ids),
            _ => Pick(random, ["", " ", "s_00000000000000000000000000000000", "u_nobody", "c_x", "1", "-1", "99999999999999999999",
                new string('i', 64), new string('i', 65), new string('i', 5_000), "s_\n注入\r日志", "\0", "s_\0", "../x", "%"]),
        };
    }

    private string Token(Random random) => random.NextDouble() switch
    {
        < 0.35 => "",
        < 0.7 => Pick(random, pools.PageTokens),
        < 0.8 => Tamper(Pick(random, pools.PageTokens), random),
        _ => Pick(random,
        [
            "abc\nxyz", "not-a-token", "=", "AAAA", Convert.ToBase64String(Encoding.UTF8.GetBytes("99999999999999999999\nx")),
            Convert.ToBase64String(Encoding.UTF8.GetBytes("1\ns_x")).TrimEnd('='), new string('A', 5000), "MTIz", "-1",
        ]),
    };

    private static string Tamper(string token, Random random)
    {
        if (token.Length == 0)
        {
            return "A";
        }
        var chars = token.ToCharArray();
        var at = random.Next(chars.Length);
        chars[at] = chars[at] == 'A' ? 'B' : 'A';
        return new string(chars);
    }

    private string Date(Random random) => random.NextDouble() switch
    {
        < 0.6 => DateOnly.FromDateTime(pools.Now.UtcDateTime).AddDays(random.Next(-3, 120)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        _ => Pick(random, ["2024-02-30", "9999-12-31", "0001-01-01", "2025-1-1", "", "tomorrow", "2025-13-01", "２０２５-０１-０１"]),
    };

    /// <summary>Free text: plausible titles, edge lengths, control and format characters, random code points.</summary>
    private static string Prose(Random random) => random.NextDouble() switch
    {
        < 0.35 => Pick(random, Words),
        < 0.45 => new string('长', random.Next(95, 320)),
        < 0.5 => string.Concat(Enumerable.Repeat("a\u0301", random.Next(1, 200))),
        < 0.52 => new string('x', random.Next(1_000, 60_000)),
        < 0.8 => RandomUnicode(random, random.Next(0, 40)),
        _ => string.Join(" ", Enumerable.Range(0, random.Next(1, 4)).Select(_ => Pick(random, Words))),
    };

    private static string Junk(Random random) => random.NextDouble() switch
    {
        < 0.3 => "",
        < 0.5 => new string(' ', random.Next(1, 5)),
        < 0.7 => RandomUnicode(random, random.Next(1, 8)),
        _ => Pick(random, ["\0", "\u0000\u0000", "\u001B[31m", "\u2028", "\uFEFF", "\u202E", "NaN", "-0", "1e309"]),
    };

    /// <summary>Random scalar values: ASCII, controls, CJK, combining marks, astral (never a lone surrogate, which UTF-8 cannot carry).</summary>
    private static string RandomUnicode(Random random, int length)
    {
        var text = new StringBuilder();
        for (var i = 0; i < length; i++)
        {
            var rune = random.Next(8) switch
            {
                0 => random.Next(0, 0x20),
                1 => random.Next(0x20, 0x7F),
                2 => random.Next(0x80, 0x800),
                3 => random.Next(0x4E00, 0x9FFF),
                4 => random.Next(0x300, 0x370),
                5 => random.Next(0x10000, 0x10FFFF),
                6 => random.Next(0xE000, 0x10000),
                _ => random.Next(0x2000, 0x2070),
            };
            if (Rune.IsValid(rune))
            {
                text.Append(new Rune(rune).ToString());
            }
        }
        return text.ToString();
    }

    private byte[] Bytes(Random random) => random.NextDouble() switch
    {
        < 0.2 => [],
        < 0.45 => pools.Png,
        < 0.55 => pools.Png[..random.Next(1, pools.Png.Length)],
        < 0.65 => [.. pools.Png[..16], .. RandomBytes(random, random.Next(0, 200))],
        < 0.97 => RandomBytes(random, random.Next(1, 400)),
        _ => RandomBytes(random, random.Next(100_000, 300_000)),
    };

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>One to three byte-level damages of an encoded message, or pure garbage.</summary>
    public static byte[] Mutate(byte[] message, Random random)
    {
        var bytes = new List<byte>(message);
        var damages = random.Next(1, 4);
        for (var d = 0; d < damages; d++)
        {
            switch (random.Next(10))
            {
                case 0 when bytes.Count > 0:
                    var flip = random.Next(bytes.Count);
                    bytes[flip] ^= (byte)(1 << random.Next(8));
                    break;
                case 1 when bytes.Count > 0:
                    bytes[random.Next(bytes.Count)] = Pick(random, new byte[] { 0xFF, 0x80, 0xC0, 0xC3, 0xED, 0xF8, 0x00, 0x7F, 0x0A, 0x12 });
                    break;
                case 2 when bytes.Count > 0:
                    var cut = random.Next(bytes.Count);
                    bytes.RemoveRange(cut, bytes.Count - cut);
                    break;
                case 3 when bytes.Count > 0:
                    var from = random.Next(bytes.Count);
                    bytes.RemoveRange(from, random.Next(1, Math.Min(8, bytes.Count - from) + 1));
                    break;
                case 4:
                    bytes.InsertRange(random.Next(bytes.Count + 1), RandomBytes(random, random.Next(1, 12)));
                    break;
                case 5:
                    // A string field whose bytes are not UTF-8 (field numbers 1–12 cover every request's strings).
                    bytes.AddRange([(byte)((random.Next(1, 13) << 3) | 2), 3, 0x61, Pick(random, new byte[] { 0xFF, 0xC3, 0xED, 0x80 }), 0x28]);
                    break;
                case 6:
                    // A length that runs past the end.
                    bytes.AddRange([(byte)((random.Next(1, 13) << 3) | 2), (byte)random.Next(5, 127), 0x61]);
                    break;
                case 7:
                    // Wire types a field does not have, unknown fields, end-group without a start, a 11-byte varint.
                    bytes.AddRange(Pick(random, new byte[][]
                    {
                        [0x0B], [0x0C], [0x0F], [0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01],
                        [0xF8, 0xFF, 0xFF, 0xFF, 0x0F, 0x01], [0x00], [0x0D, 0x01], [0x09, 0x01, 0x02], [0x81, 0x01, 0x05],
                    }));
                    break;
                case 8 when bytes.Count > 1:
                    var start = random.Next(bytes.Count);
                    bytes.InsertRange(random.Next(bytes.Count), bytes.GetRange(start, Math.Min(bytes.Count - start, random.Next(1, 16))));
                    break;
                default:
                    bytes = [.. RandomBytes(random, random.Next(0, 48))];
                    break;
            }
        }
        return [.. bytes];
    }

    private static T Pick<T>(Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];
}
