using LearnHub.Server.Data;
using Microsoft.Extensions.Options;

namespace LearnHub.Server.Hosting;

/// <summary>Migrates the store before the scheduler starts (it is registered before Quartz's hosted service).</summary>
public sealed class StartupTasks(Migrator migrator) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => migrator.MigrateAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Seeds the demo data once the scheduler runs (its sessions need triggers), when configured and the store is empty.</summary>
public sealed class DemoDataSeeder(DemoData demo, IOptions<StorageOptions> storage) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) =>
        storage.Value.SeedDemoData ? demo.SeedIfEmptyAsync(cancellationToken) : Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
