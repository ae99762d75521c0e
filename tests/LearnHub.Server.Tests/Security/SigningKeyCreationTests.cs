using LearnHub.Server.Data;
using LearnHub.Server.Identity;
using Microsoft.Extensions.Options;

namespace LearnHub.Server.Tests.Security;

/// <summary>
/// Nodes that share a data folder for the signing key (scale-out) and start at the same moment on an empty one must all
/// sign with the one key the file ends up holding: a node that kept a key of its own would refuse every other node's
/// tokens, and its own after a restart.
/// </summary>
public sealed class SigningKeyCreationTests
{
    [Fact]
    public async Task Starts_at_the_same_moment_on_an_empty_folder_all_use_the_one_key_in_the_file()
    {
        const int Starts = 8;
        for (var round = 0; round < 25; round++)
        {
            var folder = Directory.CreateTempSubdirectory("learnhub-signing-key-").FullName;
            try
            {
                var storage = Options.Create(new StorageOptions { DataDirectory = folder });
                var identity = Options.Create(new IdentityOptions());
                using var together = new Barrier(Starts);
                var keys = Enumerable.Range(0, Starts)
                    .Select(_ => Task.Factory.StartNew(
                        () =>
                        {
                            together.SignalAndWait(TestContext.Current.CancellationToken);
                            return new SigningKeyStore(storage, identity).Key.Key;
                        },
                        TestContext.Current.CancellationToken,
                        TaskCreationOptions.LongRunning,
                        TaskScheduler.Default))
                    .ToArray();
                var made = await Task.WhenAll(keys);

                var inFile = File.ReadAllBytes(Path.Combine(folder, identity.Value.SigningKeyFile));
                Assert.All(made, key => Assert.Equal(inFile, key));
                Assert.Equal(["signing-key.bin", "signing-key.bin.lock"], Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
            }
            finally
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }
}
