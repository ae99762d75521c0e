using System.Buffers;
using Google.Protobuf;
using Grpc.Core;
using LearnHub.Api.V1;
using LearnHub.Server.Grpc;
using LearnHub.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace LearnHub.Server.Tests.Fuzz;

/// <summary>
/// The guard on every request's decoding: it must cost nothing measurable on the hot path (no allocation beyond what
/// decoding the message allocates anyway; the speed work measures the whole pipeline with it in place), and a host
/// where grpc-dotnet's own binder came back must not start.
/// </summary>
public sealed class RequestGuardTests
{
    private const int Decodes = 2_000;

    [Fact]
    public void Guarding_a_request_adds_no_allocation_to_decoding_it()
    {
        var plain = new Method<CreateSessionRequest, Session>(MethodType.Unary, "learnhub.v1.SessionService", "CreateSession",
            new Marshaller<CreateSessionRequest>((r, c) => c.Complete(r.ToByteArray()), c => CreateSessionRequest.Parser.ParseFrom(c.PayloadAsReadOnlySequence())),
            new Marshaller<Session>((r, c) => c.Complete(r.ToByteArray()), c => Session.Parser.ParseFrom(c.PayloadAsReadOnlySequence())));
        var guarded = UndecodableRequests.Guard(plain);
        var payload = new CreateSessionRequest
        {
            Title = "经济基础第21章考点梳理",
            PlannedStart = Scenario.Ts(Scenario.Start.AddDays(3)),
            DurationMinutes = 90,
            TimeZone = "Asia/Shanghai",
            RequestId = "c1d2e3f4",
        }.ToByteArray();
        Assert.DoesNotContain((byte)0, payload);
        var context = new Payload(payload);

        var withoutGuard = AllocatedBy(plain.RequestMarshaller.ContextualDeserializer, context);
        var withGuard = AllocatedBy(guarded.RequestMarshaller.ContextualDeserializer, context);

        Assert.True(withGuard <= withoutGuard, $"decoding {Decodes} requests allocated {withoutGuard} bytes unguarded and {withGuard} guarded");
        Assert.Equal("经济基础第21章考点梳理", guarded.RequestMarshaller.ContextualDeserializer(context).Title);
    }

    [Fact]
    public void A_host_that_registers_grpc_again_after_the_guard_refuses_to_start()
    {
        var dataDirectory = Directory.CreateTempSubdirectory("learnhub-guard-").FullName;
        try
        {
            using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
            {
                builder.UseSetting("Storage:DataDirectory", dataDirectory);
                builder.UseSetting("Storage:SeedDemoData", "false");
                builder.ConfigureServices(services => services.AddGrpc());
            });

            var failure = Assert.ThrowsAny<Exception>(() => factory.Server);

            Assert.Contains("BinderServiceMethodProvider is registered again", failure.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    private static long AllocatedBy(Func<DeserializationContext, CreateSessionRequest> decode, DeserializationContext context)
    {
        for (var i = 0; i < 100; i++)
        {
            decode(context);
        }
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Decodes; i++)
        {
            decode(context);
        }
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    private sealed class Payload(byte[] bytes) : DeserializationContext
    {
        public override int PayloadLength => bytes.Length;

        public override byte[] PayloadAsNewBuffer() => (byte[])bytes.Clone();

        public override ReadOnlySequence<byte> PayloadAsReadOnlySequence() => new(bytes);
    }
}
