using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LearnHub.Server.Tests.Infrastructure;

/// <summary>
/// A real HTTP port on loopback for something a test talks to outside the in-process host (nginx's callback relay, an
/// OTLP collector): one handler, no logging.
/// </summary>
public static class LoopbackWebApp
{
    /// <summary>Starts the app; the caller disposes it. Url is its address (http://127.0.0.1:PORT).</summary>
    public static async Task<(WebApplication App, string Url)> StartAsync(RequestDelegate handler)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Run(handler);
        await app.StartAsync();
        return (app, app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }
}
