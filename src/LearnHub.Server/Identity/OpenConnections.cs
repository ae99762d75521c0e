using System.Collections.Concurrent;
using System.Collections.Frozen;
using Grpc.Core;
using LearnHub.Server.Hosting;
using LearnHub.Core.Common;

namespace LearnHub.Server.Identity;

/// <summary>
/// The long-lived connections each user holds on this node (watch and inbox streams, live dashboard hub connections),
/// checked when the user's access changes: a credential that no longer stands ends its connections at once, as it
/// would be refused on its next call. Hub connections also end when the user's roles change, because what they were
/// allowed to join was decided by the old roles; the client reconnects under the new ones. When the server stops, every
/// connection ends at once (UNAVAILABLE, so clients reconnect to another node): open streams would otherwise hold the
/// shutdown for its whole timeout and then be cut without a status.
/// </summary>
public sealed partial class OpenConnections : IDisposable
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<OpenConnection, byte>> byUser = new(StringComparer.Ordinal);
    private readonly UserAccessCache cache;
    private readonly ILogger<OpenConnections> logger;
    private readonly IDisposable subscription;
    private readonly CancellationTokenRegistration stopping;
    private readonly CancellationToken applicationStopping;

    public OpenConnections(UserAccessCache cache, IHostApplicationLifetime lifetime, ILogger<OpenConnections> logger)
    {
        this.cache = cache;
        this.logger = logger;
        applicationStopping = lifetime.ApplicationStopping;
        stopping = applicationStopping.Register(EndAllForShutdown);
        subscription = cache.OnChanged(userId =>
        {
            if (byUser.ContainsKey(userId))
            {
                _ = RecheckAsync(userId);
            }
        });
    }

    /// <summary>Tracks a connection of <paramref name="caller"/> until the returned handle is disposed.</summary>
    public OpenConnection Open(Caller caller, bool endsOnRoleChange)
    {
        var connection = new OpenConnection(this, caller.UserId, caller.Stamp, endsOnRoleChange ? caller.Roles.ToFrozenSet(StringComparer.Ordinal) : null);
        byUser.GetOrAdd(caller.UserId, _ => new ConcurrentDictionary<OpenConnection, byte>()).TryAdd(connection, 0);
        if (applicationStopping.IsCancellationRequested)
        {
            // Opened while the server stops: EndAllForShutdown may have run before it was added.
            connection.EndForShutdown();
        }
        return connection;
    }

    public void Dispose()
    {
        stopping.Dispose();
        subscription.Dispose();
    }

    private void EndAllForShutdown()
    {
        foreach (var (_, connections) in byUser)
        {
            foreach (var (connection, _) in connections)
            {
                connection.EndForShutdown();
            }
        }
    }

    private async Task RecheckAsync(string userId)
    {
        try
        {
            var access = await cache.GetAsync(userId, CancellationToken.None);
            if (!byUser.TryGetValue(userId, out var connections))
            {
                return;
            }
            foreach (var (connection, _) in connections)
            {
                if (access.Refuses(connection.Stamp) is { } refusal)
                {
                    connection.End(refusal);
                }
                else if (connection.Roles is { } roles && !roles.SetEquals(access.Roles))
                {
                    connection.End(null);
                }
            }
        }
        catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException or TimeoutException)
        {
            // The store is away: each connection's next call or reconnect is checked as usual.
            LogRecheckFailed(logger, e);
        }
    }

    private void Remove(OpenConnection connection)
    {
        if (byUser.TryGetValue(connection.UserId, out var connections))
        {
            connections.TryRemove(connection, out _);
            if (connections.IsEmpty)
            {
                byUser.TryRemove(new KeyValuePair<string, ConcurrentDictionary<OpenConnection, byte>>(connection.UserId, connections));
            }
        }
    }

    [LoggerMessage(EventId = 2103, Level = LogLevel.Warning, Message = "Checking open connections after an access change failed")]
    private static partial void LogRecheckFailed(ILogger logger, Exception exception);

    /// <summary>One tracked connection: <see cref="Ended"/> is cancelled when its user's access no longer allows it.</summary>
    public sealed class OpenConnection : IDisposable
    {
        private readonly OpenConnections owner;
        private readonly CancellationTokenSource ended = new();
        private int disposed;

        internal OpenConnection(OpenConnections owner, string userId, long stamp, FrozenSet<string>? roles)
        {
            this.owner = owner;
            UserId = userId;
            Stamp = stamp;
            Roles = roles;
        }

        public string UserId { get; }

        internal long Stamp { get; }

        internal FrozenSet<string>? Roles { get; }

        public CancellationToken Ended => ended.Token;

        /// <summary>Why the connection was ended: a refusal, or null when the user's roles changed.</summary>
        public AccessRefusal? EndedBecause { get; private set; }

        /// <summary>True when the server's shutdown ended this connection (not the user's access).</summary>
        public bool EndedByShutdown { get; private set; }

        /// <summary>
        /// UNAVAILABLE for a stream ended by the server's shutdown, UNAUTHENTICATED for one ended by an access change;
        /// nothing when it was not ended.
        /// </summary>
        public void ThrowIfEnded()
        {
            if (EndedByShutdown)
            {
                throw Grpc.RpcErrors.Unavailable("SERVER_STOPPING", LocalizedText.Pick("服务器正在重启，请稍后重新连接。", "The server is restarting. Reconnect shortly."), ShutdownDraining.RetryAfter);
            }
            if (ended.IsCancellationRequested)
            {
                throw EndedBecause switch
                {
                    AccessRefusal.Deleted => Grpc.RpcErrors.Unauthenticated("ACCOUNT_DELETED", LocalizedText.Pick("账号不存在。", "This account no longer exists.")),
                    AccessRefusal.Deactivated => Grpc.RpcErrors.Unauthenticated("ACCOUNT_DEACTIVATED", LocalizedText.Pick("账号已停用。", "This account is deactivated.")),
                    _ => Grpc.RpcErrors.Unauthenticated("TOKEN_REVOKED", LocalizedText.Pick("登录已失效，请重新登录。", "Your sign-in has ended. Please sign in again.")),
                };
            }
        }

        internal void EndForShutdown()
        {
            EndedByShutdown = true;
            End(null);
        }

        internal void End(AccessRefusal? refusal)
        {
            EndedBecause = refusal;
            try
            {
                ended.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Closed meanwhile.
            }
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0)
            {
                owner.Remove(this);
                ended.Dispose();
            }
        }
    }
}
