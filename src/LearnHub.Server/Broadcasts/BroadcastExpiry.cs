using LearnHub.Server.Data;
using LearnHub.Server.Faults;
using Quartz;

namespace LearnHub.Server.Broadcasts;

/// <summary>
/// 审核过程将冻结1条群发数 … a review left undone past the review timeout expires and returns its quota. Quartz runs this
/// every minute from the persistent store, so overdue broadcasts expire after a restart too; each expiry is a
/// conditional update in its own transaction, so a broadcast a reviewer decides at the same moment is never both.
/// </summary>
[DisallowConcurrentExecution]
public sealed partial class BroadcastExpiryJob(Database database, StoreHealth health, TimeProvider clock, Telemetry.LearnHubMetrics metrics, ILogger<BroadcastExpiryJob> logger) : IJob
{
    public static readonly JobKey Key = new("broadcast-expiry", "broadcasts");

    private const int Batch = 500;

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        using var run = metrics.StepStarted(Telemetry.SchedulerSteps.BroadcastExpiry, context.ScheduledFireTimeUtc ?? context.FireTimeUtc);
        try
        {
            await ExpireOverdueAsync(cancellationToken);
        }
        catch (Exception e) when (StoreFaults.TryClassify(e, out var fault))
        {
            // The next run (every minute, repeating forever) expires what this one could not.
            health.ReportFault(fault);
            throw new JobExecutionException($"Broadcast expiry met a store fault ({fault.Cause}); the next run retries.", e);
        }
    }

    private async Task ExpireOverdueAsync(CancellationToken cancellationToken)
    {
        var nowMs = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await using var connection = await database.OpenAsync(cancellationToken);
        while (true)
        {
            var overdue = await BroadcastStore.ListOverdueAsync(connection, nowMs, Batch, cancellationToken);
            foreach (var row in overdue)
            {
                await using var tx = await connection.BeginTransactionAsync(cancellationToken);
                var expired = await BroadcastStore.DecideAsync(connection, tx, row.Id, BroadcastState.Pending, BroadcastState.Expired, nowMs, null, null, cancellationToken);
                if (expired)
                {
                    await BroadcastStore.ReturnAsync(connection, tx, row.CreatorId, row.WeekStartMs, cancellationToken);
                    await BroadcastStore.AuditAsync(connection, tx, row.Id, null, "expired", null, nowMs, cancellationToken);
                    LogExpired(logger, row.Id);
                }
                await tx.CommitAsync(cancellationToken);
                if (expired)
                {
                    metrics.QuotaDecided(Telemetry.QuotaOutcome.Returned);
                }
            }
            if (overdue.Count < Batch)
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Broadcast {BroadcastId} expired unreviewed; its quota is returned")]
    private static partial void LogExpired(ILogger logger, string broadcastId);
}

/// <summary>Schedules <see cref="BroadcastExpiryJob"/> once Quartz runs (replacing the stored schedule on each start).</summary>
public sealed class BroadcastExpirySchedule(ISchedulerFactory schedulers, TimeProvider clock) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        var job = JobBuilder.Create<BroadcastExpiryJob>().WithIdentity(BroadcastExpiryJob.Key).StoreDurably().Build();
        var trigger = TriggerBuilder.Create()
            .WithIdentity("broadcast-expiry", "broadcasts")
            .ForJob(job)
            .StartAt(clock.GetUtcNow())
            .WithSimpleSchedule(s => s.WithInterval(TimeSpan.FromMinutes(1)).RepeatForever().WithMisfireInstruction(SimpleTriggerMisfireInstruction.FireNow))
            .Build();
        await scheduler.ScheduleJob(job, [trigger], ScheduleJobOptions.Replacing, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
