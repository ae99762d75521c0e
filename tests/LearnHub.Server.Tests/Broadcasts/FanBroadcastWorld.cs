using System.Threading.Channels;
using Google.Protobuf;
using Grpc.Core;
using LearnHub.Api.V1;
using LearnHub.Server.Tests.Infrastructure;
using SkiaSharp;

namespace LearnHub.Server.Tests.Broadcasts;

/// <summary>
/// A host with an admin (who certifies creators through AdminService.SetCertified) and a reviewer, and the steps the
/// follow, delivery, inbox, report and image tests share. Instance methods, not extensions, so that helpers of other
/// broadcast test files cannot collide with these.
/// </summary>
public sealed class FanBroadcastWorld : IAsyncDisposable
{
    private int requests;

    private FanBroadcastWorld(LearnHubApp app, TestUser admin, TestUser reviewer)
    {
        App = app;
        Admin = admin;
        Reviewer = reviewer;
    }

    public LearnHubApp App { get; }

    public TestUser Admin { get; }

    public TestUser Reviewer { get; }

    public static async Task<FanBroadcastWorld> StartAsync()
    {
        var app = await Scenario.StartAsync();
        return new FanBroadcastWorld(app, await app.CreateUserAsync("admin", "admin"), await app.CreateUserAsync("shenhe", "reviewer"));
    }

    /// <summary>A creator certified (认证) by the admin through the real AdminService.</summary>
    public async Task<TestUser> CreatorAsync(string handle, params string[] roles)
    {
        var creator = await App.CreateUserAsync(handle, roles);
        var user = await Admin.Admin.SetCertifiedAsync(new SetCertifiedRequest { UserId = creator.Id, Certified = true });
        Assert.True(user.Certified);
        return creator;
    }

    /// <summary>A user following each of <paramref name="creators"/>.</summary>
    public async Task<TestUser> FanAsync(string handle, params TestUser[] creators)
    {
        var fan = await App.CreateUserAsync(handle);
        foreach (var creator in creators)
        {
            await fan.Follows.FollowAsync(new FollowRequest { CreatorId = creator.Id });
        }
        return fan;
    }

    public Task<Broadcast> SubmitTextAsync(TestUser creator, string text) =>
        creator.Broadcasts.SubmitBroadcastAsync(new SubmitBroadcastRequest
        {
            RequestId = $"req-{Interlocked.Increment(ref requests)}",
            Kind = BroadcastKind.Text,
            Text = text,
            AgreedToAgreement = true,
            AgreementVersion = AgreementVersion,
        }).ResponseAsync;

    public Task<Broadcast> SubmitImageAsync(TestUser creator, byte[] image) =>
        creator.Broadcasts.SubmitBroadcastAsync(ImageRequest(image)).ResponseAsync;

    public SubmitBroadcastRequest ImageRequest(byte[] image) => new()
    {
        RequestId = $"req-{Interlocked.Increment(ref requests)}",
        Kind = BroadcastKind.Image,
        Image = ByteString.CopyFrom(image),
        AgreedToAgreement = true,
        AgreementVersion = AgreementVersion,
    };

    public const string AgreementVersion = "2024-01";

    public async Task<Broadcast> ApproveAsync(Broadcast broadcast)
    {
        var approved = await Reviewer.Broadcasts.ApproveBroadcastAsync(new ApproveBroadcastRequest { BroadcastId = broadcast.Id });
        Assert.Equal(BroadcastStatus.Approved, approved.Status);
        return approved;
    }

    /// <summary>Submitted and approved now.</summary>
    public async Task<Broadcast> PublishTextAsync(TestUser creator, string text) => await ApproveAsync(await SubmitTextAsync(creator, text));

    public async Task<Broadcast> PublishImageAsync(TestUser creator, byte[] image) => await ApproveAsync(await SubmitImageAsync(creator, image));

    /// <summary>The broadcast as its creator's 群发记录 shows it (with its reach).</summary>
    public static async Task<Broadcast> RecordAsync(TestUser creator, string broadcastId) =>
        (await creator.Broadcasts.ListMyBroadcastsAsync(new ListMyBroadcastsRequest { PageSize = 100 })).Broadcasts.Single(b => b.Id == broadcastId);

    public static async Task<IReadOnlyList<InboxMessage>> InboxAsync(TestUser user) =>
        (await user.Inbox.ListInboxAsync(new ListInboxRequest { PageSize = 100 })).Messages;

    public static async Task<InboxSummary> CheckInAsync(TestUser user) => await user.Inbox.CheckInAsync(new CheckInRequest());

    public static async Task<InboxSummary> SummaryAsync(TestUser user) => await user.Inbox.GetInboxSummaryAsync(new GetInboxSummaryRequest());

    public ValueTask DisposeAsync() => App.DisposeAsync();
}

