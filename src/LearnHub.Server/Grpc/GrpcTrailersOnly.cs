using System.Globalization;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace LearnHub.Server.Grpc;

/// <summary>
/// Answers a gRPC request from middleware that runs before gRPC itself (authentication, rate limiting): a
/// trailers-only response with the status, its message and the google.rpc details, as a gRPC service would give.
/// </summary>
public static class GrpcTrailersOnly
{
    public static bool IsGrpcRequest(HttpContext http) =>
        http.Request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) ?? false;

    public static void Write(HttpResponse response, Google.Rpc.Code code, string message, params IMessage[] details)
    {
        var status = new Google.Rpc.Status { Code = (int)code, Message = message };
        foreach (var detail in details)
        {
            status.Details.Add(Any.Pack(detail));
        }
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/grpc";
        response.Headers["grpc-status"] = ((int)code).ToString(CultureInfo.InvariantCulture);
        response.Headers["grpc-message"] = PercentEncode(message);
        response.Headers["grpc-status-details-bin"] = Convert.ToBase64String(status.ToByteArray());
    }

    /// <summary>
    /// The gRPC spec's encoding of grpc-message: UTF-8, with every byte outside printable ASCII (0x20–0x7E) and '%'
    /// written as %XX. Nothing else is escaped, so every client decodes it to the same text.
    /// </summary>
    public static string PercentEncode(string message)
    {
        var bytes = Encoding.UTF8.GetBytes(message);
        var encoded = new StringBuilder(bytes.Length);
        foreach (var b in bytes)
        {
            if (b is >= 0x20 and <= 0x7E and not (byte)'%')
            {
                encoded.Append((char)b);
            }
            else
            {
                encoded.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }
        return encoded.ToString();
    }
}
