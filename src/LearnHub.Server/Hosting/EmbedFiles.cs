using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;

namespace LearnHub.Server.Hosting;

/// <summary>
/// Serves the embeddable 直播推荐 panel under <c>/embed/</c>: <c>learnhub-recommendations.js</c> (+ its source map) and
/// <c>example.html</c>. The files are built from src/LearnHub.Embed by LearnHub.Server.csproj into <c>embed/</c> beside
/// the binary; a build without them (no npm) serves nothing there and says so once at start.
/// </summary>
public static partial class EmbedFiles
{
    public const string RequestPath = "/embed";

    /// <summary>Call after the security headers, before authentication: the files are public and need no sign-in.</summary>
    public static IApplicationBuilder UseEmbedFiles(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var folder = Path.Combine(AppContext.BaseDirectory, "embed");
        if (!File.Exists(Path.Combine(folder, "learnhub-recommendations.js")))
        {
            LogMissing(app.Logger, folder);
            return app;
        }
        var types = new FileExtensionContentTypeProvider();
        types.Mappings[".js"] = "text/javascript; charset=utf-8";
        types.Mappings[".map"] = "application/json; charset=utf-8";
        types.Mappings[".html"] = "text/html; charset=utf-8";
        types.Mappings[".css"] = "text/css; charset=utf-8";
        return app.UseStaticFiles(new StaticFileOptions
        {
            RequestPath = RequestPath,
            FileProvider = new PhysicalFileProvider(folder),
            ContentTypeProvider = types,
            ServeUnknownFileTypes = false,
            OnPrepareResponse = file =>
            {
                var headers = file.Context.Response.Headers;
                // Other sites load the script with <script src>: allowed even under their COEP.
                headers["Cross-Origin-Resource-Policy"] = "cross-origin";
                // The name carries no content hash, so every load revalidates (ETag / Last-Modified answer 304): a new
                // release reaches every page at once instead of after a long cache lifetime.
                headers.CacheControl = "no-cache";
            },
        });
    }

    [LoggerMessage(EventId = 1901, Level = LogLevel.Warning, Message = "The embeddable panel's files are missing from {Folder}; /embed/ serves nothing (build LearnHub.Server with Node.js and npm installed)")]
    private static partial void LogMissing(ILogger logger, string folder);
}
