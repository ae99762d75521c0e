using System.Reflection;
using Google.Protobuf.Reflection;
using Grpc.Core;
using LearnHub.Api.V1;

namespace LearnHub.Server.Tests.Fuzz;

/// <summary>
/// The API's methods as the generated descriptors list them (every learnhub.v1 file compiled into the contracts), so a
/// method added to a proto is fuzzed without touching the tests; and raw calls that send any bytes as the request.
/// </summary>
public static class ApiMethods
{
    public const string Package = "learnhub.v1";

    /// <summary>Every unary method of every service in <see cref="Package"/>, ordered by full name.</summary>
    public static IReadOnlyList<MethodDescriptor> Unary() =>
        [.. Files().SelectMany(f => f.Services).SelectMany(s => s.Methods)
            .Where(m => !m.IsClientStreaming && !m.IsServerStreaming)
            .OrderBy(m => m.FullName, StringComparer.Ordinal)];

    public static IEnumerable<FileDescriptor> Files() =>
        typeof(SessionService).Assembly.GetTypes()
            .Select(t => t.GetProperty("Descriptor", BindingFlags.Public | BindingFlags.Static))
            .Where(p => p?.PropertyType == typeof(FileDescriptor))
            .Select(p => (FileDescriptor)p!.GetValue(null)!)
            .Where(f => f.Package == Package)
            .DistinctBy(f => f.Name);

    private static readonly Marshaller<byte[]> Identity = Marshallers.Create(bytes => bytes, bytes => bytes);

    /// <summary>A unary method whose request and response are the raw protobuf bytes.</summary>
    public static Method<byte[], byte[]> Raw(MethodDescriptor method) =>
        new(MethodType.Unary, method.Service.FullName, method.Name, Identity, Identity);

    /// <summary>A server-streaming method sent raw bytes.</summary>
    public static Method<byte[], byte[]> RawStreaming(MethodDescriptor method) =>
        new(MethodType.ServerStreaming, method.Service.FullName, method.Name, Identity, Identity);
}
