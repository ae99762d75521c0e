using System.Text;

namespace LearnHub.Server.Grpc;

/// <summary>The grpc-message header for code that writes a gRPC status itself (middleware that runs before gRPC).</summary>
public static class GrpcStatusMessage
{
    /// <summary>
    /// Encodes as the gRPC spec says (PROTOCOL-HTTP2, "Status-Message"): the message's UTF-8 bytes, with every byte
    /// outside 0x20–0x7E and '%' itself written as %XX, the rest as is. Clients decode exactly that; a URI escaping
    /// (which also escapes ',', ' ', '(' …) shows its %XX to the user.
    /// </summary>
    public static string Encode(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var bytes = Encoding.UTF8.GetBytes(message);
        var encoded = new StringBuilder(bytes.Length * 3);
        foreach (var b in bytes)
        {
            if (b is >= 0x20 and <= 0x7E and not (byte)'%')
            {
                encoded.Append((char)b);
            }
            else
            {
                encoded.Append('%').Append(Convert.ToHexString([b]));
            }
        }
        return encoded.ToString();
    }
}
