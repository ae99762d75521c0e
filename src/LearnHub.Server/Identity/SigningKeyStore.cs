using System.Security.Cryptography;
using LearnHub.Server.Data;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace LearnHub.Server.Identity;

/// <summary>The embedded default's HMAC key: kept in the data folder so tokens survive restarts, readable by the owner only.</summary>
public sealed class SigningKeyStore
{
    private const int KeyBytes = 64;

    /// <summary>HS256 needs a key of at least 256 bits; a shorter file is refused at start (StartupGuard loads it then).</summary>
    public const int MinimumKeyBytes = 32;

    public SigningKeyStore(IOptions<StorageOptions> storage, IOptions<IdentityOptions> identity)
    {
        var path = Path.Combine(storage.Value.DataDirectory, identity.Value.SigningKeyFile);
        Key = new SymmetricSecurityKey(LoadOrCreate(path)) { KeyId = "learnhub-1" };
    }

    public SymmetricSecurityKey Key { get; }

    /// <summary>How long a start waits for another process that is creating the key at the same moment.</summary>
    private static readonly TimeSpan CreationWait = TimeSpan.FromSeconds(10);

    private static byte[] LoadOrCreate(string path)
    {
        if (Load(path) is { } existing)
        {
            return existing;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        // Nodes sharing a folder and started at once must all end with the one key in the file. File.Move without
        // overwrite is a check, then a rename on Unix, so two creators could each keep their own key while the file
        // holds the later one; creating under an exclusive lock on a file beside the key serializes them.
        using (HoldCreationLock(path))
        {
            return Load(path) ?? Create(path);
        }
    }

    private static byte[]? Load(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }
        var existing = File.ReadAllBytes(path);
        if (existing.Length >= MinimumKeyBytes)
        {
            return existing;
        }
        throw new SigningKeyException(
            $"the signing key {Path.GetFullPath(path)} is {existing.Length} bytes; it must be at least {MinimumKeyBytes} " +
            "(put 32 or more random bytes in it, or delete it to have a new key made, which retires every token issued).");
    }

    private static byte[] Create(string path)
    {
        var key = RandomNumberGenerator.GetBytes(KeyBytes);
        // Written whole under a temporary name, then moved into place: a reader (or a crash) never sees half a key.
        var temporary = $"{path}.{Environment.ProcessId}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using (var stream = new FileStream(temporary, options))
        {
            stream.Write(key);
            stream.Flush(flushToDisk: true);
        }
        try
        {
            File.Move(temporary, path, overwrite: false);
            return key;
        }
        catch (IOException) when (File.Exists(path))
        {
            // Made meanwhile by a process that does not take the lock (an earlier version): use theirs.
            File.Delete(temporary);
            return File.ReadAllBytes(path);
        }
    }

    /// <summary>
    /// An exclusive lock on <c>&lt;key file&gt;.lock</c> (flock(2) on Linux, dropped by the kernel however the holder
    /// ends), waited for while another process holds it. The empty file stays.
    /// </summary>
    private static FileStream HoldCreationLock(string path)
    {
        var lockPath = path + ".lock";
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.Read, FileShare.None);
            }
            catch (IOException e) when (DataFolderLock.IsHeldElsewhere(e) && waited.Elapsed < CreationWait)
            {
                // Creating a key takes microseconds; this wait ends as soon as the other creator is done.
                Thread.Sleep(TimeSpan.FromMilliseconds(10));
            }
            catch (IOException e) when (DataFolderLock.IsHeldElsewhere(e))
            {
                throw new SigningKeyException(
                    $"another process has held {Path.GetFullPath(lockPath)} for {CreationWait.TotalSeconds:0} s while creating the signing key; find it with: fuser {lockPath}.");
            }
        }
    }
}

/// <summary>The signing key file exists but cannot be used.</summary>
public sealed class SigningKeyException(string message) : InvalidOperationException(message);
