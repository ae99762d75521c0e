namespace LearnHub.Server.Identity;

public sealed class IdentityOptions
{
    public const string Section = "Identity";

    public string Issuer { get; set; } = "learnhub";

    public string Audience { get; set; } = "learnhub";

    /// <summary>How long a minted token stays valid.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(12);

    /// <summary>Signing key file; relative paths are inside the data folder. Created with a random key when missing.</summary>
    public string SigningKeyFile { get; set; } = "signing-key.bin";

    /// <summary>
    /// How often each node reads the store's log of access changes (roles, deactivation, password resets, deletions).
    /// Changes made through the API reach every node at once; this bounds how late one made by hand is seen.
    /// </summary>
    public TimeSpan AccessChangePollInterval { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>Claim names in LearnHub tokens (short JWT names, no inbound mapping).</summary>
public static class TokenClaims
{
    public const string Subject = "sub";
    public const string Name = "name";
    public const string Role = "role";

    /// <summary>The user's security stamp when the token was issued: a token from an earlier stamp is refused.</summary>
    public const string Stamp = "stamp";
}
