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
    [Fact]
    public async Task A_start_that_finds_another_making_the_key_waits_for_it_and_uses_its_key()
    {
        var folder = Directory.CreateTempSubdirectory("learnhub-signing-key-").FullName;
        try
        {
            var storage = Options.Create(new StorageOptions { DataDirectory = folder });
            var identity = Options.Create(new IdentityOptions());
            var keyPath = Path.Combine(folder, identity.Value.SigningKeyFile);
            var theirs = System.Security.Cryptography.RandomNumberGenerator.GetBytes(64);
            byte[] ours;
            // Another process is making the key: it holds the lock, and writes the key before letting go.
            using (var creating = new FileStream(keyPath + ".lock", FileMode.OpenOrCreate, FileAccess.Read, FileShare.None))
            {
                using var running = new SemaphoreSlim(0);
                var starting = Task.Run(
                    () =>
                    {
                        running.Release();
                        return new SigningKeyStore(storage, identity).Key.Key;
                    },
                    TestContext.Current.CancellationToken);
                // Usually the start has found no key and waits for the lock by now; whenever it looks, it must end with theirs.
                await running.WaitAsync(TestContext.Current.CancellationToken);
                await File.WriteAllBytesAsync(keyPath, theirs, TestContext.Current.CancellationToken);
                creating.Dispose();
                ours = await starting.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
            }

            Assert.Equal(theirs, ours);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void A_start_that_waits_too_long_for_another_making_the_key_stops_with_a_line_naming_the_lock()
    {
        var folder = Directory.CreateTempSubdirectory("learnhub-signing-key-").FullName;
        try
        {
            var storage = Options.Create(new StorageOptions { DataDirectory = folder });
            var identity = Options.Create(new IdentityOptions());
            var lockPath = Path.Combine(folder, identity.Value.SigningKeyFile + ".lock");
            using var stuck = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.Read, FileShare.None);

            var refusal = Assert.Throws<SigningKeyException>(() => new SigningKeyStore(storage, identity));

            Assert.Contains($"another process has held {lockPath}", refusal.Message, StringComparison.Ordinal);
            Assert.Contains($"fuser {lockPath}", refusal.Message, StringComparison.Ordinal);
            Assert.False(File.Exists(Path.Combine(folder, identity.Value.SigningKeyFile)), "a key was made without the lock");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
