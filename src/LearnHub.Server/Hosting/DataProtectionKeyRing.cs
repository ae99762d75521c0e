using LearnHub.Server.Data;
using LearnHub.Server.ScaleOut;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.Options;

namespace LearnHub.Server.Hosting;

/// <summary>
/// ASP.NET Core Data Protection's keys protect the console's sign-in cookie and antiforgery tokens, and the stream keys
/// and calendar feed keys at rest (<see cref="Data.SecretVault"/>). They live in the data folder's <c>keys/</c>, beside the signing key, so
/// the data folder is all a node needs to start again as it was (not the home folder ASP.NET Core picks by default,
/// which a service account may not have); with Redis scale-out, in Redis (<see cref="ScaleOutRegistration"/>), so every
/// node reads the keys the others made.
/// </summary>
public static class DataProtectionKeyRing
{
    public const string FolderName = "keys";

    public static WebApplicationBuilder AddDataProtectionKeyRing(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddDataProtection().SetApplicationName("LearnHub");
        if (!RedisSettings.IsConfigured(builder.Configuration))
        {
            builder.Services.AddOptions<KeyManagementOptions>().Configure<IOptions<StorageOptions>, ILoggerFactory>((o, storage, logs) =>
                o.XmlRepository = new FileSystemXmlRepository(Folder(storage.Value), logs));
        }
        return builder;
    }

    /// <summary>
    /// The key ring's folder, made readable by the server's user only (the keys are written unencrypted, as on any Linux
    /// host). Not made when the data folder takes no writes: the start is then refused with one line (StartupGuard),
    /// which this must not pre-empt with a stack trace while the pipeline is built.
    /// </summary>
    private static DirectoryInfo Folder(StorageOptions storage)
    {
        var path = Path.Combine(Path.GetFullPath(storage.DataDirectory), FolderName);
        try
        {
            return OperatingSystem.IsWindows()
                ? Directory.CreateDirectory(path)
                : Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new DirectoryInfo(path);
        }
    }
}
