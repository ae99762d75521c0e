using StackExchange.Redis;

namespace LearnHub.Server.ScaleOut;

/// <summary>
/// Every Redis key and channel LearnHub uses, under one prefix. The presence scripts build some of these names
/// themselves (the reaper walks a dead node's sessions), so the layout here and in <see cref="Presence.RedisViewerCounts"/>
/// must stay in step.
/// </summary>
public sealed class RedisKeys(string prefix)
{
    public string Prefix { get; } = prefix;

    /// <summary>Set of node ids that ever registered presence (and were not reaped).</summary>
    public RedisKey Nodes => $"{Prefix}:presence:nodes";

    /// <summary>A node's heartbeat: a string with a TTL of the node timeout, refreshed by the node.</summary>
    public RedisKey Alive(string nodeId) => $"{Prefix}:presence:alive:{nodeId}";

    /// <summary>Set of the sessions in which a node has users present.</summary>
    public RedisKey NodeSessions(string nodeId) => $"{Prefix}:presence:node:{nodeId}:sessions";

    /// <summary>Set of the user ids present in a session through one node.</summary>
    public RedisKey NodeUsers(string nodeId, string sessionId) => $"{Prefix}:presence:node:{nodeId}:s:{sessionId}";

    /// <summary>Hash user id → number of nodes the user is present through; its length is the session's count.</summary>
    public RedisKey SessionUsers(string sessionId) => $"{Prefix}:presence:session:{sessionId}:users";

    /// <summary>The number of a session's latest count change (orders count pushes across nodes).</summary>
    public RedisKey SessionSequence(string sessionId) => $"{Prefix}:presence:session:{sessionId}:seq";

    /// <summary>Set of the sessions with at least one user present (what a starting node reads).</summary>
    public RedisKey ActiveSessions => $"{Prefix}:presence:sessions";

    /// <summary>"total sequence origin sessionId" after every count change.</summary>
    public RedisChannel CountsChannel => RedisChannel.Literal($"{Prefix}:presence:counts");

    /// <summary>"origin status sessionId" after every committed session change; "origin R sessionId userId" after a reservation or its cancellation.</summary>
    public RedisChannel SessionsChannel => RedisChannel.Literal($"{Prefix}:events:sessions");

    /// <summary>"origin" after a change to a user's access (roles, deactivation) made through that node.</summary>
    public RedisChannel AccessChangesChannel => RedisChannel.Literal($"{Prefix}:events:access");

    /// <summary>"origin creatorId" after every broadcast approval.</summary>
    public RedisChannel ApprovalsChannel => RedisChannel.Literal($"{Prefix}:events:approvals");

    /// <summary>A list of the Data Protection keys every node signs the admin console's cookies with.</summary>
    public RedisKey DataProtectionKeys => $"{Prefix}:dataprotection:keys";

    /// <summary>The SignalR backplane's own channel prefix.</summary>
    public string SignalRPrefix => $"{Prefix}:signalr";

    /// <summary>Unsubscribes a node's channel when it stops; a Redis already gone is no reason to fail the stop.</summary>
    public static async Task UnsubscribeQuietlyAsync(ChannelMessageQueue? subscription)
    {
        try
        {
            if (subscription is not null)
            {
                await subscription.UnsubscribeAsync();
            }
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
        {
            // Stopping anyway: the connection goes with the node.
        }
    }
}
