using System.Buffers;
using System.Reflection;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using LearnHub.Core.Common;

namespace LearnHub.Server.Grpc;

/// <summary>
/// Makes a request message that cannot be decoded (invalid UTF-8 in a string, truncated or garbage protobuf) an
/// INVALID_ARGUMENT naming the field, instead of the UNKNOWN grpc-dotnet answers for any exception that is not an
/// <see cref="RpcException"/>. grpc-dotnet reads the request inside its call handler, before interceptors run, so the
/// only place to catch the failure is the request marshaller: this replaces grpc-dotnet's default method provider
/// (which binds each generated service through its BindService) with one that binds the same methods, with the same
/// endpoint metadata, and a request marshaller that turns a decoding failure into a refusal. It applies to every
/// service mapped with MapGrpcService (LearnHub's, health, reflection), unary and streaming alike.
/// </summary>
public static class UndecodableRequests
{
    /// <summary>
    /// Call after every AddGrpc* registration: AddGrpc adds grpc-dotnet's provider back when it is missing.
    /// </summary>
    public static IServiceCollection RefuseUndecodableRequests(this IServiceCollection services)
    {
        var binder = services.SingleOrDefault(d =>
            d.ServiceType == typeof(IServiceMethodProvider<>)
            && d.ImplementationType is { IsGenericTypeDefinition: true, Name: "BinderServiceMethodProvider`1" })
            ?? throw new InvalidOperationException(
                "grpc-dotnet's BinderServiceMethodProvider<> is not registered: call RefuseUndecodableRequests after AddGrpc, or grpc-dotnet changed how it binds services.");
        // Same place in the list: providers run in registration order.
        services[services.IndexOf(binder)] = Microsoft.Extensions.DependencyInjection.ServiceDescriptor.Singleton(typeof(IServiceMethodProvider<>), typeof(GuardedServiceMethodProvider<>));
        return services;
    }

    /// <summary>The same method with a request marshaller whose failures are INVALID_ARGUMENT.</summary>
    internal static Method<TRequest, TResponse> Guard<TRequest, TResponse>(Method<TRequest, TResponse> method)
        where TRequest : class
        where TResponse : class
    {
        var decode = method.RequestMarshaller.ContextualDeserializer;
        var descriptor = typeof(TRequest).GetProperty("Descriptor", BindingFlags.Public | BindingFlags.Static)?.GetValue(null) as MessageDescriptor;
        // One delegate per method, made once at startup: a call pays an extra delegate call and a try block, nothing more.
        var marshaller = new Marshaller<TRequest>(method.RequestMarshaller.ContextualSerializer, (DeserializationContext context) =>
        {
            TRequest request;
            try
            {
                request = decode(context);
            }
            catch (InvalidProtocolBufferException)
            {
                // Google.Protobuf reports every undecodable input this way, invalid UTF-8 in a string included.
                throw Refusal(descriptor is null ? null : Walk(descriptor, context.PayloadAsReadOnlySequence()));
            }
            // U+0000 decodes, but PostgreSQL text cannot hold it and no field needs it: refused in every string. Only a
            // message with a 0x00 byte somewhere is walked (bytes fields, explicit zeros), and that walk allocates nothing
            // unless it finds something.
            if (descriptor is not null && WireFormatCheck.MayHoldNul(context.PayloadAsReadOnlySequence())
                && Walk(descriptor, context.PayloadAsReadOnlySequence()) is { Problem: WireFault.NulCharacter } fault)
            {
                throw Refusal(fault);
            }
            return request;
        });
        return new Method<TRequest, TResponse>(method.Type, method.ServiceName, method.Name, marshaller, method.ResponseMarshaller);
    }

