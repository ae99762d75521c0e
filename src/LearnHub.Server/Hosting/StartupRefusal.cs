using System.Net;
using System.Net.Sockets;
using LearnHub.Admin.Services;
using LearnHub.Server.Data;
using LearnHub.Server.Grpc;
using LearnHub.Server.Identity;
using LearnHub.Server.Presence;
using LearnHub.Server.ScaleOut;
using LearnHub.Server.Sessions;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Npgsql;

namespace LearnHub.Server.Hosting;

/// <summary>
/// The server will not run as configured. Program prints <see cref="Line"/> (one line, on stderr) and exits with
/// <see cref="ExitCode"/>, before anything listens: no half-started process answering 500.
/// </summary>
public sealed class StartupRefusedException(string problem, Exception? cause = null) : Exception(problem, cause)
{
    /// <summary>EX_CONFIG from sysexits.h: a configuration error.</summary>
    public const int ExitCode = 78;

    public string Line => "LearnHub cannot start: " + string.Join(' ', Message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    /// <summary>Writes <see cref="Line"/> to stderr and returns the exit code.</summary>
    public int Report()
    {
        Console.Error.WriteLine(Line);
        return ExitCode;
    }
}

public static class StartupRefusal
{
    /// <summary>
    /// Runs the server: the data folder's checks and lock first (<see cref="StartupGuard"/>), then the listening ports,
    /// then the host. Each problem found there is a <see cref="StartupRefusedException"/>, before any hosted service runs.
    /// </summary>
    public static async Task RunLearnHubAsync(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.Services.GetRequiredService<StartupGuard>().Enter();
        // Only when Kestrel listens: a host under test serves in memory, and the configured ports mean nothing to it.
        if (app.Services.GetService<Microsoft.AspNetCore.Hosting.Server.IServer>()?.GetType().Assembly == typeof(KestrelServerOptions).Assembly)
        {
            ThrowIfEndpointsTaken(app.Configuration);
        }
        try
        {
            await app.RunAsync();
        }
        catch (IOException e) when (e.InnerException is AddressInUseException)
        {
            // Taken between the check above and Kestrel's bind.
            throw new StartupRefusedException($"{e.Message} Another process listens there: stop it or choose other ports (Kestrel:Endpoints:<name>:Url).", e);
        }
    }

