namespace LearnHub.Server.Hosting;

/// <summary>
/// Serves the embeddable 直播推荐 panel under <c>/embed/</c>: <c>learnhub-recommendations.js</c> (+ its source map) and
/// <c>example.html</c>. The files are built from src/LearnHub.Embed by LearnHub.Server.csproj into <c>embed/</c> beside
/// the binary; a build without them (no npm) serves nothing there and says so once at start.
/// </summary>
public static partial class EmbedFiles
{
    public const string RequestPath = "/embed";

    private static readonly Dictionary<string, string> Types = new(StringComparer.Ordinal)
    {
        ["learnhub-recommendations.js"] = "text/javascript; charset=utf-8",
        ["learnhub-recommendations.js.map"] = "application/json; charset=utf-8",
        ["example.html"] = "text/html; charset=utf-8",
        ["example.css"] = "text/css; charset=utf-8",
    };

    /// <summary>
    /// Endpoints rather than the static-file middleware: the console's catch-all page route would otherwise match
    /// first. Anonymous, on every port (browsers reach the web port only).
    /// </summary>
    public static WebApplication MapEmbedFiles(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var folder = Path.Combine(AppContext.BaseDirectory, "embed");
        if (!File.Exists(Path.Combine(folder, "learnhub-recommendations.js")))
        {
            LogMissing(app.Logger, folder);
            return app;
        }
        app.MapMethods(RequestPath + "/{file}", [HttpMethods.Get, HttpMethods.Head], (HttpContext context, string file) =>
        {
            var path = Path.Combine(folder, file);
            if (!Types.TryGetValue(file, out var type) || !File.Exists(path))
            {
                return Results.NotFound();
            }
            var info = new FileInfo(path);
            var headers = context.Response.Headers;
            // Other sites load the script with <script src>: allowed even under their Cross-Origin-Embedder-Policy.
            headers["Cross-Origin-Resource-Policy"] = "cross-origin";
            // The name carries no content hash, so every load revalidates (the ETag answers 304): a new release
            // reaches every page at once instead of after a long cache lifetime.
            headers.CacheControl = "no-cache";
            var etag = new Microsoft.Net.Http.Headers.EntityTagHeaderValue($"\"{info.Length:x}-{info.LastWriteTimeUtc.Ticks:x}\"");
            return Results.File(path, type, lastModified: info.LastWriteTimeUtc, entityTag: etag);
        }).AllowAnonymous().WithDisplayName("Embeddable panel files");
        return app;
    }

    [LoggerMessage(EventId = 1901, Level = LogLevel.Warning, Message = "The embeddable panel's files are missing from {Folder}; /embed/ serves nothing (build LearnHub.Server with Node.js and npm installed)")]
    private static partial void LogMissing(ILogger logger, string folder);
}
