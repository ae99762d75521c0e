using System.Security.Cryptography;
using LearnHub.Server.Data;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace LearnHub.Server.Identity;

/// <summary>The embedded default's HMAC key: kept in the data folder so tokens survive restarts, readable by the owner only.</summary>
public sealed class SigningKeyStore
{
    private const int KeyBytes = 64;

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
            if (existing.Length >= 32)
            {
                return existing;
            }
            throw new InvalidOperationException($"The signing key at {path} is shorter than 32 bytes.");
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var key = RandomNumberGenerator.GetBytes(KeyBytes);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        try
        {
            using var stream = new FileStream(path, options);
            stream.Write(key);
            return key;
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process created it first: use theirs.
            return File.ReadAllBytes(path);
        }
    }
}
