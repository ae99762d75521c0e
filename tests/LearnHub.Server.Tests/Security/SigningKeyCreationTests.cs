using System.Security.Cryptography;
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
            using var folder = new KeyFolder();
            using var together = new Barrier(Starts);
            var keys = Enumerable.Range(0, Starts)
                .Select(_ => Task.Factory.StartNew(
                    () =>
                    {
                        together.SignalAndWait(TestContext.Current.CancellationToken);
                        return folder.Start();
                    },
                    TestContext.Current.CancellationToken,
                    TaskCreationOptions.LongRunning,
                    TaskScheduler.Default))
                .ToArray();
            var made = await Task.WhenAll(keys);

            var inFile = File.ReadAllBytes(folder.KeyPath);
            Assert.All(made, key => Assert.Equal(inFile, key));
            Assert.Equal(["signing-key.bin", "signing-key.bin.lock"], Directory.GetFiles(folder.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        }
    }

    [Fact]
    public async Task A_start_that_finds_another_making_the_key_waits_for_it_and_uses_its_key()
    {
        using var folder = new KeyFolder();
        var theirs = RandomNumberGenerator.GetBytes(64);
        byte[] ours;
        // Another process is making the key: it holds the lock, and writes the key before letting go.
        using (var creating = folder.HoldLock())
        {
            using var running = new SemaphoreSlim(0);
            var starting = Task.Run(
                () =>
                {
                    running.Release();
                    return folder.Start();
                },
                TestContext.Current.CancellationToken);
            // Usually the start has found no key and waits for the lock by now; whenever it looks, it must end with theirs.
            await running.WaitAsync(TestContext.Current.CancellationToken);
            await File.WriteAllBytesAsync(folder.KeyPath, theirs, TestContext.Current.CancellationToken);
            creating.Dispose();
            ours = await starting.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        }

        Assert.Equal(theirs, ours);
    }

    [Fact]
    public void A_start_that_waits_too_long_for_another_making_the_key_stops_with_a_line_naming_the_lock()
    {
        using var folder = new KeyFolder();
        using var stuck = folder.HoldLock();

        var refusal = Assert.Throws<SigningKeyException>(() => folder.Start());

        Assert.Contains($"another process has held {folder.LockPath}", refusal.Message, StringComparison.Ordinal);
        Assert.Contains($"fuser {folder.LockPath}", refusal.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(folder.KeyPath), "a key was made without the lock");
    }

    /// <summary>An empty data folder of its own, deleted with everything in it when disposed.</summary>
    private sealed class KeyFolder : IDisposable
    {
        private readonly IOptions<StorageOptions> storage;
        private readonly IOptions<IdentityOptions> identity = Options.Create(new IdentityOptions());

        public KeyFolder()
        {
            Path = Directory.CreateTempSubdirectory("learnhub-signing-key-").FullName;
            storage = Options.Create(new StorageOptions { DataDirectory = Path });
        }

        public string Path { get; }

        public string KeyPath => System.IO.Path.Combine(Path, identity.Value.SigningKeyFile);

        public string LockPath => KeyPath + ".lock";

        /// <summary>What a server's start does: the key it will sign with.</summary>
        public byte[] Start() => new SigningKeyStore(storage, identity).Key.Key;

        /// <summary>The creation lock, as another process making the key holds it.</summary>
        public FileStream HoldLock() => new(LockPath, FileMode.OpenOrCreate, FileAccess.Read, FileShare.None);

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
