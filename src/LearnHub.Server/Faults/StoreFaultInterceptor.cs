using System.Security.Cryptography;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Grpc.Core.Interceptors;
using LearnHub.Core.Common;
using LearnHub.Server.Grpc;

namespace LearnHub.Server.Faults;

/// <summary>
/// The last word on how a call that threw ends, so no client ever sees UNKNOWN: a store fault (full disk, read-only
/// file, lost database) is UNAVAILABLE with a RetryInfo and a readable message, and feeds readiness; a call the client
/// cancelled is CANCELLED; anything else is a bug, INTERNAL with an id that one error log line also carries (the
/// exception's text stays in the log). RpcExceptions (the API's own refusals) pass through untouched.
/// </summary>
/// <remarks>
/// A singleton, so gRPC resolves it per call without allocating. On success it adds nothing: a handler that completed
/// synchronously is returned as is, and one that completes later is awaited once (the state machine the await needs).
/// </remarks>
public sealed partial class StoreFaultInterceptor(StoreHealth health, ILogger<StoreFaultInterceptor> logger) : Interceptor
{
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Task<TResponse> call;
        try
        {
            call = continuation(request, context);
        }
        catch (Exception e) when (e is not RpcException)
        {
            return Task.FromException<TResponse>(Translate(e, context));
        }
        return call.IsCompletedSuccessfully ? call : AwaitUnary(call, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Task call;
        try
        {
            call = continuation(request, responseStream, context);
        }
        catch (Exception e) when (e is not RpcException)
        {
            return Task.FromException(Translate(e, context));
        }
        return call.IsCompletedSuccessfully ? call : AwaitCall(call, context);
    }

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Task<TResponse> call;
        try
        {
            call = continuation(requestStream, context);
        }
        catch (Exception e) when (e is not RpcException)
        {
            return Task.FromException<TResponse>(Translate(e, context));
        }
        return call.IsCompletedSuccessfully ? call : AwaitUnary(call, context);
    }

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Task call;
        try
        {
            call = continuation(requestStream, responseStream, context);
        }
        catch (Exception e) when (e is not RpcException)
        {
            return Task.FromException(Translate(e, context));
        }
        return call.IsCompletedSuccessfully ? call : AwaitCall(call, context);
    }

    private async Task<TResponse> AwaitUnary<TResponse>(Task<TResponse> call, ServerCallContext context)
    {
        try
        {
            return await call.ConfigureAwait(false);
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw Translate(e, context);
        }
    }

    private async Task AwaitCall(Task call, ServerCallContext context)
    {
        try
        {
            await call.ConfigureAwait(false);
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw Translate(e, context);
        }
    }

    private RpcException Translate(Exception exception, ServerCallContext context)
    {
        // First: a cancelled database call can fail as a broken connection, which is no fault of the store. The client
        // went away (or its deadline passed, which gRPC has answered already), so nobody reads this status.
        // The answer speaks the caller's language (the interceptor's own flow may not carry what the pipeline set).
        CallLanguage.Apply(context);
        if (context.CancellationToken.IsCancellationRequested)
        {
            return new RpcException(new global::Grpc.Core.Status(StatusCode.Cancelled, LocalizedText.Pick("请求已取消。", "The call was cancelled.")));
        }
        if (StoreFaults.TryClassify(exception, out var fault))
        {
            health.ReportFault(fault);
            LogStoreFault(context.Method, fault.Cause, exception);
            return Unavailable(fault);
        }
        var errorId = NewErrorId();
        LogUnexpected(context.Method, errorId, exception);
        return Internal(errorId);
    }

    /// <summary>UNAVAILABLE with RetryInfo and an ErrorInfo whose reason is STORE_UNAVAILABLE and cause says what failed.</summary>
    public static RpcException Unavailable(StoreFault fault) =>
        new Google.Rpc.Status
        {
            Code = (int)Code.Unavailable,
            Message = fault.Message,
            Details =
            {
                Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(fault.RetryAfter) }),
                Any.Pack(new ErrorInfo { Reason = "STORE_UNAVAILABLE", Domain = RpcErrors.Domain, Metadata = { ["cause"] = fault.Cause } }),
                Any.Pack(RpcErrors.Localized(fault.Message)),
            },
        }.ToRpcException();

    /// <summary>INTERNAL naming the error id an operator finds in the log (RequestInfo.request_id carries it too).</summary>
    public static RpcException Internal(string errorId)
    {
        var message = LocalizedText.Pick($"服务器内部错误，请联系管理员并提供错误编号 {errorId}。", $"Something went wrong on the server. Please tell an administrator error number {errorId}.");
        return new Google.Rpc.Status
        {
            Code = (int)Code.Internal,
            Message = message,
            Details =
            {
                Any.Pack(new RequestInfo { RequestId = errorId }),
                Any.Pack(new ErrorInfo { Reason = "INTERNAL", Domain = RpcErrors.Domain, Metadata = { ["error_id"] = errorId } }),
                Any.Pack(RpcErrors.Localized(message)),
            },
        }.ToRpcException();
    }

    /// <summary>Twelve hex digits: short enough to read over the phone, unique enough to find one log line.</summary>
    public static string NewErrorId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));

    [LoggerMessage(EventId = 9001, Level = LogLevel.Debug, Message = "{Method}: store fault ({Cause}), answered UNAVAILABLE")]
    private partial void LogStoreFault(string method, string cause, Exception exception);

    [LoggerMessage(EventId = 9002, Level = LogLevel.Error, Message = "{Method} failed unexpectedly; answered INTERNAL with error id {ErrorId}")]
    private partial void LogUnexpected(string method, string errorId, Exception exception);
}
