using System.Data;
using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace LearnHub.Server.Telemetry;

/// <summary>
/// A store call on SQLite as a span: every Dapper query, the product's and Quartz's, ends in
/// <see cref="ExecuteReader(CommandBehavior)"/> (Microsoft.Data.Sqlite's non-query, scalar and async paths all do).
/// Only inside a call or a job: the scheduler's polling between them would otherwise start a trace every few seconds.
/// PostgreSQL needs none of this: Npgsql traces its own commands.
/// </summary>
public sealed class TracedSqliteCommand : SqliteCommand
{
    public override SqliteDataReader ExecuteReader(CommandBehavior behavior)
    {
        if (Activity.Current is null || !LearnHubTracing.Source.HasListeners())
        {
            return base.ExecuteReader(behavior);
        }
        using var activity = LearnHubTracing.Source.StartActivity(Operation(CommandText), ActivityKind.Client);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("db.system.name", "sqlite");
            // Parameterised SQL from the code: values travel as parameters, never in the text.
            activity.SetTag("db.query.text", CommandText);
        }
        try
        {
            return base.ExecuteReader(behavior);
        }
        catch (Exception e)
        {
            activity.Fail(e);
            throw;
        }
    }

    /// <summary>The statement's first word (SELECT, INSERT, …), the span's name; bounded, unlike the text.</summary>
    private static string Operation(string? sql)
    {
        var text = (sql ?? "").AsSpan().TrimStart();
        var end = text.IndexOfAny(" \t\r\n(");
        var word = end < 0 ? text : text[..end];
        return word.Length is > 0 and <= 16 ? word.ToString().ToUpperInvariant() : "sqlite";
    }
}
