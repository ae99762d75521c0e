using System.Diagnostics;
using System.Text;

namespace LearnHub.Testing;

/// <summary>
/// A process started by a test, its stdout and stderr collected as they come (a full pipe never stalls it).
/// Disposing kills it and everything it started.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private static readonly TimeSpan ExitAfterKill = TimeSpan.FromSeconds(10);

    private readonly Process process;
    private readonly StringBuilder output = new();
    private readonly StringBuilder errors = new();
    private readonly StringBuilder standardOutput = new();

    private ChildProcess(Process process)
    {
        this.process = process;
    }

    public bool HasExited => process.HasExited;

    public int ExitCode => process.ExitCode;

    /// <summary>Everything written to stdout and stderr so far, interleaved in arrival order.</summary>
    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    /// <summary>What the child wrote to stdout alone, so far.</summary>
    public string StandardOutput
    {
        get
        {
            lock (output)
            {
                return standardOutput.ToString();
            }
        }
    }

    /// <summary>What the child wrote to stderr alone, so far.</summary>
    public string StandardError
    {
        get
        {
            lock (output)
            {
                return errors.ToString();
            }
        }
    }

    /// <param name="standardInput">Written to the child's stdin, which is then closed (a child that reads more sees end-of-file).</param>
    /// <param name="environment">Added to the child's environment.</param>
    public static ChildProcess Start(
        string fileName, IEnumerable<string> arguments, string workingDirectory,
        IReadOnlyDictionary<string, string>? environment = null, string? standardInput = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        // Development would turn on detailed errors and hot reload: run as an operator does.
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(process);
        process.OutputDataReceived += (_, e) => child.Append(e.Data);
        process.ErrorDataReceived += (_, e) => child.Append(e.Data, toErrors: true);
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            process.Dispose();
            throw new InvalidOperationException($"Could not start '{fileName}' (is it installed and on PATH?): {e.Message}", e);
        }
        if (standardInput is not null)
        {
            process.StandardInput.Write(standardInput);
        }
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Runs a command to its end; past the deadline it is killed and reported with what it printed.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(
        string fileName, IEnumerable<string> arguments, string workingDirectory, TimeSpan deadline,
        IReadOnlyDictionary<string, string>? environment = null, string? standardInput = null)
    {
        var argumentList = arguments.ToList();
        await using var child = Start(fileName, argumentList, workingDirectory, environment, standardInput);
        try
        {
            await child.process.WaitForExitAsync().WaitAsync(deadline);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"'{fileName} {string.Join(' ', argumentList)}' did not finish within {deadline}. Output:\n{child.Output}");
        }
        // The exit can be seen before the last redirected lines are: this overload waits for the streams to drain.
        child.process.WaitForExit();
        return (child.ExitCode, child.Output);
    }

    /// <summary>Waits for the child to exit by itself (and its output to drain); past the deadline, a TimeoutException.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan deadline)
    {
        try
        {
            await process.WaitForExitAsync().WaitAsync(deadline);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"'{process.StartInfo.FileName}' did not exit within {deadline}. Output:\n{Output}");
        }
        process.WaitForExit();
        return process.ExitCode;
    }

    /// <summary>Asks the child to stop as systemd or Ctrl+C would (SIGTERM), without waiting.</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync().WaitAsync(ExitAfterKill);
            }
        }
        catch (InvalidOperationException)
        {
            // Exited between the check and the kill.
        }
        finally
        {
            process.Dispose();
        }
    }

    private void Append(string? line, bool toErrors = false)
    {
        if (line is null)
        {
            return;
        }
        lock (output)
        {
            output.AppendLine(line);
            (toErrors ? errors : standardOutput).AppendLine(line);
        }
    }
}
