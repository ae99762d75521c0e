using Google.Protobuf;
using Grpc.Core;
using LearnHub.Api.V1;
using LearnHub.Server.Tests.Infrastructure;
using SkiaSharp;

namespace LearnHub.Server.Tests.Broadcasts;

/// <summary>One host for the image cases; each case has its own certified creator (and so its own quota).</summary>
public sealed class ImageHost : IAsyncLifetime
{
    private int creators;

    public FanBroadcastWorld World { get; private set; } = null!;

    public async ValueTask InitializeAsync() => World = await FanBroadcastWorld.StartAsync();

    public Task<TestUser> NewCreatorAsync() => World.CreatorAsync($"creator-{Interlocked.Increment(ref creators)}");

    public async ValueTask DisposeAsync() => await World.DisposeAsync();
}

/// <summary>
/// 图片消息 checked by content (PNG, JPEG, WebP), at most 2 MiB and 4096×4096 pixels. A refused image freezes
/// nothing: the quota and 群发记录 are as before.
/// </summary>
public sealed class BroadcastImageTests(ImageHost host) : IClassFixture<ImageHost>
{
    private const int MiB = 1024 * 1024;

    public static TheoryData<string> GoodImages => ["png", "jpeg", "webp", "png 4096×10", "jpeg 10×4096"];

    [Theory]
    [MemberData(nameof(GoodImages))]
    public async Task A_real_image_is_accepted_with_its_content_type_and_dimensions(string name)
    {
        var (bytes, contentType, width, height) = name switch
        {
            "png" => (TestImages.Png(320, 240), "image/png", 320, 240),
            "jpeg" => (TestImages.Jpeg(640, 360), "image/jpeg", 640, 360),
            "webp" => (TestImages.Webp(200, 300), "image/webp", 200, 300),
            "png 4096×10" => (TestImages.Png(4096, 10), "image/png", 4096, 10),
            "jpeg 10×4096" => (TestImages.Jpeg(10, 4096), "image/jpeg", 10, 4096),
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };
        var creator = await host.NewCreatorAsync();

        var submitted = await host.World.SubmitImageAsync(creator, bytes);

        Assert.Equal((BroadcastKind.Image, BroadcastStatus.Pending, "", contentType, width, height),
            (submitted.Kind, submitted.Status, submitted.Text, submitted.ImageContentType, submitted.ImageWidth, submitted.ImageHeight));
        var image = await creator.Broadcasts.GetBroadcastImageAsync(new GetBroadcastImageRequest { BroadcastId = submitted.Id });
        Assert.Equal((contentType, width, height), (image.ContentType, image.Width, image.Height));
        Assert.Equal(bytes, image.Data.ToByteArray());
        var quota = await creator.Broadcasts.GetQuotaAsync(new GetQuotaRequest());
        Assert.Equal((1, 1), (quota.Frozen, quota.Remaining));
    }

    public static TheoryData<string> BadImages =>
    [
        "empty", "text file", "png with its first byte changed", "gif", "png cut in half", "jpeg cut in half", "webp cut in half",
        "2 MiB + 1 byte", "png 5000×10", "png 4097×4097 claimed", "png header claiming 100000×100000",
    ];

    [Theory]
    [MemberData(nameof(BadImages))]
    public async Task A_crafted_bad_image_is_refused_on_image_and_freezes_nothing(string name)
    {
        var bytes = name switch
        {
            "empty" => [],
            "text file" => "今晚八点直播,不见不散\n"u8.ToArray(),
            "png with its first byte changed" => Spoil(TestImages.Png(64, 64), b => b[0] = 0x88),
            "gif" => Gif1x1,
            "png cut in half" => Half(TestImages.Png(256, 256, noise: true)),
            "jpeg cut in half" => Half(TestImages.Jpeg(256, 256, noise: true)),
            "webp cut in half" => Half(TestImages.Webp(256, 256, noise: true)),
            "2 MiB + 1 byte" => Padded(TestImages.Png(64, 64), (2 * MiB) + 1),
            "png 5000×10" => TestImages.Png(5000, 10),
            "png 4097×4097 claimed" => TestImages.PngClaiming(4097, 4097),
            "png header claiming 100000×100000" => TestImages.PngClaiming(100_000, 100_000),
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };
        // The crafted bytes are what they claim: a GIF and the truncated files are still recognised by a decoder.
        if (name == "gif")
        {
            Assert.Equal(SKEncodedImageFormat.Gif, FormatOf(bytes));
        }
        if (name.EndsWith("cut in half", StringComparison.Ordinal))
        {
            Assert.NotNull(FormatOf(bytes));
        }
        var creator = await host.NewCreatorAsync();
        var before = await StateAsync(creator);

        await Refusal.AssertAsync(StatusCode.InvalidArgument, "image", () => host.World.SubmitImageAsync(creator, bytes));

        Assert.Equal(before, await StateAsync(creator));
        var quota = await creator.Broadcasts.GetQuotaAsync(new GetQuotaRequest());
        Assert.Equal((0, 0, 2), (quota.Frozen, quota.Consumed, quota.Remaining));
        // The refusal cost nothing: the creator can still submit both of the week's broadcasts.
        await host.World.SubmitImageAsync(creator, TestImages.Png(8, 8));
        await host.World.SubmitTextAsync(creator, "第二条");
    }

