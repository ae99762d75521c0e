using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.DataProtection;

namespace LearnHub.Server.Ingest;

/// <summary>
/// Stream keys at rest. The store keeps a key's SHA-256, which nginx's publish callback is matched on, and the key
/// protected with ASP.NET Core Data Protection, read back only to show it to its instructor: never the key itself, so a
/// copy of the database (a backup, a report query) puts no one on air. Reading a key back needs the Data Protection key
/// ring too (the data folder's <c>keys/</c>, or Redis when scaled out; docs/operations.md, "Secrets in the data folder").
/// </summary>
public sealed class StreamKeyVault(IDataProtectionProvider protection)
{
    // Versioned: a purpose is part of every protected payload, and a new scheme would take a new one.
    private readonly IDataProtector protector = protection.CreateProtector("LearnHub.Ingest.StreamKey.v1");

    /// <summary>
    /// What the store finds a key by. A plain hash is enough: a key is 32 random bytes, so there is nothing to guess from
    /// it, and the same key always hashes alike on every node.
    /// </summary>
    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    public string Protect(string key) => protector.Protect(key);

    /// <summary>The key, unless the key ring that protected it is gone (a lost or replaced <c>keys/</c> folder) or the stored form is damaged.</summary>
    public bool TryReveal(string protectedKey, [NotNullWhen(true)] out string? key)
    {
        try
        {
            key = protector.Unprotect(protectedKey);
            return true;
        }
        catch (Exception e) when (e is CryptographicException or FormatException)
        {
            key = null;
            return false;
        }
    }
}
