using LearnHub.Api.Live;
using LearnHub.Api.V1;
using LearnHub.Server.Tests.Infrastructure;
using LearnHub.Server.Tests.Presence;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace LearnHub.Server.Tests.Localization;

/// <summary>The live dashboard hub refuses in the caller's language too: saved, else the connection's accept-language.</summary>
public sealed class HubRefusalLanguageTests
{
    [Fact]
    public async Task A_hub_refusal_follows_the_saved_language_then_accept_language()
    {
        await using var app = await Scenario.StartAsync();
        var owner = await app.CreateUserAsync("wanhongcoco", "instructor");
        var other = await app.CreateUserAsync("zhanglaoshi", "instructor");
        var session = await owner.LiveSessionAsync();

        Assert.Contains("无权查看其他讲师的直播。", await RefusalAsync(app, other.Token, null, session.Id), StringComparison.Ordinal);
        var english = await RefusalAsync(app, other.Token, "en-US,en;q=0.9", session.Id);
        Assert.EndsWith("You can view only your own sessions.", english, StringComparison.Ordinal);
        Assert.DoesNotContain("直播", english, StringComparison.Ordinal);

        await other.Identity.UpdateMyLanguageAsync(new UpdateMyLanguageRequest { Language = "en" });
        Assert.EndsWith("You can view only your own sessions.", await RefusalAsync(app, other.Token, "zh-CN", session.Id), StringComparison.Ordinal);
    }

    private static async Task<string> RefusalAsync(LearnHubApp app, string token, string? acceptLanguage, string sessionId)
    {
        await using var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(app.Server.BaseAddress, LiveHub.Path), o =>
            {
                o.Transports = HttpTransportType.WebSockets;
                o.SkipNegotiation = true;
                o.WebSocketFactory = async (context, ct) =>
                {
                    var client = app.Server.CreateWebSocketClient();
                    client.ConfigureRequest = request =>
                    {
                        request.Headers.Authorization = $"Bearer {token}";
                        if (acceptLanguage is not null)
                        {
                            request.Headers.AcceptLanguage = acceptLanguage;
                        }
                    };
                    return await client.ConnectAsync(context.Uri, ct);
                };
            })
            .Build();
        await connection.StartAsync().DefaultTimeout();
        var refusal = await Assert.ThrowsAsync<HubException>(() => connection.InvokeAsync<LiveSessionView>(LiveHub.Methods.WatchSession, sessionId).DefaultTimeout());
        return refusal.Message;
    }
}
