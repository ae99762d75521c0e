using System.Collections.Concurrent;
using System.Threading.Channels;
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
    private readonly ConcurrentDictionary<string, ChannelReader<IMessage>> streams = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> held = new(StringComparer.Ordinal);

    private readonly ConcurrentQueue<(string Method, IMessage Request)> calls = new();

    /// <summary>Every call made so far, in order (recorded from the renderer's threads while a test reads them).</summary>
    public IReadOnlyCollection<(string Method, IMessage Request)> Calls => calls;

    /// <summary>The calls <see cref="Hold"/> kept open, each ending once its caller cancels it.</summary>
    public ConcurrentQueue<Task> HeldCalls { get; } = new();

    public FakeApi On<TRequest, TResponse>(string method, Func<TRequest, TResponse> handler)
        where TRequest : IMessage
        where TResponse : IMessage
    {
        handlers[method] = request => handler((TRequest)request);
        return this;
    }

    /// <summary>
    /// Calls to <paramref name="method"/> stay unanswered until the caller cancels them, and then fail with
    /// <see cref="StatusCode.Cancelled"/> as Grpc.Net.Client's do (e.g. a page left while its call is in flight).
    /// </summary>
    public FakeApi Hold(string method)
    {
        held[method] = true;
        return this;
    }

    public IReadOnlyList<TRequest> RequestsTo<TRequest>(string method) =>
        [.. Calls.Where(c => c.Method == method).Select(c => (TRequest)c.Request)];

    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request)
    {
        calls.Enqueue((method.Name, (IMessage)request));
        Task<TResponse> response;
        if (held.ContainsKey(method.Name))
        {
            response = CancelledAsync<TResponse>(options.CancellationToken);
            HeldCalls.Enqueue(response);
            return new AsyncUnaryCall<TResponse>(response, Task.FromResult(new Metadata()), () => Status.DefaultSuccess, () => [], () => { });
        }
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

    private static async Task<TResponse> CancelledAsync<TResponse>(CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException e)
        {
            throw new RpcException(new Status(StatusCode.Cancelled, "Call canceled by the client.", e));
        }
        throw new InvalidOperationException("unreachable: an infinite delay ended");
    }

    public override TResponse BlockingUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) =>
        AsyncUnaryCall(method, host, options, request).ResponseAsync.GetAwaiter().GetResult();

    /// <summary>
    /// What server-streaming calls to <paramref name="method"/> receive: every message written here, to whichever call
    /// reads first; completing the writer ends the calls. Without it such a call stays open, silent, until cancelled.
    /// </summary>
    public ChannelWriter<TResponse> Stream<TResponse>(string method)
        where TResponse : IMessage
    {
        var channel = Channel.CreateUnbounded<IMessage>();
        streams[method] = channel.Reader;
        return new TypedWriter<TResponse>(channel.Writer);
    }

    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request)
    {
        calls.Enqueue((method.Name, (IMessage)request));
        var cancel = CancellationTokenSource.CreateLinkedTokenSource(options.CancellationToken);
        var reader = new StreamReader<TResponse>(streams.GetValueOrDefault(method.Name), cancel.Token);
        return new AsyncServerStreamingCall<TResponse>(reader, Task.FromResult(new Metadata()), () => Status.DefaultSuccess, () => [], cancel.Cancel);
    }

    public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options) =>
        throw new NotSupportedException("The admin makes unary calls only.");

    public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options) =>
        throw new NotSupportedException("The admin makes unary calls only.");

    /// <summary>Reads a fake stream like a gRPC client: cancelling the call ends it with <see cref="StatusCode.Cancelled"/>.</summary>
    private sealed class StreamReader<T>(ChannelReader<IMessage>? source, CancellationToken callCancelled) : IAsyncStreamReader<T>
    {
        public T Current { get; private set; } = default!;

        public async Task<bool> MoveNext(CancellationToken cancellationToken)
        {
            using var either = CancellationTokenSource.CreateLinkedTokenSource(callCancelled, cancellationToken);
            try
            {
                if (source is null)
                {
                    await Task.Delay(Timeout.Infinite, either.Token);
                    return false;
                }
                while (await source.WaitToReadAsync(either.Token))
                {
                    if (source.TryRead(out var next))
                    {
                        Current = (T)next;
                        return true;
                    }
                }
                return false;
            }
            catch (OperationCanceledException)
            {
                throw new RpcException(new Status(StatusCode.Cancelled, "Call canceled by the client."));
            }
        }
    }

    private sealed class TypedWriter<T>(ChannelWriter<IMessage> inner) : ChannelWriter<T>
        where T : IMessage
    {
        public override bool TryComplete(Exception? error = null) => inner.TryComplete(error);

        public override bool TryWrite(T item) => inner.TryWrite(item);

        public override ValueTask<bool> WaitToWriteAsync(CancellationToken cancellationToken = default) => inner.WaitToWriteAsync(cancellationToken);
    }
}
