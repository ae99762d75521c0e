using Dapper;
using LearnHub.Api.V1;
using LearnHub.Server.Data;
using LearnHub.Server.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace LearnHub.Server.Tests.Data;

/// <summary>
/// Migration 0007 adds the users' search keys and fills them for the users already there, so a store upgraded from
/// before it finds its old users by name in any case (run on SQLite and, with LEARNHUB_TEST_STORE=Postgres, PostgreSQL).
/// </summary>
public sealed class SearchKeyBackfillTests
{
    [Fact]
    public async Task Users_made_before_migration_0007_are_found_case_insensitively_after_it()
    {
        var folder = Directory.CreateTempSubdirectory("learnhub-backfill-").FullName;
        try
        {
            await using (var database = await DatabaseAsync(folder))
            {
                await MigrateBeforeAsync(database, version: 7);
                await using var connection = await database.OpenAsync(CancellationToken.None);
                await connection.ExecuteAsync(
                    """
                    INSERT INTO users (id, handle, display_name, roles, time_zone, created_at_ms, certified)
                    VALUES ('u_old_elodie', 'emartin', 'Élodie Martin', 'instructor,viewer', 'Asia/Shanghai', 0, 1),
                           ('u_old_sofia', 'SPAPA', 'Σοφία', 'instructor,viewer', 'Asia/Shanghai', 0, 1)
                    """);
            }

            await using var app = await LearnHubApp.StartAsync(dataDirectory: folder);
            var fan = await app.CreateUserAsync("xiaowang");
            var admin = await app.CreateUserAsync("admin", "admin");

            Assert.Equal(["u_old_elodie"], (await fan.Follows.SearchCreatorsAsync(new SearchCreatorsRequest { Query = "ÉLODIE" })).Creators.Select(c => c.CreatorId));
            Assert.Equal(["u_old_sofia"], (await fan.Follows.SearchCreatorsAsync(new SearchCreatorsRequest { Query = "σοφία" })).Creators.Select(c => c.CreatorId));
            var exact = (await fan.Follows.SearchCreatorsAsync(new SearchCreatorsRequest { Query = "spapa" })).Creators;
            Assert.Equal("SPAPA", Assert.Single(exact).Handle);
            Assert.Equal(["u_old_sofia"], (await admin.Admin.ListUsersAsync(new ListUsersRequest { Query = "ΣΟΦΊΑ" })).Users.Select(u => u.Id));
        }
        finally
        {
            await TestStore.ForgetAsync(folder);
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task<Database> DatabaseAsync(string folder)
    {
        var options = new StorageOptions();
        await TestStore.ApplyAsync(options, folder);
        return new Database(Options.Create(options));
    }

    /// <summary>Brings the store to where a release before <paramref name="version"/> left it, as the migrator would have.</summary>
    private static async Task MigrateBeforeAsync(Database database, long version)
    {
        await using var connection = await database.OpenAsync(CancellationToken.None);
        await connection.ExecuteAsync(
            "CREATE TABLE schema_migrations (version bigint PRIMARY KEY, name text NOT NULL, applied_at_ms bigint NOT NULL)");
        foreach (var script in Migrator.Scripts(database.Provider).Where(s => s.Version < version))
        {
            await connection.ExecuteAsync(script.Sql);
            await connection.ExecuteAsync("INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (@Version, @Name, 0)", new { script.Version, script.Name });
        }
    }
}
