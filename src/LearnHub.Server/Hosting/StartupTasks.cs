using LearnHub.Server.Data;
using LearnHub.Server.Identity;
using LearnHub.Server.Ingest;
using Microsoft.Extensions.Options;

namespace LearnHub.Server.Hosting;

/// <summary>
/// Migrates the store before the scheduler starts (it is registered before Quartz's hosted service), then hashes and
/// protects any secret an earlier version kept in clear: stream keys and calendar feed keys (<see cref="SecretVault"/>).
/// </summary>
public sealed partial class StartupTasks(
    Migrator migrator, Database database, StreamKeyVault streamKeys, CalendarFeedKeyVault feedKeys, ILogger<StartupTasks> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await migrator.MigrateAsync(cancellationToken);
        (SecretColumns Columns, SecretVault Vault)[] secrets = [(IngestStore.KeyColumns, streamKeys), (UserStore.FeedKeyColumns, feedKeys)];
        await using var connection = await database.OpenAsync(cancellationToken);
        await using (var tx = await connection.BeginTransactionAsync(cancellationToken))
        {
            foreach (var (columns, _) in secrets)
            {
                await LegacySecrets.HashAsync(connection, tx, columns, cancellationToken);
            }
            await tx.CommitAsync(cancellationToken);
        }
        foreach (var (columns, vault) in secrets)
        {
            try
            {
                if (await LegacySecrets.ProtectAsync(connection, vault, columns, cancellationToken) is > 0 and var protectedSecrets)
                {
                    LogLegacySecretsProtected(protectedSecrets, columns.Kind);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // They are hashed already, so they work; the next start tries again.
                LogLegacySecretsNotProtected(e, columns.Kind);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 1010, Level = LogLevel.Information, Message = "Protected {Count} {Secrets} kept in clear by an earlier version")]
    private partial void LogLegacySecretsProtected(int count, string secrets);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Warning, Message = "The {Secrets} an earlier version kept in clear could not be protected yet (the Data Protection key ring is unreachable); the next start tries again")]
    private partial void LogLegacySecretsNotProtected(Exception exception, string secrets);
}

/// <summary>Seeds the demo data once the scheduler runs (its sessions need triggers), when configured and the store is empty.</summary>
public sealed class DemoDataSeeder(DemoData demo, IOptions<StorageOptions> storage) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) =>
        storage.Value.SeedDemoData ? demo.SeedIfEmptyAsync(cancellationToken) : Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
