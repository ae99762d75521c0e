using LearnHub.Bench.Bare;
using Microsoft.AspNetCore.Server.Kestrel.Core;

// bench/unary.sh's baseline: `dotnet LearnHub.Bench.Bare.dll --urls http://127.0.0.1:PORT`. h2c only (a plaintext
// endpoint that also allows HTTP/1.1 would not speak HTTP/2 to gRPC clients), logging at Warning, and nothing between
// Kestrel and the gRPC endpoint. CreateBuilder, as grpc-dotnet's template: the framework's defaults are part of bare.
var builder = WebApplication.CreateBuilder(args);
builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureEndpointDefaults(endpoint => endpoint.Protocols = HttpProtocols.Http2));
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddGrpc();

var app = builder.Build();
app.MapGrpcService<BarePingService>();
await app.StartAsync();
// The benchmark script waits for this line before its first call.
Console.WriteLine($"serving Ping on {string.Join(", ", app.Urls)}");
await app.WaitForShutdownAsync();
