using LearnHub.Core.Common;
using SkiaSharp;

namespace LearnHub.Server.Broadcasts;

/// <summary>What an accepted image is, by its content.</summary>
public sealed record InspectedImage(string ContentType, int Width, int Height);

/// <summary>
/// Checks 图片消息 by content, never by name or declared type: Skia's codecs recognise PNG, JPEG and WebP from their
/// bytes; dimensions are read from the header before any pixel is decoded (a huge canvas in a tiny file is refused
/// cheaply); then the whole image is decoded, so a truncated or corrupt file is refused too.
/// </summary>
public static class BroadcastImages
{
    public const int MaxBytes = 2 * 1024 * 1024;

    public const int MaxSide = 4096;

    public const long MaxPixels = 4096L * 4096;

    // Decoding a large image takes up to MaxPixels × 4 bytes: one at a time bounds the memory.
    private static readonly SemaphoreSlim Decoding = new(1, 1);

    public static async Task<(InspectedImage? Image, FieldError? Error)> InspectAsync(ReadOnlyMemory<byte> bytes, CancellationToken ct)
    {
        if (bytes.IsEmpty)
        {
            return (null, new FieldError("image", LocalizedText.Pick("请选择图片。", "Choose an image.")));
        }
        if (bytes.Length > MaxBytes)
        {
            return (null, new FieldError("image", LocalizedText.Pick($"图片不能超过 2 MB，当前 {bytes.Length / 1024} KB。", $"The image can be at most 2 MB; this one is {bytes.Length / 1024} KB.")));
        }
        await Decoding.WaitAsync(ct);
        try
        {
            return Inspect(bytes);
        }
        finally
        {
            Decoding.Release();
        }
    }

    private static (InspectedImage?, FieldError?) Inspect(ReadOnlyMemory<byte> bytes)
    {
        using var data = SKData.CreateCopy(bytes.Span);
        using var codec = SKCodec.Create(data);
        var contentType = codec?.EncodedFormat switch
        {
            SKEncodedImageFormat.Png => "image/png",
            SKEncodedImageFormat.Jpeg => "image/jpeg",
            SKEncodedImageFormat.Webp => "image/webp",
            _ => null,
        };
        if (codec is null || contentType is null)
        {
            return (null, new FieldError("image", LocalizedText.Pick("只支持 PNG、JPEG、WebP 图片。", "Only PNG, JPEG and WebP images are supported.")));
        }
        var (width, height) = (codec.Info.Width, codec.Info.Height);
        if (width <= 0 || height <= 0 || width > MaxSide || height > MaxSide || (long)width * height > MaxPixels)
        {
            return (null, new FieldError("image", LocalizedText.Pick($"图片尺寸不能超过 {MaxSide}×{MaxSide}，当前 {width}×{height}。", $"The image can be at most {MaxSide}×{MaxSide} pixels; this one is {width}×{height}.")));
        }
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var bitmap = new SKBitmap(info);
        var result = codec.GetPixels(info, bitmap.GetPixels());
        return result == SKCodecResult.Success
            ? (new InspectedImage(contentType, width, height), null)
            : (null, new FieldError("image", LocalizedText.Pick("图片已损坏或不完整。", "The image is truncated or corrupt.")));
    }
}
