using System.Collections.Concurrent;
using System.Globalization;
using LearnHub.Server.ScaleOut;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace LearnHub.Server.Presence;

/// <summary>
/// Presence counted across every node through Redis. A node keeps its own users' stream counts and calls Redis only on
/// a user's first join or last leave on this node; atomic scripts keep, per session, the users present through each
/// node and a hash user → number of nodes, whose length is the count (a user watching through two nodes counts once).
/// Each change is numbered and published, and every node caches the published counts, so
/// <see cref="CurrentViewers"/> stays a memory read and <see cref="OnChanged"/> fires on every node. Nodes prove they
/// live with a heartbeat key that expires; any node removes the users of a node whose heartbeat expired. After Redis
/// lost its data (restart) or this node lost its connection, the node writes its whole local state again.
/// </summary>
public sealed partial class RedisViewerCounts : ILiveViewerCounts, IHostedService, IDisposable
{
    // KEYS: node users, session users, node sessions, active sessions, sequence, nodes (a node holding users is always
    // registered, so it is reaped if it dies before its first heartbeat). ARGV: sessionId, channel, origin, mode
    // (add | remove | set), users... Returns {total, sequence, changed}. A
    // session's numbers start from Redis's clock in microseconds (as a string: Lua would print a number in exponent
    // form), so they keep growing even after Redis lost the key; numbers are formatted with %d for the same reason.
    private const string ApplyScript = """
        local changed = 0
        local function enter(u)
          if redis.call('SADD', KEYS[1], u) == 1 then
            redis.call('HINCRBY', KEYS[2], u, 1)
            changed = 1
          end
        end
        local function leave(u)
          if redis.call('SREM', KEYS[1], u) == 1 then
            if redis.call('HINCRBY', KEYS[2], u, -1) <= 0 then redis.call('HDEL', KEYS[2], u) end
            changed = 1
          end
        end
        local mode = ARGV[4]
        if mode == 'add' then
          for i = 5, #ARGV do enter(ARGV[i]) end
        elseif mode == 'remove' then
          for i = 5, #ARGV do leave(ARGV[i]) end
        else
          local wanted = {}
          for i = 5, #ARGV do wanted[ARGV[i]] = true end
          for _, u in ipairs(redis.call('SMEMBERS', KEYS[1])) do
            if not wanted[u] then leave(u) end
          end
          for i = 5, #ARGV do enter(ARGV[i]) end
        end
        if redis.call('SCARD', KEYS[1]) == 0 then
          redis.call('SREM', KEYS[3], ARGV[1])
        else
          redis.call('SADD', KEYS[3], ARGV[1])
          redis.call('SADD', KEYS[6], ARGV[3])
        end
        local total = redis.call('HLEN', KEYS[2])
        if total == 0 then redis.call('SREM', KEYS[4], ARGV[1]) else redis.call('SADD', KEYS[4], ARGV[1]) end
        local seq = tonumber(redis.call('GET', KEYS[5]) or '0')
        if changed == 1 then
          if redis.call('EXISTS', KEYS[5]) == 0 then
            local now = redis.call('TIME')
            redis.call('SET', KEYS[5], now[1] .. string.format('%06d', tonumber(now[2])))
          end
          seq = redis.call('INCR', KEYS[5])
          redis.call('PEXPIRE', KEYS[5], 86400000)
          redis.call('PUBLISH', ARGV[2], total .. ' ' .. string.format('%d', seq) .. ' ' .. ARGV[3] .. ' ' .. ARGV[1])
        end
        return {total, seq, changed}
        """;

