using System.Diagnostics;
using System.Globalization;
using LearnHub.Core.Broadcasts;
using Microsoft.Data.Sqlite;

namespace LearnHub.Bench.Broadcasts;

/// <summary>
/// Where check-in time goes, without gRPC: EXPLAIN QUERY PLAN of the statements CheckIn runs (copied from
/// InboxStore.DeliverAsync and SummaryAsync) and their cost run in-process on the loaded store, each inside a
/// transaction that is rolled back. Run it with the server stopped.
/// </summary>
public static class Explain
{
    // Keep in step with src/LearnHub.Server/Broadcasts/InboxStore.cs.
    private const string Deliver = """
        INSERT INTO inbox_messages (follower_id, broadcast_id, received_at_ms)
        SELECT @followerId, b.id, @nowMs
        FROM follows f
        JOIN broadcasts b ON b.creator_id = f.creator_id AND b.status = 2
            AND b.approved_at_ms <= @nowMs AND b.approved_at_ms > @windowStartMs
        WHERE f.follower_id = @followerId
          AND NOT EXISTS (SELECT 1 FROM creator_preferences p WHERE p.user_id = @followerId AND p.creator_id = f.creator_id AND p.blocked = 1)
        ON CONFLICT (follower_id, broadcast_id) DO NOTHING
        RETURNING broadcast_id
        """;

    private const string CountReceived = "UPDATE broadcasts SET received_count = received_count + 1 WHERE id = @id";

    private const string Visible = """
        m.follower_id = @me AND m.deleted = 0 AND b.status = 2
        AND NOT EXISTS (SELECT 1 FROM creator_preferences p WHERE p.user_id = @me AND p.creator_id = b.creator_id AND p.blocked = 1)
        """;

    private const string MutedColumn =
        "EXISTS (SELECT 1 FROM creator_preferences p WHERE p.user_id = @me AND p.creator_id = b.creator_id AND p.muted = 1)";

    private const string Summary = $"""
        SELECT COALESCE(SUM(CASE WHEN m.read_at_ms IS NULL AND NOT {MutedColumn} THEN 1 ELSE 0 END), 0) AS unread, COUNT(*) AS total
        FROM inbox_messages m JOIN broadcasts b ON b.id = m.broadcast_id
        WHERE {Visible}
        """;