    [Fact]
    public async Task An_image_of_exactly_2_MiB_is_accepted()
    {
        var creator = await host.NewCreatorAsync();
        var bytes = Padded(TestImages.Png(64, 64), 2 * MiB);

        var submitted = await host.World.SubmitImageAsync(creator, bytes);

        Assert.Equal(("image/png", 64, 64), (submitted.ImageContentType, submitted.ImageWidth, submitted.ImageHeight));
    }

    [Fact]
    public async Task A_3_MiB_image_is_stopped_by_the_message_limit_and_freezes_nothing()
    {
        var creator = await host.NewCreatorAsync();
        var before = await StateAsync(creator);
        var bytes = Padded(TestImages.Png(64, 64), 3 * MiB);

        var refusal = await Assert.ThrowsAsync<RpcException>(() => host.World.SubmitImageAsync(creator, bytes));

        // BroadcastService accepts messages up to 2 MiB + 64 KiB; gRPC refuses a larger one before the service runs.
        Assert.Equal(StatusCode.ResourceExhausted, refusal.StatusCode);
        Assert.Equal(before, await StateAsync(creator));
        Assert.Equal(2, (await creator.Broadcasts.GetQuotaAsync(new GetQuotaRequest())).Remaining);
    }

    [Fact]
    public async Task A_text_message_carries_no_image_and_an_image_message_no_text()
    {
        var creator = await host.NewCreatorAsync();
        var before = await StateAsync(creator);
        var png = TestImages.Png(8, 8);

        await Refusal.AssertAsync(StatusCode.InvalidArgument, "image", () => creator.Broadcasts.SubmitBroadcastAsync(new SubmitBroadcastRequest
        {
            RequestId = "text-with-image", Kind = BroadcastKind.Text, Text = "文字", Image = ByteString.CopyFrom(png),
            AgreedToAgreement = true, AgreementVersion = FanBroadcastWorld.AgreementVersion,
        }).ResponseAsync);
        var imageWithText = host.World.ImageRequest(png);
        imageWithText.Text = "配文";
        await Refusal.AssertAsync(StatusCode.InvalidArgument, "text", () => creator.Broadcasts.SubmitBroadcastAsync(imageWithText).ResponseAsync);

        Assert.Equal(before, await StateAsync(creator));
    }

    /// <summary>What a refused submission must not change: the quota and 群发记录.</summary>
    private static async Task<string> StateAsync(TestUser creator)
    {
        var list = await creator.Broadcasts.ListMyBroadcastsAsync(new ListMyBroadcastsRequest { PageSize = 100 });
        return JsonFormatter.Default.Format(list);
    }

    private static byte[] Spoil(byte[] bytes, Action<byte[]> change)
    {
        change(bytes);
        return bytes;
    }

    private static byte[] Half(byte[] bytes) => bytes[..(bytes.Length / 2)];

    /// <summary>A valid image followed by zeros up to <paramref name="length"/> bytes (decoders ignore what follows the end).</summary>
    private static byte[] Padded(byte[] image, int length)
    {
        var padded = new byte[length];
        image.CopyTo(padded, 0);
        return padded;
    }

    /// <summary>A real 1×1 GIF: an image, but not one of PNG, JPEG, WebP.</summary>
    private static readonly byte[] Gif1x1 = Convert.FromBase64String("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7");

    private static SKEncodedImageFormat? FormatOf(byte[] bytes)
    {
        using var data = SKData.CreateCopy(bytes);
        using var codec = SKCodec.Create(data);
        return codec?.EncodedFormat;
    }
}
