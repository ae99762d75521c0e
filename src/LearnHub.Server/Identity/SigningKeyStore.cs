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

    private static byte[] LoadOrCreate(string path)
    {
        if (File.Exists(path))
        {
            var existing = File.ReadAllBytes(path);
            if (existing.Length >= MinimumKeyBytes)
            {
                return existing;
            }
            throw new SigningKeyException(
                $"the signing key {Path.GetFullPath(path)} is {existing.Length} bytes; it must be at least {MinimumKeyBytes} " +
                "(put 32 or more random bytes in it, or delete it to have a new key made, which retires every token issued).");
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
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
            // Another process created it first: use theirs.
            File.Delete(temporary);
            return File.ReadAllBytes(path);
        }
    }
}

/// <summary>The signing key file exists but cannot be used.</summary>
public sealed class SigningKeyException(string message) : InvalidOperationException(message);
