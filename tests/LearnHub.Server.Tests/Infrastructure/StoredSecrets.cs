using System.Security.Cryptography;
using System.Text;

namespace LearnHub.Server.Tests.Infrastructure;

/// <summary>Checks that a secret is kept at rest as the product says (Data/SecretsAtRest.cs): hashed, never in clear.</summary>
public static class StoredSecrets
{
    /// <summary>The SHA-256 (lowercase hex) the store finds a secret by.</summary>
    public static string Sha256(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    /// <summary>
    /// On SQLite, neither the database file nor its write-ahead log holds <paramref name="secret"/> (a deleted or
    /// overwritten page would still hold it); PostgreSQL's files are not the test's to read.
    /// </summary>
    public static async Task AssertNotInDatabaseFilesAsync(LearnHubApp app, string secret)
    {
        if (TestStore.IsPostgres)
        {
            return;
        }
        foreach (var file in new[] { "learnhub.db", "learnhub.db-wal" }.Select(name => Path.Combine(app.DataDirectory, name)).Where(File.Exists))
        {
            await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy);
            Assert.False(copy.ToArray().AsSpan().IndexOf(Encoding.ASCII.GetBytes(secret)) >= 0, $"{Path.GetFileName(file)} holds the secret");
        }
    }
}