    // KEYS: alive, node sessions, nodes, active sessions. ARGV: dead node, prefix, channel, origin. Returns sessions changed.
    private const string ReapScript = """
        if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
        local reaped = 0
        for _, sid in ipairs(redis.call('SMEMBERS', KEYS[2])) do
          local nodeUsers = ARGV[2] .. ':presence:node:' .. ARGV[1] .. ':s:' .. sid
          local users = ARGV[2] .. ':presence:session:' .. sid .. ':users'
          local seqKey = ARGV[2] .. ':presence:session:' .. sid .. ':seq'
          local changed = false
          for _, u in ipairs(redis.call('SMEMBERS', nodeUsers)) do
            if redis.call('HINCRBY', users, u, -1) <= 0 then redis.call('HDEL', users, u) end
            changed = true
          end
          redis.call('DEL', nodeUsers)
          local total = redis.call('HLEN', users)
          if total == 0 then redis.call('SREM', KEYS[4], sid) end
          if changed then
            if redis.call('EXISTS', seqKey) == 0 then
              local now = redis.call('TIME')
              redis.call('SET', seqKey, now[1] .. string.format('%06d', tonumber(now[2])))
            end
            local seq = redis.call('INCR', seqKey)
            redis.call('PEXPIRE', seqKey, 86400000)
            redis.call('PUBLISH', ARGV[3], total .. ' ' .. string.format('%d', seq) .. ' ' .. ARGV[4] .. ' ' .. sid)
            reaped = reaped + 1
          end
        end
        redis.call('DEL', KEYS[2])
        redis.call('SREM', KEYS[3], ARGV[1])
        return reaped
        """;

    // KEYS: active sessions. ARGV: prefix, then session ids cached here. Returns {sid, total, seq or -1, ...}.
    private const string SnapshotScript = """
        local ids = redis.call('SMEMBERS', KEYS[1])
        for i = 2, #ARGV do ids[#ids + 1] = ARGV[i] end
        local out = {}
        local seen = {}
        for _, sid in ipairs(ids) do
          if not seen[sid] then
            seen[sid] = true
            out[#out + 1] = sid
            out[#out + 1] = redis.call('HLEN', ARGV[1] .. ':presence:session:' .. sid .. ':users')
            out[#out + 1] = tonumber(redis.call('GET', ARGV[1] .. ':presence:session:' .. sid .. ':seq') or '-1')
          end
        end
        return out
        """;

    private readonly IConnectionMultiplexer redis;
    private readonly RedisKeys keys;
    private readonly string nodeId;
    private readonly RedisSettings settings;
    private readonly ILogger<RedisViewerCounts> logger;
    private readonly Hosting.Listeners<string> changed = new();
    private readonly ConcurrentDictionary<string, Known> known = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, LocalSession> local = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim resyncing = new(1, 1);
    private readonly CancellationTokenSource stopping = new();
    private ChannelMessageQueue? subscription;
    private Task heartbeat = Task.CompletedTask;
    private volatile bool detached;
    private volatile bool crashed;
    private volatile bool dirty;

    public RedisViewerCounts(IConnectionMultiplexer redis, RedisKeys keys, NodeIdentity node, IOptions<RedisSettings> settings, ILogger<RedisViewerCounts> logger)
    {
        this.redis = redis;
        this.keys = keys;
        nodeId = node.Id;
        this.settings = settings.Value;
        this.logger = logger;
    }

    public int CurrentViewers(string sessionId) => known.TryGetValue(sessionId, out var count) ? count.Viewers : 0;

    public ViewerCountReading Read(string sessionId) =>
        known.TryGetValue(sessionId, out var count) ? new(count.Viewers, count.Sequence, count.ChangedHere) : new(0, 0, false);

    public IDisposable OnChanged(Action<string> listener) => changed.Subscribe(listener);

    public int ViewersHere() => local.Values.Sum(session =>
    {
        lock (session.Gate)
        {
            return session.StreamsPerUser.Count;
        }
    });

