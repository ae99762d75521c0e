using System.Globalization;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace LearnHub.Server.Grpc;

/// <summary>
/// Answers a gRPC request from middleware that runs before gRPC itself (authentication, rate limiting): a
/// trailers-only response with the status, its message and the google.rpc details, as a gRPC service would give.
/// </summary>
public static class GrpcTrailersOnly
{
    public static bool IsGrpcRequest(HttpContext http) =>
        http.Request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) ?? false;

    /// <summary>Writes a refusal built by <see cref="RpcErrors"/> (status, message and every detail) as a trailers-only response.</summary>
    public static void Write(HttpResponse response, RpcException refusal)
    {
        var status = refusal.GetRpcStatus() ?? new Google.Rpc.Status { Code = (int)refusal.StatusCode, Message = refusal.Status.Detail };
        WriteStatus(response, status);
    }

    /// <summary>
    /// Writes the status; a <c>google.rpc.LocalizedMessage</c> with <paramref name="message"/> in the call's language is
    /// added to <paramref name="details"/> (which should hold the ErrorInfo, see <see cref="RpcErrors.Info"/>).
    /// </summary>
    public static void Write(HttpResponse response, Google.Rpc.Code code, string message, params IMessage[] details)
    {
        var status = new Google.Rpc.Status { Code = (int)code, Message = message, Details = { Any.Pack(RpcErrors.Localized(message)) } };
        foreach (var detail in details)
        {
            status.Details.Add(Any.Pack(detail));
        }
        WriteStatus(response, status);
    }

    private static void WriteStatus(HttpResponse response, Google.Rpc.Status status)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/grpc";
        response.Headers["grpc-status"] = status.Code.ToString(CultureInfo.InvariantCulture);
        response.Headers["grpc-message"] = GrpcStatusMessage.Encode(status.Message);
        response.Headers["grpc-status-details-bin"] = Convert.ToBase64String(status.ToByteArray());
    }
}
