using System.Data.Common;
using LearnHub.Core.Sessions;
using LearnHub.Server.Data;
using LearnHub.Server.Faults;
using LearnHub.Server.Platform;
using Quartz;

namespace LearnHub.Server.Sessions;

/// <summary>The timed steps the scheduler drives for a session (DOMAIN.md: reminder, go-live, auto-end; with ingest, the late starts).</summary>
public static class SessionStep
{
    public const string Reminder = "reminder";
    public const string GoLive = "go-live";
    public const string AutoEnd = "auto-end";

    /// <summary>The end of an RTMP reconnect grace (Ingest/): the session ends if its stream has not come back.</summary>
    public const string IngestGraceEnd = "ingest-grace-end";

    /// <summary>With ingest: 晚点开播 to reserved viewers of a session still Scheduled after its start (LateStarts).</summary>
    public const string LateNotice = "late-notice";

    /// <summary>With ingest: a session still Scheduled at its not-held time is cancelled as not held (LateStarts).</summary>
    public const string NotHeld = "not-held";
}

/// <summary>
/// Keeps a session's Quartz job and triggers in step with its row. The row is the truth: after each commit the
/// triggers are rewritten from the row as it now stands, and the row records which version they match
/// (<c>triggers_version</c>). A crash or failure between the two leaves the row marked behind, and the
/// <see cref="SessionTriggerReconciler"/> finishes the job at start-up and every half minute. Jobs re-check the row,
/// so a trigger left over from an older version changes nothing.
/// </summary>
/// <remarks>
/// Quartz can join the application's transaction instead (enlisted transactions), but on SQLite its in-process lock
/// and SQLite's single writer lock are taken in opposite orders by the scheduler thread and by a request, which
/// stalls both for the busy timeout. PostgreSQL has no such inversion.
/// </remarks>
public sealed partial class SessionTriggers(
    ISchedulerFactory schedulerFactory,
    Database database,
    PlatformSettingsStore settings,
    StoreHealth health,
    TimeProvider clock,
    Microsoft.Extensions.Options.IOptions<Ingest.IngestOptions> ingest,
    ILogger<SessionTriggers> logger)
{
    public const string Group = "session-lifecycle";
    public const string SessionIdKey = "sessionId";
    public const string StepKey = "step";

    /// <summary>The instant the trigger was meant for; a job finding the row moved on since does nothing.</summary>
    public const string DueKey = "dueMs";

    private readonly StripedLocks sessionLocks = new();

    /// <summary>How late a step may still be fired as a normal due trigger rather than as a misfire (docs/architecture.md).</summary>
    public static readonly TimeSpan LateStepWindow = TimeSpan.FromDays(30);

    public static JobKey JobKeyFor(string sessionId) => new(sessionId, Group);

    public static TriggerKey TriggerKeyFor(string sessionId, string step) => new($"{sessionId}.{step}", Group);

    /// <summary>
    /// Call after committing a change to the session. Not tied to the request's cancellation: the change is committed,
    /// so its triggers should follow even if the caller has gone. A failure is logged and left to the reconciler.
    /// </summary>
    public async Task SyncAfterCommitAsync(string sessionId)
    {
        try
        {
            await SyncAsync(sessionId, CancellationToken.None);
        }
        catch (Exception e) when (e is SchedulerException or DbException)
        {
            if (StoreFaults.TryClassify(e, out var fault))
            {
                health.ReportFault(fault);
            }
            LogSyncFailed(sessionId, e);
        }
    }

    /// <summary>Rewrites the session's triggers from its current row and records the version they match.</summary>
    public async Task SyncAsync(string sessionId, CancellationToken ct) => await SyncAsync(sessionId, onlyIfBehind: false, ct);

    /// <summary>
    /// As <see cref="SyncAsync(string, CancellationToken)"/>; with <paramref name="onlyIfBehind"/>, a session whose
    /// triggers are already recorded as in sync is left alone. The reconciler's list of sessions behind is read before
    /// it takes each session's lock, so the call that changed a session has usually synced it by then: re-creating its
    /// job would only delete it for a moment, maybe while Quartz is about to fire it.
    /// </summary>
    public async Task SyncAsync(string sessionId, bool onlyIfBehind, CancellationToken ct)
    {
        // Two writers of one session must not interleave: the later row has to be the one whose triggers stay.
        using (await sessionLocks.AcquireAsync(sessionId, ct))
        {
            await using var connection = await database.OpenAsync(ct);
            // Across nodes (PostgreSQL) the same holds through an advisory lock kept until the version is recorded. Not
            // on SQLite: a transaction there would hold the file's one writer lock that Quartz's writes below need.
            await using var tx = database.Provider == StorageProvider.Postgres ? await connection.BeginTransactionAsync(ct) : null;
            if (tx is not null)
            {
                await Database.LockAsync(connection, tx, DecisionKeys.Triggers(sessionId), ct);
            }
            var session = await SessionStore.FindAsync(connection, sessionId, null, ct, tx);
            if (onlyIfBehind && session is not null && session.TriggersVersion == session.Version)
            {
                return; // in sync: nothing written, the transaction (if any) rolls back and releases the lock
            }
            var scheduler = await schedulerFactory.GetScheduler(ct);
            var jobKey = JobKeyFor(sessionId);
            await scheduler.DeleteJob(jobKey, ct);
            if (session is null)
            {
                return; // nothing written: the transaction, if any, rolls back and releases the lock
            }
            var triggers = Desired(session, jobKey, (await settings.GetAsync(ct)).ReminderLead);
            if (triggers.Count > 0)
            {
                var job = JobBuilder.Create<SessionLifecycleJob>()
                    .WithIdentity(jobKey)
                    .UsingJobData(SessionIdKey, sessionId)
                    .RequestRecovery()
                    .Build();
                await scheduler.ScheduleJob(job, triggers, ScheduleJobOptions.Replacing, ct);
            }
            await SessionStore.MarkTriggersSyncedAsync(connection, sessionId, session.Version, ct, tx);
            if (tx is not null)
            {
                await tx.CommitAsync(ct);
            }
        }
    }

    private List<ITrigger> Desired(SessionRow session, JobKey jobKey, TimeSpan reminderLead)
    {
        var triggers = new List<ITrigger>(4);
        if (session.Status == SessionStatus.Scheduled)
        {
            var remindAt = session.PlannedStart - reminderLead;
            // Inside the lead time the rescheduled notice already carries the new start; a reminder would only repeat it.
            if (remindAt > clock.GetUtcNow())
            {
                triggers.Add(Build(jobKey, SessionStep.Reminder, remindAt, session.PlannedStartMs));
            }
            if (ingest.Value.Enabled)
            {
                // With ingest the clock alone never takes a session live: a stream or 开播 does, and these watch for neither.
                if (LateStarts.LateNoticeAt(session, ingest.Value) is { } noticeAt)
                {
                    triggers.Add(Build(jobKey, SessionStep.LateNotice, noticeAt, session.PlannedStartMs));
                }
                triggers.Add(Build(jobKey, SessionStep.NotHeld, LateStarts.NotHeldAt(session, ingest.Value), session.PlannedStartMs));
            }
            else
            {
                triggers.Add(Build(jobKey, SessionStep.GoLive, session.PlannedStart, session.PlannedStartMs));
            }
        }
        if (session.Status is SessionStatus.Scheduled or SessionStatus.Live)
        {
            triggers.Add(Build(jobKey, SessionStep.AutoEnd, session.PlannedEnd, session.PlannedEndMs));
        }
        if (session.Status == SessionStatus.Live && session.IngestState == Ingest.IngestStore.ReconnectGrace && session.IngestGraceEndMs is { } graceEndMs)
        {
            triggers.Add(Build(jobKey, SessionStep.IngestGraceEnd, DateTimeOffset.FromUnixTimeMilliseconds(graceEndMs), graceEndMs));
        }
        return triggers;
    }

    private static ITrigger Build(JobKey jobKey, string step, DateTimeOffset at, long dueMs) =>
        TriggerBuilder.Create()
            .WithIdentity(TriggerKeyFor(jobKey.Name, step))
            .ForJob(jobKey)
            .UsingJobData(StepKey, step)
            .UsingJobData(DueKey, dueMs.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .StartAt(at)
            // Due together (after downtime): remind before going live (or the late notice), go live before ending.
            .WithPriority(step switch { SessionStep.Reminder => 7, SessionStep.GoLive or SessionStep.LateNotice => 6, _ => 5 })
            // Came due while the server was down: fire once, as soon as it is back. Up to LateStepWindow late that is
            // the scheduler's normal acquisition, in time order; only older steps wait for Quartz's misfire scan.
            .WithMisfireThreshold(LateStepWindow)
            .WithSimpleSchedule(s => s.WithMisfireInstruction(SimpleTriggerMisfireInstruction.FireNow))
            .Build();

    [LoggerMessage(EventId = 2010, Level = LogLevel.Warning, Message = "Session {SessionId}: writing its triggers failed; the reconciler will retry")]
    private partial void LogSyncFailed(string sessionId, Exception exception);
}
