using System.Threading.Channels;
using Grpc.Core;
using LearnHub.Api.V1;

namespace LearnHub.Server.Tests.Presence;

/// <summary>
/// One open WatchSession call read in the background: a test awaits the state it expects (pushed by the server, never
/// polled) and cancels the call to leave.
/// </summary>
public sealed class WatchFeed : IAsyncDisposable
{
    private readonly CancellationTokenSource leaving = new();
    private readonly Channel<LiveState> states = Channel.CreateUnbounded<LiveState>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task reading;

    private WatchFeed(PresenceService.PresenceServiceClient client, string sessionId)
    {
        var call = client.WatchSession(new WatchSessionRequest { SessionId = sessionId }, cancellationToken: leaving.Token);
        reading = ReadAsync(call);
    }

    /// <summary>The last state received (null before the snapshot).</summary>
    public LiveState? Latest { get; private set; }

    public static WatchFeed Open(PresenceService.PresenceServiceClient client, string sessionId) => new(client, sessionId);

    /// <summary>
    /// Waits for a state that satisfies <paramref name="done"/>, reading on from where the previous wait stopped (so a
    /// state consumed before never answers a later wait).
    /// </summary>
    public async Task<LiveState> UntilAsync(Func<LiveState, bool> done, TimeSpan deadline, string what)
    {
        using var timeout = new CancellationTokenSource(deadline);
        try
        {
            await foreach (var state in states.Reader.ReadAllAsync(timeout.Token))
            {
                if (done(state))
                {
                    return state;
                }
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new TimeoutException($"No pushed state was {what} within {deadline}; the last one: {Latest}");
        }
        throw new InvalidOperationException($"The watch stream ended before a state was {what}; the last one: {Latest}");
    }

    /// <summary>Cancels the call, as a viewer closing the page does.</summary>
    public void Leave() => leaving.Cancel();

    public async ValueTask DisposeAsync()
    {
        leaving.Cancel();
        try
        {
            await reading;
        }
        finally
        {
            leaving.Dispose();
        }
    }

    private async Task ReadAsync(AsyncServerStreamingCall<WatchSessionUpdate> call)
    {
        using (call)
        {
            try
            {
                await foreach (var update in call.ResponseStream.ReadAllAsync(leaving.Token))
                {
                    Latest = update.State;
                    states.Writer.TryWrite(update.State);
                }
                states.Writer.TryComplete();
            }
            catch (Exception e) when (leaving.IsCancellationRequested && e is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled })
            {
                states.Writer.TryComplete();
            }
            catch (Exception e)
            {
                states.Writer.TryComplete(e);
            }
        }
    }
}