    public IDisposable Join(string sessionId, string userId)
    {
        while (true)
        {
            var session = local.GetOrAdd(sessionId, _ => new LocalSession());
            lock (session.Gate)
            {
                if (session.Retired)
                {
                    continue; // its last user left while we looked it up; a fresh one is added
                }
                var streams = session.StreamsPerUser.GetValueOrDefault(userId);
                session.StreamsPerUser[userId] = streams + 1;
                if (streams == 0)
                {
                    _ = ApplyAsync(sessionId, "add", [userId]);
                }
                return new Handle(this, sessionId, session, userId);
            }
        }
    }

    private void Leave(string sessionId, LocalSession session, string userId)
    {
        lock (session.Gate)
        {
            if (!session.StreamsPerUser.TryGetValue(userId, out var streams))
            {
                return;
            }
            if (streams > 1)
            {
                session.StreamsPerUser[userId] = streams - 1;
                return;
            }
            session.StreamsPerUser.Remove(userId);
            if (session.StreamsPerUser.Count == 0)
            {
                session.Retired = true;
                local.TryRemove(new KeyValuePair<string, LocalSession>(sessionId, session));
            }
            _ = ApplyAsync(sessionId, "remove", [userId]);
        }
    }

    /// <summary>
    /// Runs the apply script. Called under the session's lock: the command is queued on the connection before this
    /// returns, so one session's joins, leaves and re-registrations reach Redis in the order they happened here.
    /// </summary>
    private async Task ApplyAsync(string sessionId, string mode, string[] users)
    {
        if (detached)
        {
            return;
        }
        var values = new RedisValue[4 + users.Length];
        values[0] = sessionId;
        values[1] = keys.CountsChannel.ToString();
        values[2] = nodeId;
        values[3] = mode;
        for (var i = 0; i < users.Length; i++)
        {
            values[4 + i] = users[i];
        }
        try
        {
            // Queued on the connection before the first await, still under the caller's lock.
            var pending = redis.GetDatabase().ScriptEvaluateAsync(
                ApplyScript,
                [keys.NodeUsers(nodeId, sessionId), keys.SessionUsers(sessionId), keys.NodeSessions(nodeId), keys.ActiveSessions, keys.SessionSequence(sessionId), keys.Nodes],
                values);
            var result = (RedisResult[])(await pending)!;
            Observe(sessionId, (int)result[0], (long)result[1], changedHere: (int)result[2] == 1, reset: false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // The next heartbeat writes this node's whole state again.
            dirty = true;
            LogWriteFailed(logger, sessionId, e);
            if (mode == "set")
            {
                throw;
            }
        }
    }

    /// <summary>
    /// Takes a count into the cache when it is newer than the one known. <paramref name="reset"/>: Redis has no number
    /// for the session any more (it lost its data, or the session was quiet for a day), so its count is taken as is.
    /// </summary>
    private void Observe(string sessionId, int viewers, long sequence, bool changedHere, bool reset)
    {
        while (true)
        {
            if (!known.TryGetValue(sessionId, out var current))
            {
                if (known.TryAdd(sessionId, new Known(viewers, Math.Max(sequence, 0), changedHere)))
                {
                    changed.Publish(sessionId);
                    return;
                }
                continue;
            }
            var newer = sequence > current.Sequence;
            if (!newer && !(reset && viewers != current.Viewers))
            {
                return;
            }
            var next = new Known(viewers, Math.Max(sequence, current.Sequence), newer && changedHere);
            if (known.TryUpdate(sessionId, next, current))
            {
                changed.Publish(sessionId);
                return;
            }
        }
    }

    private void OnCountMessage(ChannelMessage message)
    {
        var parts = message.Message.ToString().Split(' ', 4);
        if (parts.Length == 4
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var total)
            && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var sequence))
        {
            Observe(parts[3], total, sequence, changedHere: parts[2] == nodeId, reset: false);
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!redis.IsConnected)
        {
            // Counting alone would show every dashboard wrong numbers: a node that shares presence starts with Redis or not at all.
            throw new InvalidOperationException(
                $"Redis ({string.Join(", ", redis.GetEndPoints().Select(e => e.ToString()))}) is not reachable; this node shares presence through it (Redis:Configuration) and does not start without it.");
        }
        // Subscribe before reading the snapshot: a change in between is in one or the other.
        subscription = await redis.GetSubscriber().SubscribeAsync(keys.CountsChannel);
        subscription.OnMessage(OnCountMessage);
        redis.ConnectionRestored += OnConnectionRestored;
        try
        {
            await ResyncAsync(cancellationToken);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            dirty = true;
            LogResyncFailed(logger, e);
        }
        heartbeat = Task.Run(() => HeartbeatAsync(stopping.Token), CancellationToken.None);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        detached = true;
        redis.ConnectionRestored -= OnConnectionRestored;
        await stopping.CancelAsync();
        try
        {
            await heartbeat;
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
            // Stopping.
        }
        if (crashed)
        {
            return;
        }
        try
        {
            // Leaving cleanly: the heartbeat goes first, then the same script that removes a dead node's users.
            var db = redis.GetDatabase();
            await db.KeyDeleteAsync(keys.Alive(nodeId));
            await ReapAsync(db, nodeId);
            if (subscription is not null)
            {
                await subscription.UnsubscribeAsync();
            }
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
        {
            LogLeaveFailed(logger, e);
        }
    }

