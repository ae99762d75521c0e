using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using LearnHub.Core.Common;
using LearnHub.Server.Identity;

namespace LearnHub.Server.Grpc;

/// <summary>Page sizes shared by the list RPCs.</summary>
public static class PageToken
{
    public const int DefaultPageSize = 20;
    public const int MaxPageSize = 100;

    public static int PageSize(int requested, int defaultSize = DefaultPageSize, int max = MaxPageSize)
    {
        if (requested < 0 || requested > max)
        {
            RpcErrors.ThrowInvalid("page_size", LocalizedText.Pick($"每页数量须在 0–{max} 之间。", $"The page size must be 0–{max}."));
        }
        return requested == 0 ? defaultSize : requested;
    }
}

/// <summary>
/// Where the next page starts, in a list's order: a keyset (<see cref="Number"/>, <see cref="Key"/>), optionally
/// after a <see cref="Group"/> that orders first (e.g. a report's status), or an offset in <see cref="Number"/>.
/// </summary>
public readonly record struct PagePosition(long Number, string Key = "", long Group = 0);

/// <summary>
/// Opaque page tokens: a <see cref="PagePosition"/> signed with HMAC-SHA256 under a key derived from the server's
/// signing key, bound to the list and the caller it was issued for. A token the server did not issue for this list and
/// this caller (edited, forged, from another list or another user) is INVALID_ARGUMENT on <c>page_token</c>, before
/// anything reads it; a valid one keeps working across restarts and on every node, which share the signing key.
/// </summary>
public sealed class PageTokens
{
    private const byte Version = 1;
    private const int MacBytes = 16;
    private const int MaxTokenChars = 1024;

    private readonly byte[] key;

    public PageTokens(SigningKeyStore signingKeys)
    {
        ArgumentNullException.ThrowIfNull(signingKeys);
        // A key of its own: a page token's MAC can never pass for anything else signed with the signing key.
        key = HKDF.DeriveKey(HashAlgorithmName.SHA256, signingKeys.Key.Key, 32, salt: [], info: "learnhub page tokens v1"u8.ToArray());
    }

    /// <summary>The token for <paramref name="position"/> in <paramref name="list"/> as <paramref name="userId"/> sees it.</summary>
    public string Issue(string list, string userId, PagePosition position)
    {
        var keyBytes = Encoding.UTF8.GetBytes(position.Key);
        var token = new byte[1 + 8 + 8 + keyBytes.Length + MacBytes];
        token[0] = Version;
        BinaryPrimitives.WriteInt64BigEndian(token.AsSpan(1), position.Group);
        BinaryPrimitives.WriteInt64BigEndian(token.AsSpan(9), position.Number);
        keyBytes.CopyTo(token.AsSpan(17));
        var body = token.AsSpan(0, token.Length - MacBytes);
        Sign(list, userId, body, token.AsSpan(body.Length));
        return Base64Url.EncodeToString(token);
    }

    /// <summary>
    /// The position a token of <paramref name="list"/> issued to <paramref name="userId"/> holds; null for an empty
    /// token (the first page). Anything else is refused with INVALID_ARGUMENT on <c>page_token</c>.
    /// </summary>
    public PagePosition? Read(string token, string list, string userId)
    {
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }
        byte[] bytes;
        try
        {
            bytes = token.Length <= MaxTokenChars ? Base64Url.DecodeFromChars(token) : [];
        }
        catch (FormatException)
        {
            throw Invalid();
        }
        if (bytes.Length < 1 + 8 + 8 + MacBytes || bytes[0] != Version)
        {
            throw Invalid();
        }
        var body = bytes.AsSpan(0, bytes.Length - MacBytes);
        Span<byte> expected = stackalloc byte[MacBytes];
        Sign(list, userId, body, expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, bytes.AsSpan(body.Length)))
        {
            throw Invalid();
        }
        return new PagePosition(
            BinaryPrimitives.ReadInt64BigEndian(body[9..]),
            Encoding.UTF8.GetString(body[17..]),
            BinaryPrimitives.ReadInt64BigEndian(body[1..]));
    }

    /// <summary>HMAC over the list's name, the caller and the body, each length-prefixed so no two inputs read alike.</summary>
    private void Sign(string list, string userId, ReadOnlySpan<byte> body, Span<byte> mac)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        AppendWithLength(hmac, Encoding.UTF8.GetBytes(list));
        AppendWithLength(hmac, Encoding.UTF8.GetBytes(userId));
        hmac.AppendData(body);
        Span<byte> full = stackalloc byte[32];
        hmac.GetHashAndReset(full);
        full[..mac.Length].CopyTo(mac);
    }

    private static void AppendWithLength(IncrementalHash hash, byte[] data)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        hash.AppendData(length);
        hash.AppendData(data);
    }

    private static RpcException Invalid() =>
        RpcErrors.Invalid([new FieldError("page_token", LocalizedText.Pick("无效的分页标记，请从第一页重新开始。", "This page link is no longer valid. Start again from the first page."))]);
}
