using LearnHub.Testing;

namespace LearnHub.Server.Tests.Faults;

/// <summary>
/// A small tmpfs mounted on a fresh folder (the tests run as root): a real file system that fills up, or is made
/// read-only. Dispose unmounts it and removes the folder whatever happened before; a test that cannot mount skips.
/// </summary>
public sealed class Tmpfs : IAsyncDisposable
{
    private static readonly TimeSpan CommandDeadline = TimeSpan.FromSeconds(30);

    private Tmpfs(string path)
    {
        Path = path;
    }

    public string Path { get; }

    private string FillerPath => System.IO.Path.Combine(Path, "filler.bin");

    public static async Task<Tmpfs> MountAsync(string size, bool readOnly = false)
    {
        if (!OperatingSystem.IsLinux() || !Environment.IsPrivilegedProcess)
        {
            Assert.Skip("Mounting a tmpfs needs Linux and root.");
        }
        var path = Directory.CreateTempSubdirectory("learnhub-tmpfs-").FullName;
        try
        {
            await RunAsync("mount", "-t", "tmpfs", "-o", $"size={size},mode=0700{(readOnly ? ",ro" : "")}", "tmpfs", path);
        }
        catch
        {
            Directory.Delete(path);
            throw;
        }
        return new Tmpfs(path);
    }

    /// <summary>
    /// Writes a file until the file system has no byte left (ENOSPC), then gives <paramref name="leaveFree"/> bytes back
    /// (so the next writes succeed until that is used up); returns the filler's size.
    /// </summary>
    public long Fill(long leaveFree = 0)
    {
        long written = 0;
        using var filler = new FileStream(FillerPath, FileMode.Append, FileAccess.Write, FileShare.None, bufferSize: 1);
        foreach (var chunk in new[] { 1 << 16, 1 << 12, 1 << 9, 1 })
        {
            var bytes = new byte[chunk];
            while (true)
            {
                try
                {
                    filler.Write(bytes);
                    written += chunk;
                }
                catch (IOException)
                {
                    break;
                }
            }
        }
        if (leaveFree > 0)
        {
            written = Math.Max(0, written - leaveFree);
            filler.SetLength(written);
        }
        return written;
    }

    /// <summary>Gives the space back.</summary>
    public void Free() => File.Delete(FillerPath);

    /// <summary>
    /// Remounts read-only or read-write. Linux refuses to make a file system read-only while a file on it is open for
    /// writing: <paramref name="beforeEachTry"/> closes what the test's server holds (SQLite's pooled connections).
    /// </summary>
    public async Task RemountAsync(bool readOnly, Action? beforeEachTry = null) =>
        await Infrastructure.Wait.UntilAsync(
            async () =>
            {
                beforeEachTry?.Invoke();
                return await ChildProcess.RunAsync("mount", ["-o", readOnly ? "remount,ro" : "remount,rw", Path], "/", CommandDeadline);
            },
            result => result.ExitCode == 0,
            CommandDeadline,
            $"mount -o remount,{(readOnly ? "ro" : "rw")} {Path}");

    public async ValueTask DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var (exitCode, _) = await ChildProcess.RunAsync("umount", [Path], "/", CommandDeadline);
        if (exitCode != 0)
        {
            // Something in this process still holds a file there: detach now, the kernel frees it when it closes.
            await RunAsync("umount", "-l", Path);
        }
        Directory.Delete(Path);
    }

    private static async Task RunAsync(string fileName, params string[] arguments)
    {
        var (exitCode, output) = await ChildProcess.RunAsync(fileName, arguments, "/", CommandDeadline);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"{fileName} {string.Join(' ', arguments)} exited {exitCode}: {output}");
        }
    }
}
