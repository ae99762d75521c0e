using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace LearnHub.Server.Tests.Infrastructure;

/// <summary>
/// The host's last log lines (warnings, and Quartz's and LearnHub's information), kept to explain a timeout: the test
/// runner shows nothing of the host's console.
/// </summary>
public sealed class RecentLogs : ILoggerProvider
{
    private const int Capacity = 300;

    private readonly ConcurrentQueue<string> lines = new();

    /// <summary>Lets Quartz's and LearnHub's information through to this provider only (the console stays at warnings).</summary>
    public static void AddTo(ILoggingBuilder logging, RecentLogs logs)
    {
        logging.AddProvider(logs);
        logging.AddFilter<RecentLogs>("Quartz", LogLevel.Information);
        logging.AddFilter<RecentLogs>("LearnHub", LogLevel.Information);
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public string Describe() => string.Join('\n', lines);

    public void Dispose()
    {
    }

    private void Add(string line)
    {
        lines.Enqueue(line);
        while (lines.Count > Capacity && lines.TryDequeue(out _))
        {
        }
    }

    private sealed class Logger(RecentLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var error = exception is null ? "" : $" [{exception.GetType().Name}: {exception.Message}]";
            owner.Add($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {category}: {formatter(state, exception)}{error}");
        }
    }
}
