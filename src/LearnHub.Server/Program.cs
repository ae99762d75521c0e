using LearnHub.Server.Hosting;
using LearnHub.Server.Identity;

if (AdminCli.Handles(args))
{
    return await AdminCli.RunAsync(args);
}

try
{
    var builder = WebApplication.CreateBuilder(args);
    builder.UseBinaryFolderSettings();
    builder.AddLearnHub();
    var app = builder.Build();
    app.MapLearnHub();
    await app.RunLearnHubAsync();
    return 0;
}
catch (StartupRefusedException refusal)
{
    // One line on stderr and a non-zero exit, before anything listens (docs/operations.md, "Start-up refusals").
    return refusal.Report();
}

public partial class Program;
