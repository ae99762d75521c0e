using LearnHub.Server.Hosting;

namespace LearnHub.Server.Broadcasts;

/// <summary>
/// A broadcast was approved (after commit), by creator id. Online followers' inbox streams listen, so approval itself
/// writes nothing per follower.
/// </summary>
public sealed class BroadcastEvents
{
    private readonly Listeners<string> approved = new();

    public void Approved(string creatorId) => approved.Publish(creatorId);

    public IDisposable OnApproved(Action<string> listener) => approved.Subscribe(listener);
}