    /// <summary>
    /// Settings that cannot work, found before anything is registered (a wrong one otherwise surfaces as a 500 on the
    /// first request that reads it, or as a stack trace).
    /// </summary>
    public static void ThrowIfInvalid(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var provider = configuration[$"{StorageOptions.Section}:{nameof(StorageOptions.Provider)}"];
        if (!string.IsNullOrWhiteSpace(provider) && (!Enum.TryParse<StorageProvider>(provider, ignoreCase: true, out _) || provider.Trim().All(char.IsAsciiDigit)))
        {
            throw new StartupRefusedException($"Storage:Provider is '{provider}'; it must be {nameof(StorageProvider.Sqlite)} or {nameof(StorageProvider.Postgres)}.");
        }
        var storage = Bind<StorageOptions>(configuration, StorageOptions.Section);
        var identity = Bind<IdentityOptions>(configuration, IdentityOptions.Section);
        Bind<SessionSchedulingOptions>(configuration, SessionSchedulingOptions.Section);
        var rates = Bind<RateLimitOptions>(configuration, RateLimitOptions.Section);
        var presence = Bind<PresenceOptions>(configuration, PresenceOptions.Section);
        var quartz = Bind<QuartzSettings>(configuration, QuartzSettings.Section);
        var redis = Bind<RedisSettings>(configuration, RedisSettings.Section);
        var admin = Bind<AdminOptions>(configuration, AdminOptions.Section);
        ConvertValue<int>(configuration, "CalendarFeeds:RequestsPerMinute");
        try
        {
            configuration.GetSection("Kestrel:Limits").Bind(new KestrelServerOptions().Limits);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            throw new StartupRefusedException($"Kestrel:Limits: {e.Message}", e);
        }

        if (storage.Provider == StorageProvider.Postgres)
        {
            if (string.IsNullOrWhiteSpace(storage.ConnectionString))
            {
                throw new StartupRefusedException("Storage:Provider is Postgres but Storage:ConnectionString is not set (e.g. Host=db;Database=learnhub;Username=learnhub;Password=…).");
            }
            NpgsqlConnectionStringBuilder connection;
            try
            {
                connection = new NpgsqlConnectionStringBuilder(storage.ConnectionString);
            }
            catch (Exception e) when (e is ArgumentException or FormatException or InvalidOperationException)
            {
                throw new StartupRefusedException($"Storage:ConnectionString is not an Npgsql connection string: {e.Message}", e);
            }
            if (string.IsNullOrWhiteSpace(connection.Host))
            {
                throw new StartupRefusedException("Storage:ConnectionString names no Host.");
            }
        }
        if (string.IsNullOrWhiteSpace(storage.DataDirectory))
        {
            throw new StartupRefusedException("Storage:DataDirectory is empty; it names the data folder (signing key, and the SQLite file by default).");
        }
        if (storage.Provider == StorageProvider.Sqlite && string.IsNullOrWhiteSpace(storage.DatabaseFile))
        {
            throw new StartupRefusedException("Storage:DatabaseFile is empty; it names the SQLite file in the data folder.");
        }
        if (string.IsNullOrWhiteSpace(identity.SigningKeyFile))
        {
            throw new StartupRefusedException("Identity:SigningKeyFile is empty; it names the token signing key file.");
        }
        Positive(identity.TokenLifetime, "Identity:TokenLifetime");
        Positive(identity.AccessChangePollInterval, "Identity:AccessChangePollInterval");
        Positive(presence.SampleInterval, "Presence:SampleInterval");
        Positive(redis.HeartbeatInterval, "Redis:HeartbeatInterval");
        Positive(redis.NodeTimeout, "Redis:NodeTimeout");
        if (quartz.ThreadCount < 1 || presence.MaxStreamsPerUser < 1 || rates.ReadsPerSecond < 1 || rates.WritesPerMinute < 1)
        {
            throw new StartupRefusedException("Quartz:ThreadCount, Presence:MaxStreamsPerUser, RateLimits:ReadsPerSecond and RateLimits:WritesPerMinute must each be at least 1.");
        }
        if (RedisSettings.IsConfigured(configuration))
        {
            try
            {
                StackExchange.Redis.ConfigurationOptions.Parse(redis.Configuration!);
            }
            catch (ArgumentException e)
            {
                throw new StartupRefusedException($"Redis:Configuration '{redis.Configuration}' is not a StackExchange.Redis configuration string: {e.Message}", e);
            }
            try
            {
                NodeIdentity.From(configuration);
            }
            catch (InvalidOperationException e)
            {
                throw new StartupRefusedException(e.Message, e);
            }
        }
        foreach (var endpoint in configuration.GetSection("Kestrel:Endpoints").GetChildren())
        {
            EndpointUrl(endpoint);
            if (endpoint["Protocols"] is { Length: > 0 } protocols && !Enum.TryParse<HttpProtocols>(protocols, ignoreCase: true, out _))
            {
                throw new StartupRefusedException($"Kestrel:Endpoints:{endpoint.Key}:Protocols is '{protocols}'; it must be Http1, Http2 or Http1AndHttp2.");
            }
        }
        foreach (var (key, value) in new[] { ("Admin:GrpcAddress", admin.GrpcAddress), ("Admin:WebAddress", admin.WebAddress) })
        {
            if (configuration[key] is not null && !Uri.TryCreate(value, UriKind.Absolute, out _))
            {
                throw new StartupRefusedException($"{key} is '{value}', not an absolute URL like http://127.0.0.1:5080.");
            }
        }
    }

    private static T Bind<T>(IConfiguration configuration, string section)
        where T : new()
    {
        try
        {
            return configuration.GetSection(section).Get<T>() ?? new T();
        }
        catch (InvalidOperationException e)
        {
            // "Failed to convert configuration value 'abc' at 'RateLimits:ReadsPerSecond' to type 'System.Int32'."
            throw new StartupRefusedException(e.Message, e);
        }
    }

    private static void ConvertValue<T>(IConfiguration configuration, string key)
    {
        try
        {
            configuration.GetValue<T>(key);
        }
        catch (InvalidOperationException e)
        {
            throw new StartupRefusedException(e.Message, e);
        }
    }

    private static void Positive(TimeSpan value, string key)
    {
        if (value <= TimeSpan.Zero)
        {
            throw new StartupRefusedException($"{key} is {value}; it must be longer than zero.");
        }
    }