    private static WireFaultAt? Walk(MessageDescriptor descriptor, in ReadOnlySequence<byte> payload)
    {
        if (payload.IsSingleSegment)
        {
            return WireFormatCheck.FindFault(descriptor, payload.FirstSpan);
        }
        // A large message arrives in several pipe segments: walk a pooled copy.
        var length = (int)payload.Length;
        var copy = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            payload.CopyTo(copy);
            return WireFormatCheck.FindFault(descriptor, copy.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }

    /// <summary>INVALID_ARGUMENT naming the field whose bytes could not be read (empty: the message as a whole).</summary>
    internal static RpcException Refusal(WireFaultAt? fault)
    {
        var field = fault?.Path ?? "";
        // The field's path is in the BadRequest violation; the message, read by a person, names no key.
        var message = fault?.Problem switch
        {
            WireFault.InvalidUtf8 => LocalizedText.Pick("请求无法解码：其中的文本不是有效的 UTF-8。", "The request could not be read: a text in it is not valid UTF-8."),
            WireFault.NulCharacter => LocalizedText.Pick("请求无法解码：其中的文本不能包含 U+0000 字符。", "The request could not be read: a text in it contains the character U+0000."),
            WireFault.Truncated => LocalizedText.Pick("请求无法解码：数据不完整。", "The request could not be read: it is truncated."),
            WireFault.TooDeep => LocalizedText.Pick("请求无法解码：消息嵌套过深。", "The request could not be read: it is nested too deeply."),
            _ => LocalizedText.Pick("请求无法解码：不是有效的 protobuf 编码。", "The request could not be read: it is not valid protobuf."),
        };
        return RpcErrors.Invalid([new FieldError(field, message)]);
    }
}

/// <summary>
/// Binds a generated service as grpc-dotnet's own binder does (BindService from the [BindServiceMethod] attribute,
/// the implementation's override of each method, type attributes then method attributes as endpoint metadata, POST
/// with CORS preflight accepted), with each method's request marshaller guarded by <see cref="UndecodableRequests.Guard"/>.
/// </summary>
internal sealed class GuardedServiceMethodProvider<TService>(IServiceProvider services) : IServiceMethodProvider<TService>
    where TService : class
{
    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<TService> context)
    {
        // An AddGrpc after RefuseUndecodableRequests puts grpc-dotnet's binder back: every method would be mapped twice.
        if (services.GetServices<IServiceMethodProvider<TService>>().Any(p => p.GetType().Name.StartsWith("BinderServiceMethodProvider", StringComparison.Ordinal)))
        {
            throw new InvalidOperationException(
                $"grpc-dotnet's BinderServiceMethodProvider is registered again (AddGrpc was called after RefuseUndecodableRequests): call RefuseUndecodableRequests after every AddGrpc* registration.");
        }
        for (var type = typeof(TService); type is not null; type = type.BaseType)
        {
            // The generated base carries the attribute; BindService's second parameter is that base.
            if (type.GetCustomAttribute<BindServiceMethodAttribute>(inherit: false) is { } attribute)
            {
                var bind = attribute.BindType.GetMethod(attribute.BindMethodName, BindingFlags.Public | BindingFlags.Static, [typeof(ServiceBinderBase), type])
                    ?? throw new InvalidOperationException($"{attribute.BindType}.{attribute.BindMethodName}({nameof(ServiceBinderBase)}, {type}) not found.");
                try
                {
                    bind.Invoke(null, [new Binder(context, bind.GetParameters()[1].ParameterType), null]);
                }
                catch (TargetInvocationException e) when (e.InnerException is not null)
                {
                    throw new InvalidOperationException($"Error binding gRPC service '{typeof(TService).Name}'.", e.InnerException);
                }
                return;
            }
        }
        throw new InvalidOperationException($"{typeof(TService)} is not a generated gRPC service (no [BindServiceMethod] on it or its base types).");
    }

    private sealed class Binder(ServiceMethodProviderContext<TService> context, Type serviceBase) : ServiceBinderBase
    {
        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler)
        {
            var (invoker, metadata) = Model<UnaryServerMethod<TService, TRequest, TResponse>>(method.Name, typeof(TRequest), typeof(ServerCallContext));
            context.AddUnaryMethod(UndecodableRequests.Guard(method), metadata, invoker);
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse>? handler)
        {
            var (invoker, metadata) = Model<ServerStreamingServerMethod<TService, TRequest, TResponse>>(
                method.Name, typeof(TRequest), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext));
            context.AddServerStreamingMethod(UndecodableRequests.Guard(method), metadata, invoker);
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse>? handler)
        {
            var (invoker, metadata) = Model<ClientStreamingServerMethod<TService, TRequest, TResponse>>(
                method.Name, typeof(IAsyncStreamReader<TRequest>), typeof(ServerCallContext));
            context.AddClientStreamingMethod(UndecodableRequests.Guard(method), metadata, invoker);
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse>? handler)
        {
            var (invoker, metadata) = Model<DuplexStreamingServerMethod<TService, TRequest, TResponse>>(
                method.Name, typeof(IAsyncStreamReader<TRequest>), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext));
            context.AddDuplexStreamingMethod(UndecodableRequests.Guard(method), metadata, invoker);
        }

        private (TDelegate Invoker, List<object> Metadata) Model<TDelegate>(string name, params Type[] parameters)
            where TDelegate : Delegate
        {
            var handler = FindOverride(name, parameters) ?? throw new InvalidOperationException($"Could not find '{name}' on {typeof(TService)}.");
            var metadata = new List<object>();
            // Type attributes first, method attributes last: the method's win (e.g. its rate limiting policy).
            metadata.AddRange(typeof(TService).GetCustomAttributes(inherit: true));
            metadata.AddRange(handler.GetCustomAttributes(inherit: true));
            metadata.Add(new HttpMethodMetadata(["POST"], acceptCorsPreflight: true));
            return ((TDelegate)Delegate.CreateDelegate(typeof(TDelegate), handler), metadata);
        }

        /// <summary>The implementation's override of the generated base's virtual method (a hiding method of the same name is skipped).</summary>
        private MethodInfo? FindOverride(string name, Type[] parameters)
        {
            for (var type = typeof(TService); type is not null; type = type.BaseType)
            {
                var candidate = type.GetMethod(name, BindingFlags.Public | BindingFlags.Instance, parameters);
                if (candidate is null)
                {
                    return null;
                }
                if (candidate.IsVirtual && candidate.GetBaseDefinition().DeclaringType == serviceBase)
                {
                    return candidate;
                }
            }
            return null;
        }
    }
}
