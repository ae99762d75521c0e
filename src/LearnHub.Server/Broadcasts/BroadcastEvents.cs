using LearnHub.Server.Hosting;

namespace LearnHub.Server.Broadcasts;

/// <summary>
/// A broadcast was approved (after commit), by creator id. Online followers' inbox streams listen, so approval itself
/// writes nothing per follower.
/// </summary>
public sealed class BroadcastEvents
{
    private readonly Listeners<string> approved = new();
    private readonly Listeners<string> approvedHere = new();

    /// <summary>A broadcast was approved on this node.</summary>
    public void Approved(string creatorId)
    {
        approved.Publish(creatorId);
        approvedHere.Publish(creatorId);
    }

    /// <summary>A broadcast was approved on another node (relayed over Redis): only this node's listeners hear it.</summary>
    public void ApprovedElsewhere(string creatorId) => approved.Publish(creatorId);

    /// <summary>Every approval, made here or on another node.</summary>
    public IDisposable OnApproved(Action<string> listener) => approved.Subscribe(listener);

    /// <summary>Approvals made on this node (the cross-node relay forwards these).</summary>
    public IDisposable OnApprovedHere(Action<string> listener) => approvedHere.Subscribe(listener);
}
