using LearnHub.Core.Sessions;
using LearnHub.Server.Data;
using LearnHub.Server.Faults;
using LearnHub.Server.Platform;

namespace LearnHub.Server.Sessions;

/// <summary>
/// Re-syncs the triggers of sessions whose row is ahead of its triggers: at start-up (a crash between commit and
/// scheduling) and then every <see cref="Interval"/> (a scheduling call that failed). It also catches up, every
/// <see cref="OverdueInterval"/>, sessions whose reminder, go-live or auto-end is more than <see cref="OverdueGrace"/>
/// overdue: on a cluster (PostgreSQL) a node killed while running a step can lose it to Quartz's cluster recovery
/// (seen: 1 go-live of 250 never run by the surviving node; in another run, 1 reminder), and on either store a step
/// whose job failed on a store fault (a full disk) is gone with its one-shot trigger, so it runs once the store takes
/// writes again. It runs the overdue step itself rather than rewriting the triggers (deleting a job Quartz is firing
/// lost steps): the steps are idempotent and write only the version they read, so a step Quartz runs as well changes
/// nothing a second time.
/// </summary>
public sealed partial class SessionTriggerReconciler(
    Database database,
    SessionTriggers triggers,
    SessionLifecycle lifecycle,
    LateStarts lateStarts,
    PlatformSettingsStore settings,
    StoreHealth health,
    TimeProvider clock,
    ILogger<SessionTriggerReconciler> logger)
    : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan OverdueInterval = TimeSpan.FromSeconds(5);

    /// <summary>More than the scheduler's lateness when a thousand sessions come due together (docs/benchmarks.md).</summary>
    public static readonly TimeSpan OverdueGrace = TimeSpan.FromSeconds(10);

    private const int Batch = 500;

    /// <summary>Runs the start-up pass before the host reports started.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await ReconcileAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(OverdueInterval, clock);
        var ticksPerPass = (int)(Interval / OverdueInterval);
        for (var tick = 1; await timer.WaitForNextTickAsync(stoppingToken); tick++)
        {
            // A tick resumes this loop on the thread that fires the timer: the pass (synchronous on SQLite) moves to the
            // thread pool, so the timer is never held by store calls and ticks missed meanwhile coalesce into one pass.
            // A clock jumping by days (FakeTimeProvider.Advance) otherwise ran a pass inline per 5 s of it: 2 queries each.
            await Task.Yield();
            try
            {
                await RunOverdueStepsAsync(stoppingToken);
                if (tick % ticksPerPass == 0)
                {
                    await ReconcileAsync(stoppingToken);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // Whatever went wrong, the next pass tries again: a faulted background service would stop the node.
                if (StoreFaults.TryClassify(e, out var fault))
                {
                    health.ReportFault(fault);
                }
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
                await triggers.SyncAsync(session.Id, onlyIfBehind: true, ct);
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

    /// <summary>
    /// Runs the reminder, go-live or auto-end (or the end of an RTMP reconnect grace) of sessions whose step has not run
    /// <see cref="OverdueGrace"/> after it was due. Reminders first: a go-live sends a missed reminder itself, but one whose session starts later would
    /// otherwise never go out.
    /// </summary>
    private async Task RunOverdueStepsAsync(CancellationToken ct)
    {
        var leadMs = (long)(await settings.GetAsync(ct)).ReminderLead.TotalMilliseconds;
        var cutoffMs = (clock.GetUtcNow() - OverdueGrace).ToUnixTimeMilliseconds();
        IReadOnlyList<SessionRow> unreminded;
        IReadOnlyList<SessionRow> overdue;
        IReadOnlyList<(string Id, long GraceEndMs)> graceOver;
        await using (var connection = await database.OpenAsync(ct))
        {
            unreminded = await SessionStore.ListMissedRemindersAsync(connection, leadMs, cutoffMs, Batch, ct);
            // With ingest the clock takes nothing live: a Scheduled session's overdue steps are the late starts.
            overdue = await SessionStore.ListOverdueAsync(connection, cutoffMs, Batch, ct, goLiveDue: !lateStarts.Enabled);
            graceOver = await Ingest.IngestStore.ListGraceOverdueAsync(connection, cutoffMs, Batch, ct);
        }
        foreach (var (sessionId, graceEndMs) in graceOver)
        {
            await lifecycle.EndAfterIngestGraceAsync(sessionId, graceEndMs, ct);
        }
        foreach (var session in unreminded)
        {
            await lifecycle.SendMissedReminderAsync(session.Id, session.PlannedStartMs, ct);
        }
        foreach (var session in overdue)
        {
            if (session.Status == SessionStatus.Scheduled)
            {
                await lifecycle.GoLiveOnScheduleAsync(session.Id, session.PlannedStartMs, ct);
            }
            else
            {
                await lifecycle.AutoEndAsync(session.Id, session.PlannedEndMs, ct);
            }
        }
        var late = await lateStarts.RunOverdueAsync(cutoffMs, Batch, ct);
        if (unreminded.Count + overdue.Count + graceOver.Count + late > 0)
        {
            LogOverdue(unreminded.Count, overdue.Count + graceOver.Count + late);
        }
    }

    [LoggerMessage(EventId = 2013, Level = LogLevel.Warning, Message = "Ran overdue steps: the reminder of {Reminders} sessions, the go-live, auto-end or a late-start step of {Count}")]
    private partial void LogOverdue(int reminders, int count);

    [LoggerMessage(EventId = 2011, Level = LogLevel.Information, Message = "Re-synced the triggers of {Count} sessions")]
    private partial void LogReconciled(int count);

    [LoggerMessage(EventId = 2012, Level = LogLevel.Warning, Message = "Trigger reconciliation pass failed; next pass retries")]
    private partial void LogPassFailed(Exception exception);
}