    /// <summary>For tests: this node goes silent as if its process was killed (no heartbeat, no clean leave).</summary>
    internal void StopLikeACrash()
    {
        crashed = true;
        detached = true;
        stopping.Cancel();
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (!detached)
        {
            _ = Task.Run(async () =>
            {
                try
                {
                    await ResyncAsync(stopping.Token);
                }
                catch (Exception ex) when (ex is RedisException or TimeoutException or OperationCanceledException)
                {
                    dirty = true;
                    LogResyncFailed(logger, ex);
                }
            });
        }
    }

    /// <summary>
    /// Writes this node's heartbeat, registration and every local session's users to Redis as they are here, then
    /// re-reads all counts: after Redis lost its data or this node missed messages, counts recover.
    /// </summary>
    private async Task ResyncAsync(CancellationToken ct)
    {
        await resyncing.WaitAsync(ct);
        try
        {
            if (detached)
            {
                return;
            }
            dirty = false;
            var db = redis.GetDatabase();
            await db.StringSetAsync(keys.Alive(nodeId), nodeId, settings.NodeTimeout);
            await db.SetAddAsync(keys.Nodes, nodeId);
            var inRedis = (await db.SetMembersAsync(keys.NodeSessions(nodeId))).Select(v => v.ToString());
            var writes = new List<Task>();
            foreach (var sessionId in local.Keys.Union(inRedis, StringComparer.Ordinal).ToList())
            {
                if (local.TryGetValue(sessionId, out var session))
                {
                    lock (session.Gate)
                    {
                        writes.Add(ApplyAsync(sessionId, "set", session.Retired ? [] : [.. session.StreamsPerUser.Keys]));
                    }
                }
                else
                {
                    writes.Add(ApplyAsync(sessionId, "set", []));
                }
            }
            await Task.WhenAll(writes);
            await LoadSnapshotAsync(db);
        }
        finally
        {
            resyncing.Release();
        }
    }

    /// <summary>
    /// Reads every count from Redis again, after any re-registration under way: the cache then holds what Redis holds
    /// now, even while this node's own connection is still catching up with messages it missed.
    /// </summary>
    public async Task RefreshAsync(CancellationToken ct)
    {
        await resyncing.WaitAsync(ct);
        try
        {
            if (!detached)
            {
                await LoadSnapshotAsync(redis.GetDatabase());
            }
        }
        finally
        {
            resyncing.Release();
        }
    }

