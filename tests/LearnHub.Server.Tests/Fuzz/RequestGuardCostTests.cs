using System.Buffers;
using Google.Protobuf;
using Grpc.Core;
using LearnHub.Api.V1;
using LearnHub.Server.Grpc;
using LearnHub.Server.Tests.Infrastructure;

namespace LearnHub.Server.Tests.Fuzz;

/// <summary>
/// The guard on every request's decoding must cost nothing measurable on the hot path: no allocation beyond what
/// decoding the message allocates anyway (the speed work measures the whole pipeline with it in place).
/// </summary>
public sealed class RequestGuardCostTests
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
