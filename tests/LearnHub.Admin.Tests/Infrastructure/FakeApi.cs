using Google.Protobuf;
using Grpc.Core;

namespace LearnHub.Admin.Tests.Infrastructure;

/// <summary>
/// A gRPC CallInvoker that answers unary calls from handlers registered per method name (e.g. "CreateSession"),
/// records every request, and throws what a handler throws (an RpcException built like the server's).
/// </summary>
public sealed class FakeApi : CallInvoker
{
    private readonly Dictionary<string, Func<IMessage, IMessage>> handlers = new(StringComparer.Ordinal);

    public List<(string Method, IMessage Request)> Calls { get; } = [];

    public FakeApi On<TRequest, TResponse>(string method, Func<TRequest, TResponse> handler)
        where TRequest : IMessage
        where TResponse : IMessage
    {
        handlers[method] = request => handler((TRequest)request);
        return this;
    }

    public IEnumerable<TRequest> RequestsTo<TRequest>(string method) =>
        Calls.Where(c => c.Method == method).Select(c => (TRequest)c.Request);

    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request)
    {
        lock (Calls)
        {
            Calls.Add((method.Name, (IMessage)request));
        }
        Task<TResponse> response;
        try
        {
            response = handlers.TryGetValue(method.Name, out var handler)
                ? Task.FromResult((TResponse)handler((IMessage)request))
                : throw new RpcException(new Status(StatusCode.Unimplemented, $"FakeApi has no handler for {method.Name}"));
        }
        catch (RpcException e)
        {
            response = Task.FromException<TResponse>(e);
        }
        return new AsyncUnaryCall<TResponse>(response, Task.FromResult(new Metadata()), () => Status.DefaultSuccess, () => [], () => { });
    }

    public override TResponse BlockingUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) =>
        AsyncUnaryCall(method, host, options, request).ResponseAsync.GetAwaiter().GetResult();

    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) =>
        throw new NotSupportedException("The admin makes unary calls only.");

    public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options) =>
        throw new NotSupportedException("The admin makes unary calls only.");

    public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options) =>
        throw new NotSupportedException("The admin makes unary calls only.");
}
