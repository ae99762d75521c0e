using LearnHub.Server.Data;
using Microsoft.AspNetCore.DataProtection;

namespace LearnHub.Server.Ingest;

/// <summary>
/// Stream keys at rest (<see cref="SecretVault"/>): the store keeps a key's hash, which nginx's publish callback is
/// matched on, and the key protected, read back only to show it to its instructor; a copy of the database puts no one
/// on air.
/// </summary>
public sealed class StreamKeyVault(IDataProtectionProvider protection) : SecretVault(protection, "LearnHub.Ingest.StreamKey.v1");
