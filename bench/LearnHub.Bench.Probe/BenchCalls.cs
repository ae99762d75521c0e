using Google.Protobuf;
using LearnHub.Api.V1;

namespace LearnHub.Bench.Probe;

/// <summary>The three benchmarked calls and their requests, shared by the body writer and the status check.</summary>
public static class BenchCalls
{
    /// <summary>A seeded demo session (DemoData: 经济基础第19章考点梳理), so GetSession reads a real row.</summary>
    public const string DemoSessionId = "s_demo_ch19";

    public static readonly (string File, string Path, IMessage Request)[] All =
    [
        ("ping.bin", "/learnhub.v1.DiagnosticsService/Ping", new PingRequest()),
        ("get-session.bin", "/learnhub.v1.SessionService/GetSession", new GetSessionRequest { SessionId = DemoSessionId }),
        // What the 直播推荐 panel sends: defaults for zone (the caller's profile) and page size (10).
        ("list-recommendations.bin", "/learnhub.v1.SessionService/ListRecommendations", new ListRecommendationsRequest()),
    ];

    /// <summary>A gRPC length-prefixed message: compressed flag 0, 4-byte big-endian length, the protobuf bytes.</summary>
    public static byte[] Frame(IMessage message)
    {
        var payload = message.ToByteArray();
        var frame = new byte[5 + payload.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)payload.Length);
        payload.CopyTo(frame, 5);
        return frame;
    }
}

public static class RequestBodies
{
    public static int Write(string directory)
    {
        Directory.CreateDirectory(directory);
        foreach (var (file, path, request) in BenchCalls.All)
        {
            var frame = BenchCalls.Frame(request);
            File.WriteAllBytes(Path.Combine(directory, file), frame);
            Console.WriteLine($"{file}\t{path}\t{frame.Length} bytes");
        }
        return 0;
    }
}
