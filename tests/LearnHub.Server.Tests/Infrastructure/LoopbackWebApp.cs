using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace LearnHub.Server.Tests.Infrastructure;

/// <summary>
/// A real HTTP port on loopback for something a test talks to outside the in-process host (nginx's callback relay, an
/// OTLP collector): one handler, no logging, on a port of its own.
/// </summary>
/// <remarks>
/// An empty builder: a slim or default one reads the appsettings.json beside the tests (the server's, with its
/// Kestrel:Endpoints on ports 5080 and 5081), and Kestrel binds those as well as the port asked for here, so two such
/// apps at once, or a server running on this machine, made the second one fail with "address already in use".
/// </remarks>
public static class LoopbackWebApp
{
    /// <summary>Starts the app; the caller disposes it. Url is its address (http://127.0.0.1:PORT).</summary>
    public static async Task<(WebApplication App, string Url)> StartAsync(RequestDelegate handler)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.Run(handler);
        await app.StartAsync();
        return (app, app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }
}
