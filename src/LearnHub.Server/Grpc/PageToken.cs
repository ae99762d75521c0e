using System.Buffers.Text;
using System.Text;
using LearnHub.Core.Common;

namespace LearnHub.Server.Grpc;

/// <summary>Opaque page tokens: a keyset position (or offset) encoded so clients treat it as a black box.</summary>
public static class PageToken
{
    public const int DefaultPageSize = 20;
    public const int MaxPageSize = 100;

    public static int PageSize(int requested, int defaultSize = DefaultPageSize, int max = MaxPageSize)
    {
        if (requested < 0 || requested > max)
        {
            RpcErrors.ThrowInvalid("page_size", $"page_size 须在 0–{max} 之间 (page_size must be 0 to {max}).");
        }
        return requested == 0 ? defaultSize : requested;
    }

    public static string Encode(params object[] parts) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(string.Join('\n', parts.Select(p => Convert.ToString(p, System.Globalization.CultureInfo.InvariantCulture)))));

    /// <summary>The token's parts, or null for an empty token; a token that is not ours is INVALID_ARGUMENT.</summary>
    public static string[]? Decode(string token, int expectedParts)
    {
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }
        try
        {
            var parts = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token)).Split('\n');
            if (parts.Length == expectedParts)
            {
                return parts;
            }
        }
        catch (FormatException)
        {
        }
        throw RpcErrors.Invalid([new FieldError("page_token", "无效的分页标记 (invalid page_token).")]);
    }

    public static long DecodeLong(string value) =>
        long.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var n)
            ? n
            : throw RpcErrors.Invalid([new FieldError("page_token", "无效的分页标记 (invalid page_token).")]);
}
