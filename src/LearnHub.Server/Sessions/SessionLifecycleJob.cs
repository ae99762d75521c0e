using System.Globalization;
using System.Data.Common;
using LearnHub.Server.Faults;
using Microsoft.Data.Sqlite;
using Npgsql;
using Quartz;

namespace LearnHub.Server.Sessions;

/// <summary>
/// Runs one timed step of one session. Steps are idempotent and check the row, so a trigger that fires twice
/// (recovery after a crash) or late (after a reschedule that raced it) changes nothing a second time.
/// </summary>
[DisallowConcurrentExecution]
public sealed class SessionLifecycleJob(SessionLifecycle lifecycle, LateStarts lateStarts, StoreHealth health, Telemetry.LearnHubMetrics metrics) : IJob
{
    private const int SQLiteBusy = 5;
    private const int SQLiteLocked = 6;

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var data = context.MergedJobDataMap;
        var sessionId = data.GetString(SessionTriggers.SessionIdKey)!;
        var step = data.GetString(SessionTriggers.StepKey)!;
        var dueMs = long.Parse(data.GetString(SessionTriggers.DueKey)!, CultureInfo.InvariantCulture);
        // Lateness against the trigger's own instant (a one-shot trigger keeps it through misfire handling).
        using var run = metrics.StepStarted(step, context.Trigger.StartTimeUtc, sessionId);
        try
        {
            switch (step)
            {
                case SessionStep.Reminder:
                    await lifecycle.RemindAsync(sessionId, dueMs, cancellationToken);
                    break;
                case SessionStep.GoLive when lateStarts.Enabled:
                    break; // set before ingest was configured: a stream or 开播 takes the session live now
                case SessionStep.GoLive:
                    // Both overdue (after downtime, or a clock jump): the reminder goes first whatever order Quartz
                    // picked, as the reminder step would skip a session already live. Its trigger then has nothing to do.
                    var reminder = SessionTriggers.TriggerKeyFor(sessionId, SessionStep.Reminder);
                    if (await context.Scheduler.GetTrigger(reminder, cancellationToken) is not null)
                    {
                        await lifecycle.RemindAsync(sessionId, dueMs, cancellationToken);
                        await context.Scheduler.UnscheduleJob(reminder, cancellationToken);
                    }
                    await lifecycle.GoLiveOnScheduleAsync(sessionId, dueMs, cancellationToken);
                    break;
                case SessionStep.AutoEnd:
                    // With ingest, a session that never went live is not held rather than taken live to be ended.
                    if (!await lateStarts.AutoEndNeverLiveAsync(sessionId, dueMs, cancellationToken))
                    {
                        await lifecycle.AutoEndAsync(sessionId, dueMs, cancellationToken);
                    }
                    break;
                case SessionStep.LateNotice:
                    await lateStarts.NoticeAsync(sessionId, dueMs, cancellationToken);
                    break;
                case SessionStep.NotHeld:
                    await lateStarts.NotHeldAsync(sessionId, dueMs, cancellationToken);
                    break;
                case SessionStep.IngestGraceEnd:
                    await lifecycle.EndAfterIngestGraceAsync(sessionId, dueMs, cancellationToken);
                    break;
                default:
                    throw new JobExecutionException($"Unknown session step '{step}'.");
            }
        }
        catch (DbException e) when (e is SqliteException { SqliteErrorCode: SQLiteBusy or SQLiteLocked } or NpgsqlException { IsTransient: true })
        {
            // A one-shot trigger whose job throws is gone, and the session would miss the step (seen: 9 of 1,000
            // sessions due at once never went live). The store was only busy (SQLite) or the failure is transient
            // (PostgreSQL: a dropped connection, a deadlock broken) and the step is idempotent: run it again.
            throw new JobExecutionException(e) { RefireImmediately = true };
        }
        catch (Exception e) when (StoreFaults.TryClassify(e, out var fault))
        {
            // The store cannot take the step now (a full disk, a read-only file, the database gone). Refiring at once
            // would spin while the fault lasts; the trigger ends here and the reconciler's overdue pass runs the step
            // once the store takes writes again (SessionTriggerReconciler).
            health.ReportFault(fault);
            throw new JobExecutionException($"Session {sessionId}: {step} met a store fault ({fault.Cause}); the overdue pass retries it.", e);
        }
    }
}
