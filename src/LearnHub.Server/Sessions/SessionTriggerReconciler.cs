using System.Data.Common;
using LearnHub.Server.Data;
using Quartz;

namespace LearnHub.Server.Sessions;

/// <summary>
/// Re-syncs the triggers of sessions whose row is ahead of its triggers: at start-up (a crash between commit and
/// scheduling) and then every <see cref="Interval"/> (a scheduling call that failed).
/// </summary>
public sealed partial class SessionTriggerReconciler(
    Database database, SessionTriggers triggers, TimeProvider clock, ILogger<SessionTriggerReconciler> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);
    private const int Batch = 500;

    /// <summary>Runs the start-up pass before the host reports started.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await ReconcileAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await ReconcileAsync(stoppingToken);
            }
            catch (Exception e) when (e is DbException or SchedulerException)
            {
                LogPassFailed(e);
            }
        }
    }

    public async Task<int> ReconcileAsync(CancellationToken ct)
    {
        var synced = 0;
        while (true)
        {
            IReadOnlyList<SessionRow> pending;
            await using (var connection = await database.OpenAsync(ct))
            {
                pending = await SessionStore.ListTriggersPendingAsync(connection, Batch, ct);
            }
            foreach (var session in pending)
            {
                await triggers.SyncAsync(session.Id, ct);
            }
            synced += pending.Count;
            if (pending.Count < Batch)
            {
                break;
            }
        }
        if (synced > 0)
        {
            LogReconciled(synced);
        }
        return synced;
    }

    [LoggerMessage(EventId = 2011, Level = LogLevel.Information, Message = "Re-synced the triggers of {Count} sessions")]
    private partial void LogReconciled(int count);

    [LoggerMessage(EventId = 2012, Level = LogLevel.Warning, Message = "Trigger reconciliation pass failed; next pass retries")]
    private partial void LogPassFailed(Exception exception);
}
