using System.CommandLine;
using LearnHub.Core.Common;
using LearnHub.Server.Data;

namespace LearnHub.Server.Identity;

/// <summary>
/// Operator commands run against the data folder without starting the server:
/// <c>user add</c> creates accounts (the first admin included), <c>token</c> mints a JWT for a gRPC client.
/// </summary>
public static class AdminCli
{
    private const int MinPasswordLength = 8;

    public static bool Handles(string[] args) => args.Length > 0 && args[0] is "token" or "user";

    public static async Task<int> RunAsync(string[] args)
    {
        var dataDir = new Option<string>("--data-dir") { Description = "Data folder (default: Storage:DataDirectory, i.e. ./data).", Recursive = true };

        var tokenUser = new Option<string>("--user") { Description = "Handle of the user, e.g. wanhongcoco.", Required = true };
        var tokenHours = new Option<double>("--hours") { Description = "Lifetime in hours (default 12).", DefaultValueFactory = _ => 12 };
        var token = new Command("token", "Print a bearer token (JWT) for an existing user.") { tokenUser, tokenHours };
        token.SetAction(async (parse, ct) =>
        {
            await using var services = await OpenAsync(parse.GetValue(dataDir), ct);
            var user = await services.GetRequiredService<UserStore>().FindByHandleAsync(parse.GetValue(tokenUser)!, ct);
            if (user is null)
            {
                await Console.Error.WriteLineAsync($"No user '{parse.GetValue(tokenUser)}'. Create one with: user add --handle …");
                return 1;
            }
            if (!user.Active)
            {
                await Console.Error.WriteLineAsync($"User '{user.Handle}' is deactivated; reactivate it first with: user activate --handle {user.Handle}");
                return 1;
            }
            Console.WriteLine(services.GetRequiredService<TokenIssuer>().Issue(user, TimeSpan.FromHours(parse.GetValue(tokenHours))));
            return 0;
        });

        var handle = new Option<string>("--handle") { Description = "Sign-in name (letters, digits, '-', '_', '.').", Required = true };
        var name = new Option<string>("--name") { Description = "Display name, e.g. 万红coco.", Required = true };
        var roles = new Option<string>("--roles") { Description = "Comma-separated: viewer,instructor,reviewer,admin.", DefaultValueFactory = _ => Roles.Viewer };
        var timeZone = new Option<string>("--time-zone") { Description = "IANA zone.", DefaultValueFactory = _ => TimeZones.PlatformDefault };
        var add = new Command("add", "Create a user (or show the existing one with that handle).") { handle, name, roles, timeZone };
        add.SetAction(async (parse, ct) =>
        {
            var roleList = parse.GetValue(roles)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (roleList.FirstOrDefault(r => !Roles.IsKnown(r)) is { } unknown)
            {
                await Console.Error.WriteLineAsync($"Unknown role '{unknown}'. Roles: {string.Join(", ", Roles.All)}.");
                return 1;
            }
            if (!TimeZones.TryFind(parse.GetValue(timeZone), out _))
            {
                await Console.Error.WriteLineAsync($"Unknown IANA time zone '{parse.GetValue(timeZone)}'.");
                return 1;
            }
            var handleValue = parse.GetValue(handle)!;
            if (handleValue.Length is 0 or > 64 || !handleValue.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                await Console.Error.WriteLineAsync("A handle is 1–64 letters, digits, '-', '_' or '.'.");
                return 1;
            }
            if (LearnHub.Core.Identity.UserRules.DisplayName.Check(parse.GetValue(name), "--name") is { } nameError)
            {
                await Console.Error.WriteLineAsync(nameError.Message);
                return 1;
            }
            await using var services = await OpenAsync(parse.GetValue(dataDir), ct);
            var user = await services.GetRequiredService<UserStore>().CreateAsync(handleValue, parse.GetValue(name)!, roleList, parse.GetValue(timeZone)!, ct);
            Console.WriteLine($"{user.Id}\t{user.Handle}\t{user.DisplayName}\t{user.Roles}");
            return 0;
        });
        var passwordHandle = new Option<string>("--handle") { Description = "Sign-in name of the user.", Required = true };
        var setPassword = new Command("set-password", "Set a user's admin-console password, read from standard input (at least 8 characters).") { passwordHandle };
        setPassword.SetAction(async (parse, ct) =>
        {
            var password = (await Console.In.ReadLineAsync(ct))?.TrimEnd('\r', '\n') ?? "";
            if (password.Length < MinPasswordLength)
            {
                await Console.Error.WriteLineAsync($"A password has at least {MinPasswordLength} characters (read from standard input).");
                return 1;
            }
            await using var services = await OpenAsync(parse.GetValue(dataDir), ct);
            var found = await services.GetRequiredService<UserStore>().FindByHandleAsync(parse.GetValue(passwordHandle)!, ct);
            if (found is null)
            {
                await Console.Error.WriteLineAsync($"No user '{parse.GetValue(passwordHandle)}'.");
                return 1;
            }
            await services.GetRequiredService<AdminAccounts>().SetPasswordAsync(found, password, ct);
            Console.WriteLine($"Password set for {found.Handle}.");
            return 0;
        });
        var deactivate = ActivityCommand("deactivate", "Deactivate a user: they cannot sign in, and every token and console sign-in they hold stops working (on every node within seconds).", active: false, dataDir);
        var activate = ActivityCommand("activate", "Reactivate a deactivated user (tokens and sign-ins retired by the deactivation stay retired).", active: true, dataDir);
        var user = new Command("user", "Manage users.") { add, setPassword, deactivate, activate };

        var root = new RootCommand("LearnHub operator commands.") { token, user };
        root.Options.Add(dataDir);
        return await root.Parse(args).InvokeAsync();
    }

