using System.Diagnostics;
using Npgsql;

namespace LearnHub.Testing;

/// <summary>
/// A private PostgreSQL 15 for one test run, started on first use: a temporary cluster owned by the postgres user
/// (initdb refuses root), on a free loopback port, without durability (tests never survive a power loss). Each test
/// takes a fresh empty database from <see cref="CreateDatabaseAsync"/>. Stopped and deleted when the test process
/// exits. When <c>LEARNHUB_TEST_POSTGRES</c> holds a connection string, that server is used instead and nothing is
/// started.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    public const string ExternalServerVariable = "LEARNHUB_TEST_POSTGRES";

    private const string BinDirectory = "/usr/lib/postgresql/15/bin";
    private static readonly TimeSpan CommandDeadline = TimeSpan.FromSeconds(60);
    private static readonly Lazy<Task<PostgresServer>> Shared = new(StartSharedAsync, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly string? folder;
    private readonly string? startOptions;

    private PostgresServer(string serverConnectionString, string? folder, string? startOptions = null)
    {
        ServerConnectionString = serverConnectionString;
        this.folder = folder;
        this.startOptions = startOptions;
    }

    /// <summary>Connection string of the server's maintenance database (postgres).</summary>
    public string ServerConnectionString { get; }

    /// <summary>The test run's server: started once, on first use, and stopped when the process exits.</summary>
    public static Task<PostgresServer> SharedAsync() => Shared.Value;

    public static async Task<PostgresServer> StartAsync()
    {
        if (Environment.GetEnvironmentVariable(ExternalServerVariable) is { Length: > 0 } external)
        {
            return new PostgresServer(external, null);
        }
        var folder = Directory.CreateTempSubdirectory("learnhub-pg-").FullName;
        try
        {
            var data = Path.Combine(folder, "data");
            var socket = Path.Combine(folder, "socket");
            Directory.CreateDirectory(socket);
            await RunAsync("chown", ["-R", "postgres:postgres", folder]);
            await RunAsync("runuser", ["-u", "postgres", "--", $"{BinDirectory}/initdb", "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C"]);
            var port = LoopbackPorts.FreePair().Grpc;
            var options = $"-p {port} -k {socket} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300";
            var server = new PostgresServer($"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres", folder, options);
            await server.PgCtlAsync("start");
            return server;
        }
        catch
        {
            Directory.Delete(folder, recursive: true);
            throw;
        }
    }

    /// <summary>A new empty database (byte-order collation, as SQLite compares text); returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(CancellationToken cancellationToken = default)
    {
        var name = $"learnhub_test_{Guid.NewGuid():N}";
        await using (var connection = new NpgsqlConnection(ServerConnectionString))
        {
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand($"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'", connection);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        return new NpgsqlConnectionStringBuilder(ServerConnectionString) { Database = name }.ConnectionString;
    }

    /// <summary>Drops a database made by <see cref="CreateDatabaseAsync"/>, closing whatever is still connected to it.</summary>
    public async Task DropDatabaseAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        NpgsqlConnection.ClearPool(new NpgsqlConnection(connectionString));
        await using var connection = new NpgsqlConnection(ServerConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Whether this server was started here (and so can be stopped and started again), not given by <c>LEARNHUB_TEST_POSTGRES</c>.</summary>
    public bool IsPrivate => folder is not null;

    /// <summary>
    /// Stops the server as an operator or a failover does (pg_ctl's fast mode: open connections are ended, what was
    /// committed is written out); <see cref="StartAgainAsync"/> brings it back. Not "immediate": with this server's
    /// synchronous_commit=off an immediate stop forgets the last commits, which no test of durability wants.
    /// </summary>
    public Task StopAsync() => PgCtlAsync("stop", "-m", "fast");

    /// <summary>Starts a server stopped by <see cref="StopAsync"/> on the same port and data.</summary>
    public Task StartAgainAsync() => PgCtlAsync("start");

    private Task PgCtlAsync(string action, params string[] arguments)
    {
        if (folder is null)
        {
            throw new InvalidOperationException($"An external server ({ExternalServerVariable}) is not started or stopped by the tests.");
        }
        string[] start = action == "start" ? ["-l", Path.Combine(folder, "postgres.log"), "-o", startOptions!] : [];
        return RunAsync("runuser", ["-u", "postgres", "--", $"{BinDirectory}/pg_ctl", "-D", Path.Combine(folder, "data"), "-w", .. start, .. arguments, action]);
    }

    public async ValueTask DisposeAsync()
    {
        if (folder is null)
        {
            return;
        }
        NpgsqlConnection.ClearAllPools();
        try
        {
            await RunAsync("runuser", ["-u", "postgres", "--", $"{BinDirectory}/pg_ctl", "-D", Path.Combine(folder, "data"), "-m", "immediate", "-w", "stop"]);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task<PostgresServer> StartSharedAsync()
    {
        var server = await StartAsync();
        // One server per test process: it goes when the process does (xunit v3 ends the process after the run).
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return server;
    }

    private static async Task RunAsync(string fileName, IReadOnlyList<string> arguments)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(CommandDeadline);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', arguments)} did not finish within {CommandDeadline}.");
        }
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{fileName} {string.Join(' ', arguments)} exited {process.ExitCode}:\n{await stdout}\n{await stderr}");
        }
    }
}
