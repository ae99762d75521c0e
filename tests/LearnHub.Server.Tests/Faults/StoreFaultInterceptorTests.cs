using Google.Rpc;
using Grpc.Core;
using LearnHub.Server.Faults;
using LearnHub.Server.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace LearnHub.Server.Tests.Faults;

/// <summary>
/// The interceptor on its own, for what the real store cannot be made to do on demand: a bug (INTERNAL with an error id
/// that one log line carries), a cancelled call, every kind of store fault, and its cost on success.
/// </summary>
public sealed class StoreFaultInterceptorTests : IAsyncLifetime
{
    private LearnHubApp app = null!;

    public async ValueTask InitializeAsync() => app = await LearnHubApp.StartAsync();

    public async ValueTask DisposeAsync() => await app.DisposeAsync();

    private StoreFaultInterceptor Interceptor => app.Services.GetRequiredService<StoreFaultInterceptor>();

    [Fact]
    public async Task A_successful_call_costs_no_allocation()
    {
        var interceptor = Interceptor;
        var context = new FakeCallContext();
        var reply = Task.FromResult("reply");
        UnaryServerMethod<string, string> handler = (_, _) => reply;
        Task streamed = Task.CompletedTask;
        ServerStreamingServerMethod<string, string> stream = (_, _, _) => streamed;
        for (var i = 0; i < 100; i++)
        {
            await interceptor.UnaryServerHandler("request", context, handler);
            await interceptor.ServerStreamingServerHandler("request", null!, context, stream);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            _ = interceptor.UnaryServerHandler("request", context, handler);
            _ = interceptor.ServerStreamingServerHandler("request", null!, context, stream);
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Same(reply, interceptor.UnaryServerHandler("request", context, handler));
    }

    [Fact]
    public async Task An_unexpected_exception_is_INTERNAL_with_an_error_id_that_one_log_line_carries_and_no_exception_text()
    {
        var secret = "Sequence contains no elements at u_4711";
        var refusal = await Assert.ThrowsAsync<RpcException>(() =>
            Interceptor.UnaryServerHandler<string, string>("request", new FakeCallContext(), async (_, _) =>
            {
                await Task.Yield();
                throw new InvalidOperationException(secret);
            }));

        Assert.Equal(StatusCode.Internal, refusal.StatusCode);
        var status = refusal.GetRpcStatus()!;
        var errorId = status.GetDetail<RequestInfo>()!.RequestId;
        Assert.Matches("^[0-9a-f]{12}$", errorId);
        Assert.Contains(errorId, status.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Sequence", status.Message, StringComparison.Ordinal);
        Assert.Equal(errorId, status.GetDetail<ErrorInfo>()!.Metadata["error_id"]);
        var logged = app.Logs.Describe().Split('\n').Where(l => l.Contains(errorId, StringComparison.Ordinal)).ToList();
        var line = Assert.Single(logged);
        Assert.Contains("Error", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_call_the_client_cancelled_is_CANCELLED_and_is_no_store_fault()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var refusal = await Assert.ThrowsAsync<RpcException>(() =>
            Interceptor.UnaryServerHandler<string, string>("request", new FakeCallContext(cancelled.Token), (_, _) =>
                Task.FromException<string>(new NpgsqlException("Exception while reading from stream", new EndOfStreamException()))));

        Assert.Equal(StatusCode.Cancelled, refusal.StatusCode);
        Assert.False(app.Services.GetRequiredService<StoreHealth>().Unavailable);
    }

    [Theory]
    [InlineData(13, "disk_full")]
    [InlineData(10, "io_error")]
    [InlineData(8, "read_only")]
    [InlineData(14, "cannot_open")]
    [InlineData(5, "busy")]
    [InlineData(6, "busy")]
    [InlineData(7, "out_of_memory")]
    [InlineData(13 | (1 << 8), "disk_full")] // an extended result code keeps its primary code in the low byte
    public async Task Each_SQLite_store_fault_is_UNAVAILABLE_with_its_cause(int errorCode, string cause)
    {
        var refusal = await ThrowThroughAsync(new SqliteException("SQLite Error", errorCode));

        Assert.Equal(cause, refusal.AssertStoreUnavailable());
        Assert.True(app.Services.GetRequiredService<StoreHealth>().Unavailable);
    }

    [Theory]
    [InlineData("53100", "disk_full")]
    [InlineData("53200", "out_of_memory")]
    [InlineData("53300", "overloaded")]
    [InlineData("57P01", "connection_lost")]
    [InlineData("57P03", "connection_lost")]
    [InlineData("08006", "connection_lost")]
    [InlineData("40001", "transient")]
    [InlineData("40P01", "transient")]
    [InlineData("25006", "read_only")]
    public async Task Each_PostgreSQL_store_fault_is_UNAVAILABLE_with_its_cause(string sqlState, string cause)
    {
        var refusal = await ThrowThroughAsync(new PostgresException("fault", "FATAL", "FATAL", sqlState));

        Assert.Equal(cause, refusal.AssertStoreUnavailable());
        // A deadlock or serialization failure broken off says nothing about the store taking writes.
        Assert.Equal(cause != "transient", app.Services.GetRequiredService<StoreHealth>().Unavailable);
    }

    [Fact]
    public async Task A_store_fault_wrapped_by_the_scheduler_is_found_inside()
    {
        var wrapped = new Quartz.JobPersistenceException("Couldn't store trigger", new SqliteException("database or disk is full", 13));

        Assert.Equal("disk_full", (await ThrowThroughAsync(wrapped)).AssertStoreUnavailable());
        Assert.Equal("connection_lost", (await ThrowThroughAsync(new NpgsqlException("Failed to connect", new System.Net.Sockets.SocketException(111)))).AssertStoreUnavailable());
    }

    [Fact]
    public async Task A_database_error_that_is_no_fault_of_the_store_is_INTERNAL()
    {
        // A constraint the code should have checked first is a bug, not a reason to retry.
        var refusal = await ThrowThroughAsync(new SqliteException("FOREIGN KEY constraint failed", 19));

        Assert.Equal(StatusCode.Internal, refusal.StatusCode);
    }

    private Task<RpcException> ThrowThroughAsync(Exception exception) =>
        Assert.ThrowsAsync<RpcException>(() =>
            Interceptor.ServerStreamingServerHandler<string, string>("request", null!, new FakeCallContext(), async (_, _, _) =>
            {
                await Task.Yield();
                throw exception;
            }));

    private sealed class FakeCallContext(CancellationToken cancellation = default) : ServerCallContext
    {
        protected override string MethodCore => "/learnhub.v1.Test/Call";

        protected override string HostCore => "localhost";

        protected override string PeerCore => "ipv4:127.0.0.1:1";

        protected override DateTime DeadlineCore => DateTime.MaxValue;

        protected override Metadata RequestHeadersCore { get; } = [];

        protected override CancellationToken CancellationTokenCore => cancellation;

        protected override Metadata ResponseTrailersCore { get; } = [];

        protected override global::Grpc.Core.Status StatusCore { get; set; }

        protected override WriteOptions? WriteOptionsCore { get; set; }

        protected override AuthContext AuthContextCore { get; } = new(null, []);

        protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) => throw new NotSupportedException();

        protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => Task.CompletedTask;
    }
}
