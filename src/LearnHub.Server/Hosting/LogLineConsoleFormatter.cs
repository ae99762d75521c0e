using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace LearnHub.Server.Hosting;

/// <summary>
/// The console log format: one entry, one line (<c>info: Category[EventId] message</c>). Logged values carry what
/// clients sent (ids, handles, reasons, paths), so every control character in an entry is escaped here, in the one
/// place all entries pass: a value with a line break cannot start a line that reads as another entry. An exception
/// follows on indented lines (its type and escaped message, then its stack), which no entry starts with. An entry
/// written during a call or a job ends with its trace and span ids (<c>trace=… span=…</c>), as the traces show them.
/// </summary>
public sealed class LogLineConsoleFormatter : ConsoleFormatter, IDisposable
{
    public const string FormatterName = "learnhub";

    private const string Indent = "    ";

    private readonly IDisposable? reload;
    private ConsoleFormatterOptions options;

    public LogLineConsoleFormatter(IOptionsMonitor<ConsoleFormatterOptions> options)
        : base(FormatterName)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.options = options.CurrentValue;
        reload = options.OnChange(changed => this.options = changed);
    }

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        ArgumentNullException.ThrowIfNull(textWriter);
        var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        if (string.IsNullOrEmpty(message) && logEntry.Exception is null)
        {
            return;
        }
        var line = new StringBuilder();
        var current = options;
        if (current.TimestampFormat is { Length: > 0 } format)
        {
            var now = current.UseUtcTimestamp ? DateTimeOffset.UtcNow : DateTimeOffset.Now;
            line.Append(now.ToString(format, System.Globalization.CultureInfo.InvariantCulture));
        }
        line.Append(Level(logEntry.LogLevel)).Append(": ");
        AppendEscaped(line, logEntry.Category);
        line.Append('[').Append(logEntry.EventId.Id).Append("] ");
        AppendEscaped(line, message);
        if (current.IncludeScopes && scopeProvider is not null)
        {
            scopeProvider.ForEachScope((scope, builder) =>
            {
                builder.Append(" => ");
                AppendEscaped(builder, scope?.ToString());
            }, line);
        }
        // The console logger formats on the logging thread, so the current activity is the call's or the job's.
        if (System.Diagnostics.Activity.Current is { } activity && activity.TraceId != default)
        {
            line.Append(" trace=").Append(activity.TraceId.ToHexString()).Append(" span=").Append(activity.SpanId.ToHexString());
        }
        textWriter.Write(line.Append('\n').ToString());
        if (logEntry.Exception is { } exception)
        {
            var lines = new StringBuilder();
            AppendException(lines, exception, "");
            textWriter.Write(lines.ToString());
        }
    }

    /// <summary>Escapes what could end a line or disguise one: C0 and C1 controls, DEL, line and paragraph separators, bidi controls.</summary>
    public static void AppendEscaped(StringBuilder builder, string? value)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (value is null)
        {
            return;
        }
        foreach (var c in value)
        {
            switch (c)
            {
                case '\n':
                    builder.Append("\\n");
                    break;
                case '\r':
                    builder.Append("\\r");
                    break;
                case '\t':
                    builder.Append("\\t");
                    break;
                default:
                    if (char.IsControl(c) || c is '\u2028' or '\u2029' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069'))
                    {
                        builder.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        builder.Append(c);
                    }
                    break;
            }
        }
    }

    public static string Escape(string? value)
    {
        var builder = new StringBuilder(value?.Length ?? 0);
        AppendEscaped(builder, value);
        return builder.ToString();
    }

    private static void AppendException(StringBuilder lines, Exception exception, string prefix)
    {
        lines.Append(Indent).Append(prefix).Append(exception.GetType().FullName).Append(": ");
        AppendEscaped(lines, exception.Message);
        lines.Append('\n');
        if (exception.StackTrace is { } stack)
        {
            foreach (var frame in stack.Split('\n'))
            {
                if (frame.Trim().Length > 0)
                {
                    lines.Append(Indent).Append(Indent);
                    AppendEscaped(lines, frame.Trim());
                    lines.Append('\n');
                }
            }
        }
        var inner = exception is AggregateException aggregate ? aggregate.InnerExceptions : (IEnumerable<Exception>)(exception.InnerException is { } one ? [one] : []);
        foreach (var cause in inner)
        {
            AppendException(lines, cause, "---> ");
        }
    }

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        LogLevel.Critical => "crit",
        _ => "none",
    };

    public void Dispose() => reload?.Dispose();
}

public static class LogLineConsoleRegistration
{
    /// <summary>Makes <see cref="LogLineConsoleFormatter"/> the console's format unless the settings name another (<c>Logging:Console:FormatterName</c>, e.g. json).</summary>
    public static WebApplicationBuilder UseLogLineConsoleFormat(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Logging.AddConsoleFormatter<LogLineConsoleFormatter, ConsoleFormatterOptions>();
        var configured = builder.Configuration["Logging:Console:FormatterName"];
        builder.Services.PostConfigure<ConsoleLoggerOptions>(o =>
        {
            if (string.IsNullOrEmpty(configured))
            {
                o.FormatterName = LogLineConsoleFormatter.FormatterName;
            }
        });
        return builder;
    }
}
