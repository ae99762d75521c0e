using System.Net.Http.Headers;
using LearnHub.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;

namespace LearnHub.Server.Tests.Ingest;

/// <summary>
/// A loopback HTTP port for nginx's callbacks, passing each one to the in-process host under test (which listens on no
/// port) and its answer (status, Location) back: the host keeps its fake clock and stays inspectable.
/// </summary>
public sealed class CallbackRelay : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly HttpClient target;

    private CallbackRelay(WebApplication app, HttpClient target, string baseUrl)
    {
        this.app = app;
        this.target = target;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }

    public static async Task<CallbackRelay> StartAsync(HttpClient target)
    {
        var (app, address) = await LoopbackWebApp.StartAsync(async http =>
        {
            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body);
            using var request = new HttpRequestMessage(HttpMethod.Post, http.Request.Path + http.Request.QueryString)
            {
                Content = new ByteArrayContent(body.ToArray()),
            };
            if (http.Request.ContentType is { } type)
            {
                request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(type);
            }
            using var response = await target.SendAsync(request);
            http.Response.StatusCode = (int)response.StatusCode;
            if (response.Headers.Location is { } location)
            {
                http.Response.Headers.Location = location.OriginalString;
            }
        });
        return new CallbackRelay(app, target, address);
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
        target.Dispose();
    }
}
