using System.Collections.Concurrent;
using LearnHub.Server.Data;
using LearnHub.Testing;

namespace LearnHub.Server.Tests.Infrastructure;

/// <summary>
/// Which store the tests' servers use: SQLite in their data folder (default), or with <c>LEARNHUB_TEST_STORE=Postgres</c>
/// a fresh PostgreSQL database per data folder on the run's <see cref="PostgresServer"/>. A restart on the same data
/// folder finds the same database.
/// </summary>
public static class TestStore
{
    public const string Variable = "LEARNHUB_TEST_STORE";

    private static readonly ConcurrentDictionary<string, Lazy<Task<string>>> DatabasesByFolder = new(StringComparer.Ordinal);

    public static bool IsPostgres { get; } =
        string.Equals(Environment.GetEnvironmentVariable(Variable), nameof(StorageProvider.Postgres), StringComparison.OrdinalIgnoreCase);

    /// <summary>The Storage settings for a server on <paramref name="dataDirectory"/> (besides the folder itself).</summary>
    public static async Task<IReadOnlyDictionary<string, string>> SettingsForAsync(string dataDirectory)
    {
        if (!IsPostgres)
        {
            return new Dictionary<string, string>();
        }
        return new Dictionary<string, string>
        {
            ["Storage:Provider"] = nameof(StorageProvider.Postgres),
            ["Storage:ConnectionString"] = await ConnectionStringForAsync(dataDirectory),
        };
    }

    /// <summary>
    /// The same settings as environment variables for a server or command-line child process: the host reads them
    /// unprefixed, the operator command line with the LEARNHUB_ prefix.
    /// </summary>
    public static async Task<IReadOnlyDictionary<string, string>> EnvironmentForAsync(string dataDirectory)
    {
        var environment = new Dictionary<string, string>();
        foreach (var (key, value) in await SettingsForAsync(dataDirectory))
        {
            var name = key.Replace(":", "__", StringComparison.Ordinal);
            environment[name] = value;
            environment["LEARNHUB_" + name] = value;
        }
        return environment;
    }

    /// <summary>Points <paramref name="options"/> at the store of <paramref name="dataDirectory"/>.</summary>
    public static async Task ApplyAsync(StorageOptions options, string dataDirectory)
    {
        options.DataDirectory = dataDirectory;
        if (IsPostgres)
        {
            options.Provider = StorageProvider.Postgres;
            options.ConnectionString = await ConnectionStringForAsync(dataDirectory);
        }
    }

    /// <summary>Drops the database of <paramref name="dataDirectory"/>, if one was made.</summary>
    public static async Task ForgetAsync(string dataDirectory)
    {
        if (DatabasesByFolder.TryRemove(dataDirectory, out var database))
        {
            var server = await PostgresServer.SharedAsync();
            await server.DropDatabaseAsync(await database.Value);
        }
    }

    private static Task<string> ConnectionStringForAsync(string dataDirectory) =>
        DatabasesByFolder.GetOrAdd(dataDirectory, _ => new Lazy<Task<string>>(async () => await (await PostgresServer.SharedAsync()).CreateDatabaseAsync())).Value;
}
