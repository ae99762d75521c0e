using LearnHub.Server.Data;
using LearnHub.Server.Ingest;
using Microsoft.Extensions.Options;

namespace LearnHub.Server.Hosting;

/// <summary>
/// Migrates the store before the scheduler starts (it is registered before Quartz's hosted service), then hashes and
/// protects any stream key an earlier version kept in clear (<see cref="StreamKeyVault"/>).
/// </summary>
public sealed partial class StartupTasks(Migrator migrator, Database database, StreamKeyVault streamKeys, ILogger<StartupTasks> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await migrator.MigrateAsync(cancellationToken);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using (var tx = await connection.BeginTransactionAsync(cancellationToken))
        {
            await IngestStore.HashLegacyKeysAsync(connection, tx, cancellationToken);
            await tx.CommitAsync(cancellationToken);
        }
        try
        {
            if (await IngestStore.ProtectLegacyKeysAsync(connection, streamKeys, cancellationToken) is > 0 and var protectedKeys)
            {
                LogLegacyKeysProtected(protectedKeys);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The keys are hashed already, so publishing with them works; the next start tries again.
            LogLegacyKeysNotProtected(e);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 1010, Level = LogLevel.Information, Message = "Protected {Count} stream keys kept in clear by an earlier version")]
    private partial void LogLegacyKeysProtected(int count);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Warning, Message = "Stream keys kept in clear by an earlier version could not be protected yet (the Data Protection key ring is unreachable); the next start tries again")]
    private partial void LogLegacyKeysNotProtected(Exception exception);
}

/// <summary>Seeds the demo data once the scheduler runs (its sessions need triggers), when configured and the store is empty.</summary>
public sealed class DemoDataSeeder(DemoData demo, IOptions<StorageOptions> storage) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) =>
        storage.Value.SeedDemoData ? demo.SeedIfEmptyAsync(cancellationToken) : Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
