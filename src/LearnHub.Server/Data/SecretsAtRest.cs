using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Microsoft.AspNetCore.DataProtection;

namespace LearnHub.Server.Data;

/// <summary>
/// A secret at rest: the store keeps its SHA-256, which a presented secret is found by, and the secret protected with
/// ASP.NET Core Data Protection, read back only to show it to its owner; never the secret itself, so a copy of the
/// database (a backup, a report query) opens nothing. Reading one back needs the Data Protection key ring too (the data
/// folder's <c>keys/</c>, or Redis when scaled out; docs/operations.md, "Secrets in the data folder").
/// </summary>
/// <param name="purpose">Part of every protected payload (versioned: a new scheme would take a new one); one per kind of secret, so one kind never reads as another.</param>
public abstract class SecretVault(IDataProtectionProvider protection, string purpose)
{
    private readonly IDataProtector protector = protection.CreateProtector(purpose);

    /// <summary>
    /// What the store finds a secret by. A plain hash is enough: each secret is 16 or more random bytes, so there is
    /// nothing to guess from it, and the same secret hashes alike on every node.
    /// </summary>
    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    public string Protect(string secret) => protector.Protect(secret);

    /// <summary>The secret, unless the key ring that protected it is gone (a lost or replaced <c>keys/</c> folder) or the stored form is damaged.</summary>
    public bool TryReveal(string protectedSecret, [NotNullWhen(true)] out string? secret)
    {
        try
        {
            secret = protector.Unprotect(protectedSecret);
            return true;
        }
        catch (Exception e) when (e is CryptographicException or FormatException)
        {
            secret = null;
            return false;
        }
    }
}

/// <summary>
/// Where a table keeps one kind of secret (names from the code, never from input): <paramref name="Clear"/>, the column
/// an earlier version kept it in, emptied once the secret is protected; <paramref name="Hash"/> and
/// <paramref name="Protected"/>, what <see cref="SecretVault"/> makes of it. Rows are found by their <c>id</c>.
/// </summary>
/// <param name="Kind">What the secrets are, in the log ("stream keys").</param>
public sealed record SecretColumns(string Kind, string Table, string Clear, string Hash, string Protected)
{
    /// <summary>
    /// The condition a row holding the presented secret meets (parameters <c>@secret</c> and <c>@hash</c>): its hash,
    /// unless a node of the earlier version wrote a secret in clear since the last start (a rolling upgrade), which
    /// then is the row's current one. So a secret rotated by such a node is refused at once, and its new one works.
    /// </summary>
    public string Matches => $"(({Clear} IS NULL AND {Hash} = @hash) OR {Clear} = @secret)";
}

/// <summary>Secrets an earlier version kept in clear, converted at each start (Hosting/StartupTasks.cs).</summary>
public static class LegacySecrets
{
    /// <summary>
    /// Hashes the secrets still kept in clear: those made before their columns were added, and those a node of the
    /// earlier version wrote since (a rolling upgrade; a rotation there leaves the row's hash stale, so every clear
    /// secret is hashed again). Needs no key ring, so the secrets work from the start even when
    /// <see cref="ProtectAsync"/> cannot run yet.
    /// </summary>
    public static async Task HashAsync(DbConnection connection, DbTransaction tx, SecretColumns columns, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(columns);
        var legacy = await connection.QueryAsync<(string Id, string Secret)>(new CommandDefinition(
            $"SELECT id, {columns.Clear} FROM {columns.Table} WHERE {columns.Clear} IS NOT NULL", transaction: tx, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition(
            $"UPDATE {columns.Table} SET {columns.Hash} = @Hash WHERE id = @Id",
            legacy.Select(s => new { s.Id, Hash = SecretVault.Hash(s.Secret) }), tx, cancellationToken: ct));
    }

    /// <summary>
    /// Protects the secrets still kept in clear (hashed by <see cref="HashAsync"/>) and empties their clear column, in
    /// one transaction. Run at each start, where the key ring is at hand; a no-op once none is left.
    /// </summary>
    /// <returns>How many secrets were protected.</returns>
    public static async Task<int> ProtectAsync(DbConnection connection, SecretVault vault, SecretColumns columns, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(vault);
        ArgumentNullException.ThrowIfNull(columns);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var legacy = (await connection.QueryAsync<(string Id, string Secret)>(new CommandDefinition(
            $"SELECT id, {columns.Clear} FROM {columns.Table} WHERE {columns.Clear} IS NOT NULL", transaction: tx, cancellationToken: ct))).AsList();
        // Only while the row still holds that secret: a rotation on another node in the meantime wins.
        await connection.ExecuteAsync(new CommandDefinition(
            $"UPDATE {columns.Table} SET {columns.Protected} = @Protected, {columns.Clear} = NULL WHERE id = @Id AND {columns.Clear} = @Secret",
            legacy.Select(s => new { s.Id, s.Secret, Protected = vault.Protect(s.Secret) }), tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return legacy.Count;
    }
}