    private static Command ActivityCommand(string name, string description, bool active, Option<string> dataDir)
    {
        var handle = new Option<string>("--handle") { Description = "Sign-in name of the user.", Required = true };
        var command = new Command(name, description) { handle };
        command.SetAction(async (parse, ct) =>
        {
            await using var services = await OpenAsync(parse.GetValue(dataDir), ct);
            var users = services.GetRequiredService<UserStore>();
            var found = await users.FindByHandleAsync(parse.GetValue(handle)!, ct);
            if (found is null)
            {
                await Console.Error.WriteLineAsync($"No user '{parse.GetValue(handle)}'.");
                return 1;
            }
            // The running server reads the store's access-change log, so this takes effect there without a restart.
            await users.SetActiveAsync(found.Id, active, ct);
            Console.WriteLine($"{found.Handle} {(active ? "activated" : "deactivated")}.");
            return 0;
        });
        return command;
    }

    /// <summary>The few services the commands need, over a migrated store.</summary>
    private static async Task<ServiceProvider> OpenAsync(string? dataDir, CancellationToken ct)
    {
        var configuration = new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables("LEARNHUB_")
            .Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(TimeProvider.System);
        services.AddOptions<StorageOptions>().Bind(configuration.GetSection(StorageOptions.Section)).Configure(o =>
        {
            if (!string.IsNullOrEmpty(dataDir))
            {
                o.DataDirectory = dataDir;
            }
        });
        services.AddOptions<IdentityOptions>().Bind(configuration.GetSection(IdentityOptions.Section));
        services.AddSingleton<Database>().AddSingleton<Migrator>().AddSingleton<UserStore>().AddSingleton<SigningKeyStore>().AddSingleton<TokenIssuer>().AddSingleton<UserAccessCache>().AddSingleton<AdminAccounts>();
        var provider = services.BuildServiceProvider();
        Dapper.DefaultTypeMap.MatchNamesWithUnderscores = true;
        await provider.GetRequiredService<Migrator>().MigrateAsync(ct);
        return provider;
    }
}
