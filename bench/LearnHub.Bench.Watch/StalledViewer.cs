using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using Google.Protobuf;
using LearnHub.Api.V1;

namespace LearnHub.Bench.Watch;

/// <summary>
/// A viewer that opens WatchSession and never reads it: a minimal HTTP/2 client on its own connection that announces
/// a stream window of 0 (SETTINGS_INITIAL_WINDOW_SIZE = 0) and never sends a WINDOW_UPDATE, so the server cannot send
/// it a single DATA byte — not even the snapshot. It stays alive (acknowledges SETTINGS and keepalive PINGs), so the
/// server neither drops it nor can deliver to it. A Grpc.Net.Client call that stops reading gets to the same state
/// only after its 64 KB stream window fills (≈ 500 updates).
/// </summary>
public sealed class StalledViewer : IAsyncDisposable
{
    private const byte Data = 0x0, Headers = 0x1, RstStream = 0x3, Settings = 0x4, Ping = 0x6, GoAway = 0x7;
    private readonly TcpClient tcp;
    private readonly NetworkStream net;
    private readonly CancellationTokenSource stop = new();
    private readonly Task reading;

    private StalledViewer(TcpClient tcp)
    {
        this.tcp = tcp;
        net = tcp.GetStream();
        reading = Task.Run(ReadAsync);
    }

    public int DataFrames { get; private set; }

    public int HeaderFrames { get; private set; }

    public int PingsAnswered { get; private set; }

    /// <summary>Set when the server ended the stream or the connection (it should not during the benchmark).</summary>
    public string? Ended { get; private set; }

    public static async Task<StalledViewer> OpenAsync(Uri grpc, string token, string sessionId)
    {
        var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(grpc.Host, grpc.Port);
        var frames = new MemoryStream();
        frames.Write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8);
        var settings = new byte[12];
        BinaryPrimitives.WriteUInt16BigEndian(settings.AsSpan(0), 0x2); // ENABLE_PUSH
        BinaryPrimitives.WriteUInt32BigEndian(settings.AsSpan(2), 0);
        BinaryPrimitives.WriteUInt16BigEndian(settings.AsSpan(6), 0x4); // INITIAL_WINDOW_SIZE
        BinaryPrimitives.WriteUInt32BigEndian(settings.AsSpan(8), 0);
        WriteFrame(frames, Settings, 0, 0, settings);
        var block = new MemoryStream();
        foreach (var (name, value) in new[]
        {
            (":method", "POST"), (":scheme", "http"), (":authority", $"{grpc.Host}:{grpc.Port}"),
            (":path", "/learnhub.v1.PresenceService/WatchSession"), ("content-type", "application/grpc"),
            ("te", "trailers"), ("authorization", "Bearer " + token),
        })
        {
            // HPACK literal header field without indexing, new name, no Huffman coding.
            block.WriteByte(0);
            WriteHpackString(block, name);
            WriteHpackString(block, value);
        }
        WriteFrame(frames, Headers, 0x4 /* END_HEADERS */, 1, block.ToArray());
        var message = new WatchSessionRequest { SessionId = sessionId }.ToByteArray();
        var body = new byte[5 + message.Length];
        BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(1), (uint)message.Length);
        message.CopyTo(body, 5);
        WriteFrame(frames, Data, 0x1 /* END_STREAM */, 1, body);
        var viewer = new StalledViewer(tcp);
        await viewer.net.WriteAsync(frames.ToArray());
        return viewer;
    }

    private async Task ReadAsync()
    {
        var header = new byte[9];
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await net.ReadExactlyAsync(header, stop.Token);
                var length = (header[0] << 16) | (header[1] << 8) | header[2];
                var type = header[3];
                var flags = header[4];
                var payload = new byte[length];
                await net.ReadExactlyAsync(payload, stop.Token);
                switch (type)
                {
                    case Settings when (flags & 0x1) == 0:
                        await SendAsync(Settings, 0x1, 0, []);
                        break;
                    case Ping when (flags & 0x1) == 0:
                        await SendAsync(Ping, 0x1, 0, payload);
                        PingsAnswered++;
                        break;
                    case Data:
                        DataFrames++;
                        break;
                    case Headers:
                        HeaderFrames++;
                        if ((flags & 0x1) != 0)
                        {
                            Ended ??= "stream ended (trailers)";
                        }
                        break;
                    case RstStream:
                        Ended ??= "RST_STREAM";
                        break;
                    case GoAway:
                        Ended ??= "GOAWAY";
                        break;
                }
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or EndOfStreamException or SocketException)
        {
            if (!stop.IsCancellationRequested)
            {
                Ended ??= "connection closed: " + e.Message;
            }
        }
    }

    private async Task SendAsync(byte type, byte flags, int stream, byte[] payload)
    {
        var frame = new MemoryStream();
        WriteFrame(frame, type, flags, stream, payload);
        await net.WriteAsync(frame.ToArray(), stop.Token);
    }

    private static void WriteFrame(Stream to, byte type, byte flags, int stream, byte[] payload)
    {
        Span<byte> header = stackalloc byte[9];
        header[0] = (byte)(payload.Length >> 16);
        header[1] = (byte)(payload.Length >> 8);
        header[2] = (byte)payload.Length;
        header[3] = type;
        header[4] = flags;
        BinaryPrimitives.WriteInt32BigEndian(header[5..], stream);
        to.Write(header);
        to.Write(payload);
    }

    private static void WriteHpackString(Stream to, string value)
    {
        var bytes = Encoding.ASCII.GetBytes(value);
        // Integer with a 7-bit prefix (RFC 7541 §5.1), Huffman bit clear.
        var length = bytes.Length;
        if (length < 127)
        {
            to.WriteByte((byte)length);
        }
        else
        {
            to.WriteByte(127);
            length -= 127;
            while (length >= 128)
            {
                to.WriteByte((byte)((length & 0x7F) | 0x80));
                length >>= 7;
            }
            to.WriteByte((byte)length);
        }
        to.Write(bytes);
    }

    /// <summary>Closes the connection: the server sees the viewer vanish and removes it at once.</summary>
    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        tcp.Dispose();
        try
        {
            await reading;
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
        }
        stop.Dispose();
    }
}
