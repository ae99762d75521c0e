using System.Globalization;
using Quartz;

namespace LearnHub.Server.Sessions;

/// <summary>
/// Runs one timed step of one session. Steps are idempotent and check the row, so a trigger that fires twice
/// (recovery after a crash) or late (after a reschedule that raced it) changes nothing a second time.
/// </summary>
[DisallowConcurrentExecution]
public sealed class SessionLifecycleJob(SessionLifecycle lifecycle) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var data = context.MergedJobDataMap;
        var sessionId = data.GetString(SessionTriggers.SessionIdKey)!;
        var step = data.GetString(SessionTriggers.StepKey)!;
        var dueMs = long.Parse(data.GetString(SessionTriggers.DueKey)!, CultureInfo.InvariantCulture);
        switch (step)
        {
            case SessionStep.Reminder:
                await lifecycle.RemindAsync(sessionId, dueMs, cancellationToken);
                break;
            case SessionStep.GoLive:
                await lifecycle.GoLiveOnScheduleAsync(sessionId, dueMs, cancellationToken);
                break;
            case SessionStep.AutoEnd:
                await lifecycle.AutoEndAsync(sessionId, dueMs, cancellationToken);
                break;
            default:
                throw new JobExecutionException($"Unknown session step '{step}'.");
        }
    }
}