/// <summary>One open WatchInbox call, read in the background.</summary>
public sealed class InboxWatcher : IAsyncDisposable
{
    private readonly CancellationTokenSource cancel = new();
    private readonly AsyncServerStreamingCall<InboxEvent> call;
    private readonly Channel<InboxEvent> received = Channel.CreateUnbounded<InboxEvent>();
    private readonly List<InboxEvent> all = [];
    private readonly Task reading;
    private RpcException? refusal;

    private InboxWatcher(TestUser user)
    {
        call = user.Inbox.WatchInbox(new WatchInboxRequest(), cancellationToken: cancel.Token);
        reading = ReadAsync();
    }

    /// <summary>Opens the stream and waits for its first event (the check-in's summary): from then on the user is online.</summary>
    public static async Task<InboxWatcher> OpenAsync(TestUser user)
    {
        var watcher = new InboxWatcher(user);
        try
        {
            watcher.First = await watcher.received.Reader.ReadAsync().AsTask().DefaultTimeout();
        }
        catch (ChannelClosedException)
        {
            // Refused before any event (e.g. RESOURCE_EXHAUSTED while a closed stream's slot is still being freed).
            throw watcher.refusal ?? new RpcException(new Status(StatusCode.Unknown, "the inbox stream ended before its first event"));
        }
        return watcher;
    }

    public InboxEvent First { get; private set; } = new();

    /// <summary>Everything read so far, in order.</summary>
    public IReadOnlyList<InboxEvent> All
    {
        get
        {
            lock (all)
            {
                return [.. all];
            }
        }
    }

    public async Task<InboxEvent> UntilAsync(Func<InboxEvent, bool> match)
    {
        using var deadline = new CancellationTokenSource(Wait.DefaultDeadline);
        while (true)
        {
            InboxEvent update;
            try
            {
                update = await received.Reader.ReadAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"no matching inbox event; seen: {string.Join(" | ", All)}");
            }
            if (match(update))
            {
                return update;
            }
        }
    }

    private async Task ReadAsync()
    {
        try
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                lock (all)
                {
                    all.Add(call.ResponseStream.Current);
                }
                received.Writer.TryWrite(call.ResponseStream.Current);
            }
        }
        catch (RpcException e)
        {
            // Cancelled by DisposeAsync, or refused.
            refusal = e;
        }
        finally
        {
            received.Writer.TryComplete();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await cancel.CancelAsync();
        await reading.WaitAsync(Wait.DefaultDeadline);
        call.Dispose();
        cancel.Dispose();
    }
}

/// <summary>Real PNG, JPEG and WebP bytes made with SkiaSharp, and crafted bad ones.</summary>
public static class TestImages
{
    /// <summary>An image of <paramref name="width"/>×<paramref name="height"/>; with noise it hardly compresses.</summary>
    public static byte[] Encode(SKEncodedImageFormat format, int width, int height, bool noise = false, int quality = 90)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        var random = new Random(width * 31 + height);
        var pixels = new byte[width * height * 4];
        for (var i = 0; i < pixels.Length; i += 4)
        {
            var p = i / 4;
            pixels[i] = noise ? (byte)random.Next(256) : (byte)(p % width * 255 / Math.Max(1, width - 1));
            pixels[i + 1] = noise ? (byte)random.Next(256) : (byte)(p / width * 255 / Math.Max(1, height - 1));
            pixels[i + 2] = noise ? (byte)random.Next(256) : (byte)128;
            pixels[i + 3] = 255;
        }
        System.Runtime.InteropServices.Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
        using var data = bitmap.Encode(format, quality);
        return data.ToArray();
    }

    public static byte[] Png(int width, int height, bool noise = false) => Encode(SKEncodedImageFormat.Png, width, height, noise);

    public static byte[] Jpeg(int width, int height, bool noise = false) => Encode(SKEncodedImageFormat.Jpeg, width, height, noise);

    public static byte[] Webp(int width, int height, bool noise = false) => Encode(SKEncodedImageFormat.Webp, width, height, noise);

    /// <summary>
    /// A well-formed PNG of a few dozen bytes whose header claims <paramref name="width"/>×<paramref name="height"/>
    /// (correct CRCs, one tiny IDAT): a decompression bomb in miniature.
    /// </summary>
    public static byte[] PngClaiming(int width, int height)
    {
        using var stream = new MemoryStream();
        stream.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(0), width);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 2; // truecolour
        WriteChunk(stream, "IHDR", ihdr);
        WriteChunk(stream, "IDAT", [0x78, 0x9C, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01]);
        WriteChunk(stream, "IEND", []);
        return stream.ToArray();
    }

    private static void WriteChunk(Stream stream, string type, byte[] data)
    {
        var length = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        stream.Write(length);
        var typed = System.Text.Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        stream.Write(typed);
        var crc = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(typed));
        stream.Write(crc);
    }

    private static uint Crc32(byte[] bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }
        return ~crc;
    }
}
