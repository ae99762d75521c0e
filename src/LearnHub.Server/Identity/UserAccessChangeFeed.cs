using System.Data.Common;
using Dapper;
using LearnHub.Server.Data;
using LearnHub.Server.Hosting;
using Microsoft.Extensions.Options;

namespace LearnHub.Server.Identity;

/// <summary>
/// Reads the store's log of access changes (<c>user_access_changes</c>, written by triggers on <c>users</c>) and drops
/// each changed user from this node's <see cref="UserAccessCache"/>. It catches up at once after a change made through
/// this node, when another node says it made one (over Redis when configured), and on a short poll that also sees
/// changes made by the operator commands or by hand in the store.
/// </summary>
public sealed partial class UserAccessChangeFeed(
    Database database, UserAccessCache cache, IOptions<IdentityOptions> options, TimeProvider clock, ILogger<UserAccessChangeFeed> logger)
    : BackgroundService
{
    /// <summary>
    /// PostgreSQL hands out sequence numbers at insert, not at commit: a change may appear below the highest number
    /// already read. Every catch-up reads this far back and skips the numbers it has handled.
    /// </summary>
    private const long LookBack = 1_000;

    /// <summary>Rows kept in the log; older ones are pruned (a node that fell that far behind forgets everyone).</summary>
    private const long Kept = 10_000;

    private readonly SemaphoreSlim gate = new(1, 1);
    private readonly HashSet<long> handled = [];
    private readonly Listeners<bool> changedHere = new();
    private long highest;
    private int polls;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Start from the log's end: this node's cache is empty, so nothing earlier can be stale in it.
        await using (var connection = await database.OpenAsync(cancellationToken))
        {
            highest = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
                "SELECT MAX(seq) FROM user_access_changes", cancellationToken: cancellationToken)) ?? 0;
            handled.UnionWith(await connection.QueryAsync<long>(new CommandDefinition(
                "SELECT seq FROM user_access_changes WHERE seq > @from", new { from = highest - LookBack }, cancellationToken: cancellationToken)));
        }
        await base.StartAsync(cancellationToken);
    }

    /// <summary>After a change committed through this node: caught up before the caller answers, then other nodes are told.</summary>
    public async Task ChangedHereAsync(CancellationToken cancellationToken)
    {
        await CatchUpAsync(cancellationToken);
        changedHere.Publish(true);
    }

    /// <summary>Called after each change made through this node (the Redis relay tells the other nodes).</summary>
    public IDisposable OnChangedHere(Action listener) => changedHere.Subscribe(_ => listener());

    /// <summary>Reads the log past what this node has handled and invalidates each user in it.</summary>
    public async Task CatchUpAsync(CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken);
        try
        {
            await using var connection = await database.OpenAsync(cancellationToken);
            var from = Math.Max(0, highest - LookBack);
            var oldest = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
                "SELECT MIN(seq) FROM user_access_changes", cancellationToken: cancellationToken));
            if (oldest > highest + 1 && highest > 0)
            {
                // Pruned past what this node read: it cannot tell whom it missed.
                cache.Clear();
                LogFellBehind(logger, highest, oldest.Value);
            }
            var changes = await connection.QueryAsync<(long Seq, string UserId)>(new CommandDefinition(
                "SELECT seq, user_id FROM user_access_changes WHERE seq > @from ORDER BY seq", new { from }, cancellationToken: cancellationToken));
            foreach (var (seq, userId) in changes)
            {
                if (handled.Add(seq))
                {
                    cache.Invalidate(userId);
                }
                highest = Math.Max(highest, seq);
            }
            handled.RemoveWhere(seq => seq <= highest - LookBack);
            if (++polls % 600 == 0)
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    "DELETE FROM user_access_changes WHERE seq <= @below", new { below = highest - Kept }, cancellationToken: cancellationToken));
            }
        }
        finally
        {
            gate.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.Value.AccessChangePollInterval, clock, stoppingToken);
                await CatchUpAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is DbException or InvalidOperationException or TimeoutException)
            {
                // The store is away: the next poll reads from where this one stopped.
                LogPollFailed(logger, e);
            }
        }
    }

    public override void Dispose()
    {
        gate.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = 2101, Level = LogLevel.Warning, Message = "Reading the access-change log failed; trying again at the next poll")]
    private static partial void LogPollFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Warning, Message = "The access-change log was pruned past what this node read (read up to {Highest}, oldest kept {Oldest}): every cached user is read again")]
    private static partial void LogFellBehind(ILogger logger, long highest, long oldest);
}