    private static BindingAddress EndpointUrl(IConfigurationSection endpoint)
    {
        var url = endpoint["Url"];
        if (string.IsNullOrWhiteSpace(url))
        {
            throw new StartupRefusedException($"Kestrel:Endpoints:{endpoint.Key}:Url is not set; it is the address to listen on, like http://127.0.0.1:5080.");
        }
        try
        {
            var address = BindingAddress.Parse(url);
            if (address.Scheme is not ("http" or "https") || address.Port is < 0 or > 65535)
            {
                throw new FormatException("not http or https on a port 0–65535");
            }
            return address;
        }
        catch (FormatException e)
        {
            throw new StartupRefusedException($"Kestrel:Endpoints:{endpoint.Key}:Url is '{url}', not a URL to listen on like http://127.0.0.1:5080 ({e.Message}).", e);
        }
    }

    /// <summary>
    /// Tries each endpoint's address and port before Kestrel does, so a port another process holds is one line here
    /// rather than Kestrel's stack trace after every hosted service started.
    /// </summary>
    private static void ThrowIfEndpointsTaken(IConfiguration configuration)
    {
        foreach (var endpoint in configuration.GetSection("Kestrel:Endpoints").GetChildren())
        {
            var address = EndpointUrl(endpoint);
            if (address.Port == 0 || !TryListenAddress(address.Host, out var ip))
            {
                continue;
            }
            using var socket = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Bind(new IPEndPoint(ip, address.Port));
                socket.Listen();
            }
            catch (SocketException e)
            {
                var why = e.SocketErrorCode == SocketError.AddressAlreadyInUse
                    ? "the port is already in use by another process: stop it or choose another port"
                    : e.Message;
                throw new StartupRefusedException($"cannot listen on {address} (Kestrel:Endpoints:{endpoint.Key}:Url): {why}.", e);
            }
        }
    }

    private static bool TryListenAddress(string host, out IPAddress address)
    {
        if (host is "localhost")
        {
            address = IPAddress.Loopback;
            return true;
        }
        if (host is "*" or "+")
        {
            address = IPAddress.Any;
            return true;
        }
        return IPAddress.TryParse(host.Trim('[', ']'), out address!);
    }
}

/// <summary>
/// Checks the data folder before anything uses it: readable and writable, the signing key usable, and, on the SQLite
/// default, the folder held by this process alone (<see cref="DataFolderLock"/>). Program calls <see cref="Enter"/>
/// before the host starts; as the first hosted service it also guards hosts started without Program (tests).
/// </summary>
public sealed class StartupGuard(IOptions<StorageOptions> storage, DataFolderLock folderLock, IServiceProvider services) : IHostedService
{
    private readonly Lock gate = new();
    private bool entered;

    public void Enter()
    {
        lock (gate)
        {
            if (entered)
            {
                return;
            }
            var options = storage.Value;
            if (options.Provider == StorageProvider.Sqlite)
            {
                foreach (var folder in new[] { Path.GetFullPath(options.DataDirectory), Path.GetDirectoryName(options.DatabasePath)! }.Distinct(StringComparer.Ordinal))
                {
                    CheckFolder(folder);
                }
                CheckDatabaseFile(options.DatabasePath);
                folderLock.Acquire();
            }
            CheckSigningKey();
            entered = true;
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        Enter();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static void CheckFolder(string folder)
    {
        try
        {
            Directory.CreateDirectory(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StartupRefusedException($"the data folder {folder} does not exist and cannot be created: {e.Message}", e);
        }
        try
        {
            using var entries = Directory.EnumerateFileSystemEntries(folder).GetEnumerator();
            entries.MoveNext();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StartupRefusedException($"the data folder {folder} is not readable by this process: {e.Message}", e);
        }
        // SQLite creates its -wal and -shm files beside the database, and the signing key is created here.
        var probe = Path.Combine(folder, $".learnhub-write-test-{Environment.ProcessId}");
        try
        {
            File.WriteAllBytes(probe, [1]);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StartupRefusedException($"the data folder {folder} is not writable by this process: {e.Message}", e);
        }
    }

    private static void CheckDatabaseFile(string path)
    {
        if (!File.Exists(path))
        {
            return;
        }
        try
        {
            using var _ = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StartupRefusedException($"the database {path} cannot be opened for reading and writing: {e.Message}", e);
        }
    }

    /// <summary>Loads (or makes) the key now: a short or unreadable key refuses the start instead of failing every call.</summary>
    private void CheckSigningKey()
    {
        try
        {
            services.GetRequiredService<SigningKeyStore>();
        }
        catch (Exception e) when (e is SigningKeyException or IOException or UnauthorizedAccessException)
        {
            throw new StartupRefusedException(e is SigningKeyException ? e.Message : $"the signing key cannot be read or created: {e.Message}", e);
        }
    }
}