    public static int Run(string databasePath, int repeats)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = databasePath, Mode = SqliteOpenMode.ReadWrite }.ToString());
        connection.Open();
        Loader.Exec(connection, "PRAGMA busy_timeout=30000; PRAGMA synchronous=NORMAL;");
        var reader = BenchIds.Reader(0);
        var nowMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var windowStartMs = nowMs - (long)BroadcastRules.DeliveryWindow.TotalMilliseconds;
        Console.WriteLine($"sqlite {Loader.Scalar(connection, "SELECT sqlite_version()")}; sqlite_stat1 present: {Loader.Scalar(connection, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")}");
        Plan(connection, "delivery (InboxStore.DeliverAsync)", Deliver, reader, nowMs, windowStartMs);
        Plan(connection, "summary (InboxStore.SummaryAsync)", Summary, reader, nowMs, windowStartMs);
        Plan(connection, "received_count update", CountReceived, reader, nowMs, windowStartMs);
        Plan(connection, "approval: follower count (BroadcastStore.FollowerCountAsync)", "SELECT follower_count FROM users WHERE id = @id", reader, nowMs, windowStartMs);

        // Timed twice: with SQLite's default page cache (the server's before it set cache_size), then with the server's.
        Timings(connection, reader, nowMs, windowStartMs, repeats, "SQLite's default cache_size (2,000 KiB)");
        Loader.Exec(connection, "PRAGMA cache_size=-32768;");
        Timings(connection, reader, nowMs, windowStartMs, repeats, "cache_size=-32768 (32 MiB, the server's per connection)");
        return 0;
    }

    private static void Timings(SqliteConnection connection, string reader, long nowMs, long windowStartMs, int repeats, string title)
    {
        var inbox = Convert.ToInt64(Loader.Scalar(connection, $"SELECT COUNT(*) FROM inbox_messages WHERE follower_id = '{reader}'"), CultureInfo.InvariantCulture);
        Console.WriteLine($"\nin-process timings for {reader} ({inbox:N0} messages in its inbox now), {repeats} repeats, each rolled back; {title}:");
        var first = new List<double>[] { [], [], [] };
        var steady = new List<double>[] { [], [] };
        var received = 0;
        for (var i = 0; i < repeats; i++)
        {
            // A first check-in: the inbox emptied inside the transaction, then the delivery statements.
            using (var tx = connection.BeginTransaction())
            {
                Command(connection, tx, "DELETE FROM inbox_messages WHERE follower_id = @followerId", reader, nowMs, windowStartMs).ExecuteNonQuery();
                var clock = Stopwatch.StartNew();
                var ids = new List<string>();
                using (var insert = Command(connection, tx, Deliver, reader, nowMs, windowStartMs))
                using (var rows = insert.ExecuteReader())
                {
                    while (rows.Read())
                    {
                        ids.Add(rows.GetString(0));
                    }
                }
                first[0].Add(clock.Elapsed.TotalMilliseconds);
                clock.Restart();
                using (var update = Command(connection, tx, CountReceived, reader, nowMs, windowStartMs))
                {
                    var id = update.Parameters.AddWithValue("@id", "");
                    update.Prepare();
                    foreach (var b in ids)
                    {
                        id.Value = b;
                        update.ExecuteNonQuery();
                    }
                }
                first[1].Add(clock.Elapsed.TotalMilliseconds);
                clock.Restart();
                using (var summary = Command(connection, tx, Summary, reader, nowMs, windowStartMs))
                using (var rows = summary.ExecuteReader())
                {
                    rows.Read();
                }
                first[2].Add(clock.Elapsed.TotalMilliseconds);
                received = ids.Count;

                // Then a steady one in the same transaction: nothing new.
                clock.Restart();
                using (var insert = Command(connection, tx, Deliver, reader, nowMs, windowStartMs))
                using (var rows = insert.ExecuteReader())
                {
                    while (rows.Read())
                    {
                        throw new InvalidOperationException("steady delivery received something");
                    }
                }
                steady[0].Add(clock.Elapsed.TotalMilliseconds);
                clock.Restart();
                using (var summary = Command(connection, tx, Summary, reader, nowMs, windowStartMs))
                using (var rows = summary.ExecuteReader())
                {
                    rows.Read();
                }
                steady[1].Add(clock.Elapsed.TotalMilliseconds);
                tx.Rollback();
            }
        }
        Console.WriteLine($"  first: delivery INSERT…RETURNING ({received} rows)  {Stats.Line(first[0])}");
        Console.WriteLine($"  first: {received} received_count UPDATEs              {Stats.Line(first[1])}");
        Console.WriteLine($"  first: summary                                 {Stats.Line(first[2])}");
        Console.WriteLine($"  steady: delivery INSERT (0 rows)               {Stats.Line(steady[0])}");
        Console.WriteLine($"  steady: summary                                {Stats.Line(steady[1])}");
    }

    private static void Plan(SqliteConnection connection, string title, string sql, string reader, long nowMs, long windowStartMs)
    {
        Console.WriteLine($"\nEXPLAIN QUERY PLAN — {title}");
        using var command = Command(connection, null, "EXPLAIN QUERY PLAN " + sql, reader, nowMs, windowStartMs);
        if (sql.Contains("@id", StringComparison.Ordinal))
        {
            command.Parameters.AddWithValue("@id", BenchIds.BigCreator);
        }
        using var rows = command.ExecuteReader();
        while (rows.Read())
        {
            Console.WriteLine($"  {rows.GetInt64(0),3} {rows.GetInt64(1),3}  {rows.GetString(3)}");
        }
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? tx, string sql, string reader, long nowMs, long windowStartMs)
    {
        var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        foreach (var (name, value) in new (string, object)[] { ("@followerId", reader), ("@me", reader), ("@nowMs", nowMs), ("@windowStartMs", windowStartMs) })
        {
            if (sql.Contains(name, StringComparison.Ordinal))
            {
                command.Parameters.AddWithValue(name, value);
            }
        }
        return command;
    }
}
