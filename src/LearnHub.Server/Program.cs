using LearnHub.Server.Hosting;
using LearnHub.Server.Identity;

if (AdminCli.Handles(args))
{
    return await AdminCli.RunAsync(args);
}

var builder = WebApplication.CreateBuilder(args);
builder.UseBinaryFolderSettings();
builder.AddLearnHub();
var app = builder.Build();
app.MapLearnHub();
await app.RunAsync();
return 0;

public partial class Program;
