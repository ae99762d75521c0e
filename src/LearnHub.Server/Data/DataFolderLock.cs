using LearnHub.Server.Hosting;
using Microsoft.Extensions.Options;

namespace LearnHub.Server.Data;

/// <summary>
/// One server process per SQLite store: an exclusive lock on <c>&lt;database file&gt;.lock</c> (by default
/// <c>data/learnhub.db.lock</c>), held from start to stop. A second server on the same folder is refused at start;
/// without it both would run a scheduler on the same triggers and count viewers apart. On Linux the lock is flock(2),
/// which the kernel drops when the process ends however it ends (kill -9 included), so a crash leaves no stale lock; the
/// file itself stays, empty (deleting it would let two processes hold locks on two different files). The operator commands
/// (<c>user</c>, <c>token</c>) do not take it: they work beside a running server.
/// </summary>
/// <remarks>
/// Taken by <see cref="StartupGuard"/>, released when the host's services are disposed (its stop), so an in-process host
/// stopped and started again on the same folder (the tests' restarts) gets it back.
/// </remarks>
public sealed class DataFolderLock(IOptions<StorageOptions> storage) : IDisposable
{
    /// <summary>
    /// What .NET reports when another open holds the lock: ERROR_SHARING_VIOLATION on Windows, the errno of flock's
    /// EWOULDBLOCK on Linux (11) and macOS (35).
    /// </summary>
    private static readonly int[] HeldElsewhere = [unchecked((int)0x80070020), 11, 35];

    private readonly Lock gate = new();
    private FileStream? held;

    public string LockPath => storage.Value.DatabasePath + ".lock";

    public bool IsHeld
    {
        get
        {
            lock (gate)
            {
                return held is not null;
            }
        }
    }

    /// <summary>Takes the lock, or refuses the start. Nothing happens when this instance holds it already.</summary>
    public void Acquire()
    {
        lock (gate)
        {
            if (held is not null)
            {
                return;
            }
            var path = LockPath;
            FileStream stream;
            try
            {
                // FileShare.None is an exclusive, non-blocking flock(2) on Unix (a sharing mode on Windows). Opened for
                // reading only: the lock needs no write access, and an open writer would keep the file system from being
                // remounted read-only.
                stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Read, FileShare.None);
            }
            catch (IOException e) when (IsHeldElsewhere(e))
            {
                throw new StartupRefusedException(
                    $"the data folder {Path.GetDirectoryName(path)} is in use by another LearnHub server (it holds {path}; find it with: fuser {path}).", e);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new StartupRefusedException($"the lock file {path} cannot be created or opened: {e.Message}", e);
            }
            held = stream;
        }
    }

    /// <summary>Whether opening a file with <see cref="FileShare.None"/> failed because another open holds its lock.</summary>
    public static bool IsHeldElsewhere(IOException e) => e.GetType() == typeof(IOException) && HeldElsewhere.Contains(e.HResult);

    public void Dispose()
    {
        lock (gate)
        {
            held?.Dispose();
            held = null;
        }
    }
}
