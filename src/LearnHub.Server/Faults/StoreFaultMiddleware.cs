using System.Globalization;
using Google.Protobuf;
using Grpc.Core;
using LearnHub.Server.Grpc;
using Microsoft.AspNetCore.SignalR;

namespace LearnHub.Server.Faults;

/// <summary>
/// Store faults outside a gRPC handler: in authentication (reading a caller's current access), in the .ics feeds, the
/// console's pages and the hub's negotiation. A plain HTTP request gets 503 with Retry-After and a readable line
/// instead of 500; a gRPC request that fails before its handler gets the same trailers-only answer the interceptor
/// would give (UNAVAILABLE, or INTERNAL with an error id), never an HTTP 500 that clients read as UNKNOWN.
/// </summary>
public sealed partial class StoreFaultMiddleware(RequestDelegate next, StoreHealth health, ILogger<StoreFaultMiddleware> logger)
{
    public Task InvokeAsync(HttpContext context)
    {
        Task request;
        try
        {
            request = next(context);
        }
        catch (Exception e) when (Handles(context, e))
        {
            return AnswerAsync(context, e);
        }
        return request.IsCompletedSuccessfully ? Task.CompletedTask : AwaitRequest(request, context);
    }

    private async Task AwaitRequest(Task request, HttpContext context)
    {
        try
        {
            await request.ConfigureAwait(false);
        }
        catch (Exception e) when (Handles(context, e))
        {
            await AnswerAsync(context, e).ConfigureAwait(false);
        }
    }

    /// <summary>Only while the response can still be replaced; gRPC requests get an answer for anything, HTTP for store faults.</summary>
    private static bool Handles(HttpContext context, Exception exception) =>
        !context.Response.HasStarted
        && !context.RequestAborted.IsCancellationRequested
        && (GrpcTrailersOnly.IsGrpcRequest(context) || StoreFaults.TryClassify(exception, out _));

    private Task AnswerAsync(HttpContext context, Exception exception)
    {
        var response = context.Response;
        response.Clear();
        // The answer speaks the caller's language, however far the request got (anonymous: its accept-language).
        if (GrpcTrailersOnly.IsGrpcRequest(context))
        {
            CallLanguage.Apply(context);
        }
        if (StoreFaults.TryClassify(exception, out var fault))
        {
            health.ReportFault(fault);
            LogStoreFault(context.Request.Path, fault.Cause, exception);
            if (GrpcTrailersOnly.IsGrpcRequest(context))
            {
                WriteGrpc(response, StoreFaultInterceptor.Unavailable(fault));
                return Task.CompletedTask;
            }
            response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            response.Headers.RetryAfter = ((int)Math.Ceiling(fault.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            response.Headers.CacheControl = "no-store";
            response.ContentType = "text/plain; charset=utf-8";
            return response.WriteAsync(fault.Message + "\n", context.RequestAborted);
        }
        var errorId = StoreFaultInterceptor.NewErrorId();
        LogUnexpected(context.Request.Path, errorId, exception);
        WriteGrpc(response, StoreFaultInterceptor.Internal(errorId));
        return Task.CompletedTask;
    }

    /// <summary>A trailers-only gRPC response carrying the refusal's status and its details as they are.</summary>
    private static void WriteGrpc(HttpResponse response, RpcException refusal)
    {
        var status = refusal.GetRpcStatus()!;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/grpc";
        response.Headers["grpc-status"] = status.Code.ToString(CultureInfo.InvariantCulture);
        response.Headers["grpc-message"] = GrpcStatusMessage.Encode(status.Message);
        response.Headers["grpc-status-details-bin"] = Convert.ToBase64String(status.ToByteArray());
    }

    [LoggerMessage(EventId = 9003, Level = LogLevel.Debug, Message = "{Path}: store fault ({Cause}), answered unavailable")]
    private partial void LogStoreFault(string path, string cause, Exception exception);

    [LoggerMessage(EventId = 9004, Level = LogLevel.Error, Message = "{Path} failed before its gRPC handler; answered INTERNAL with error id {ErrorId}")]
    private partial void LogUnexpected(string path, string errorId, Exception exception);
}

/// <summary>The live dashboard hub's methods: a store fault is a HubException the dashboard can show, not "an unexpected error".</summary>
public sealed class StoreFaultHubFilter(StoreHealth health) : IHubFilter
{
    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        try
        {
            return await next(invocationContext);
        }
        catch (Exception e) when (e is not HubException && StoreFaults.TryClassify(e, out var fault))
        {
            health.ReportFault(fault);
            Grpc.CallLanguage.Apply(invocationContext.Context);
            throw new HubException(fault.Message);
        }
    }

    public async Task OnConnectedAsync(HubLifetimeContext context, Func<HubLifetimeContext, Task> next)
    {
        try
        {
            await next(context);
        }
        catch (Exception e) when (e is not HubException && StoreFaults.TryClassify(e, out var fault))
        {
            health.ReportFault(fault);
            Grpc.CallLanguage.Apply(context.Context);
            throw new HubException(fault.Message);
        }
    }
}