    private async Task LoadSnapshotAsync(IDatabase db)
    {
        RedisValue[] args = [keys.Prefix, .. known.Keys.Select(id => (RedisValue)id)];
        var result = (RedisResult[])(await db.ScriptEvaluateAsync(SnapshotScript, [keys.ActiveSessions], args))!;
        for (var j = 0; j + 2 < result.Length; j += 3)
        {
            var sequence = (long)result[j + 2];
            Observe(result[j].ToString(), (int)result[j + 1], sequence, changedHere: false, reset: sequence < 0);
        }
    }

    private async Task HeartbeatAsync(CancellationToken ct)
    {
        // Real time on purpose: the heartbeat's expiry runs on Redis's clock, whatever clock the rest of the node reads.
        using var timer = new PeriodicTimer(settings.HeartbeatInterval, TimeProvider.System);
        while (await timer.WaitForNextTickAsync(ct))
        {
            try
            {
                await BeatAsync(ct);
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                dirty = true;
                LogHeartbeatFailed(logger, e);
            }
        }
    }

    /// <summary>Refreshes this node's heartbeat (registering again when Redis forgot it) and removes dead nodes' users.</summary>
    internal async Task BeatAsync(CancellationToken ct)
    {
        var db = redis.GetDatabase();
        var refreshed = await db.StringSetAsync(keys.Alive(nodeId), nodeId, settings.NodeTimeout, When.Exists);
        if (!refreshed || dirty)
        {
            await ResyncAsync(ct);
        }
        foreach (var node in await db.SetMembersAsync(keys.Nodes))
        {
            var other = node.ToString();
            if (other != nodeId && !await db.KeyExistsAsync(keys.Alive(other)))
            {
                var sessions = await ReapAsync(db, other);
                if (sessions >= 0)
                {
                    LogReaped(logger, other, sessions);
                }
            }
        }
        // Sessions nobody watches any more leave the cache (the next change of one comes with a higher number anyway).
        foreach (var (sessionId, count) in known)
        {
            if (count.Viewers == 0 && !local.ContainsKey(sessionId))
            {
                known.TryRemove(new KeyValuePair<string, Known>(sessionId, count));
            }
        }
    }

    private async Task<int> ReapAsync(IDatabase db, string node) =>
        (int)await db.ScriptEvaluateAsync(
            ReapScript,
            [keys.Alive(node), keys.NodeSessions(node), keys.Nodes, keys.ActiveSessions],
            [node, keys.Prefix, keys.CountsChannel.ToString(), nodeId]);

    /// <summary>
    /// Stops the heartbeat. The token source and the semaphore are left to the collector (neither holds a timer or a
    /// wait handle): the test host can dispose services before it stops them, and a late stop must still find them.
    /// </summary>
    public void Dispose()
    {
        redis.ConnectionRestored -= OnConnectionRestored;
        stopping.Cancel();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing presence of session {SessionId} to Redis failed; the next heartbeat writes this node's state again")]
    private static partial void LogWriteFailed(ILogger logger, string sessionId, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Registering this node's presence in Redis failed; the next heartbeat retries")]
    private static partial void LogResyncFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The presence heartbeat failed; the next one retries")]
    private static partial void LogHeartbeatFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Removing this node's presence from Redis on shutdown failed; other nodes remove it when its heartbeat expires")]
    private static partial void LogLeaveFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Node {NodeId} stopped its heartbeat: its viewers were removed from {Sessions} sessions")]
    private static partial void LogReaped(ILogger logger, string nodeId, int sessions);

    private sealed record Known(int Viewers, long Sequence, bool ChangedHere);

    private sealed class LocalSession
    {
        public Lock Gate { get; } = new();

        public Dictionary<string, int> StreamsPerUser { get; } = new(StringComparer.Ordinal);

        /// <summary>Its last user left and it was removed from the node's map; a join looks it up again.</summary>
        public bool Retired { get; set; }
    }

    private sealed class Handle(RedisViewerCounts owner, string sessionId, LocalSession session, string userId) : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0)
            {
                owner.Leave(sessionId, session, userId);
            }
        }
    }
}
