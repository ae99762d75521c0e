using System.Diagnostics;
using System.Globalization;
using LearnHub.Core.Broadcasts;
using Microsoft.Data.Sqlite;

namespace LearnHub.Bench.Broadcasts;

/// <summary>
/// Where check-in time goes, without gRPC: EXPLAIN QUERY PLAN of the statements CheckIn runs (copied from
/// InboxStore.DeliverAsync and SummaryAsync) and their cost run in-process on the loaded store, each inside a
/// transaction that is rolled back; then first check-ins committed as the server commits them, with the WAL pages each
/// one writes. Run it with the server stopped; the committed part changes the store (reader 0's inbox, reach counts).
/// On a store migrated before 0009 (counts on the broadcasts row) it runs that schema's per-broadcast UPDATEs instead,
/// so one build measures before and after.
/// </summary>
public static class Explain
{
    // Keep in step with src/LearnHub.Server/Broadcasts/InboxStore.cs.
    private const string Deliver = """
        INSERT INTO inbox_messages (follower_id, broadcast_id, creator_id, received_at_ms)
        SELECT @followerId, b.id, b.creator_id, @nowMs
        FROM follows f
        JOIN broadcasts b ON b.creator_id = f.creator_id AND b.status = 2
            AND b.approved_at_ms <= @nowMs AND b.approved_at_ms > @windowStartMs
        WHERE f.follower_id = @followerId
          AND NOT EXISTS (SELECT 1 FROM creator_preferences p WHERE p.user_id = @followerId AND p.creator_id = f.creator_id AND p.blocked = 1)
        ON CONFLICT (follower_id, broadcast_id) DO NOTHING
        RETURNING broadcast_id
        """;

    /// <summary>Before migration 0009: inbox rows without their creator.</summary>
    private const string DeliverLegacy = """
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

    /// <summary>Before migration 0009: one UPDATE per received broadcast, on its (wide, scattered) row.</summary>
    private const string CountReceivedLegacy = "UPDATE broadcasts SET received_count = received_count + 1 WHERE id = @id";

    /// <summary>InboxStore.CountAsync: one upsert into the narrow reach table, the ids as one JSON array (SqlDialect.InList).</summary>
    private const string CountReceived = """
        INSERT INTO broadcast_reach (broadcast_id, received_count)
        SELECT b.id, 1 FROM broadcasts b WHERE b.id IN (SELECT value FROM json_each(@ids)) ORDER BY b.id
        ON CONFLICT (broadcast_id) DO UPDATE SET received_count = broadcast_reach.received_count + 1
        """;

    private const string Summary = """
        WITH mine AS (
            SELECT m.creator_id, COUNT(*) AS total, SUM(CASE WHEN m.read_at_ms IS NULL THEN 1 ELSE 0 END) AS unread
            FROM inbox_messages m
            WHERE m.follower_id = @me AND m.deleted = 0
            GROUP BY m.creator_id),
        down AS (
            SELECT b.creator_id, COUNT(*) AS total, SUM(CASE WHEN m.read_at_ms IS NULL THEN 1 ELSE 0 END) AS unread
            FROM mine
            CROSS JOIN broadcasts b
            CROSS JOIN inbox_messages m
            WHERE b.creator_id = mine.creator_id AND b.status = 6
              AND m.follower_id = @me AND m.broadcast_id = b.id AND m.deleted = 0
            GROUP BY b.creator_id)
        SELECT CAST(COALESCE(SUM(CASE WHEN COALESCE(p.muted, 0) = 1 THEN 0 ELSE mine.unread - COALESCE(down.unread, 0) END), 0) AS bigint) AS unread,
               CAST(COALESCE(SUM(mine.total - COALESCE(down.total, 0)), 0) AS bigint) AS total
        FROM mine
        LEFT JOIN down ON down.creator_id = mine.creator_id
        LEFT JOIN creator_preferences p ON p.user_id = @me AND p.creator_id = mine.creator_id
        WHERE COALESCE(p.blocked, 0) = 0
        """;

    /// <summary>Before migration 0009: each message joined to its broadcast and the follower's preferences.</summary>
    private const string SummaryLegacy = """
        SELECT COALESCE(SUM(CASE WHEN m.read_at_ms IS NULL
                                  AND NOT EXISTS (SELECT 1 FROM creator_preferences p WHERE p.user_id = @me AND p.creator_id = b.creator_id AND p.muted = 1)
                             THEN 1 ELSE 0 END), 0) AS unread, COUNT(*) AS total
        FROM inbox_messages m JOIN broadcasts b ON b.id = m.broadcast_id
        WHERE m.follower_id = @me AND m.deleted = 0 AND b.status = 2
          AND NOT EXISTS (SELECT 1 FROM creator_preferences p WHERE p.user_id = @me AND p.creator_id = b.creator_id AND p.blocked = 1)
        """;

    /// <summary>Empties what the reader received from the 72-hour window, keeping any older history (INBOX_HISTORY_DAYS).</summary>
    private const string ResetWindow = """
        DELETE FROM inbox_messages WHERE follower_id = @followerId
          AND broadcast_id IN (SELECT id FROM broadcasts WHERE status = 2 AND approved_at_ms > @windowStartMs)
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
        var legacy = Convert.ToInt64(Loader.Scalar(connection, "SELECT COUNT(*) FROM pragma_table_info('broadcasts') WHERE name = 'received_count'"), CultureInfo.InvariantCulture) > 0;
        Console.WriteLine(legacy
            ? "schema before migration 0009: received_count on the broadcasts row, one UPDATE per received broadcast; summary joins every message"
            : "schema with migration 0009: received_count in broadcast_reach, one upsert for all received broadcasts; summary per creator");
        Plan(connection, "delivery (InboxStore.DeliverAsync)", legacy ? DeliverLegacy : Deliver, reader, nowMs, windowStartMs);
        Plan(connection, "summary (InboxStore.SummaryAsync)", legacy ? SummaryLegacy : Summary, reader, nowMs, windowStartMs);
        Plan(connection, "received count", legacy ? CountReceivedLegacy : CountReceived, reader, nowMs, windowStartMs);
        Plan(connection, "approval: follower count (BroadcastStore.FollowerCountAsync)", "SELECT follower_count FROM users WHERE id = @id", reader, nowMs, windowStartMs);

        // Timed twice: with SQLite's default page cache (the server's before it set cache_size), then with the server's.
        Timings(connection, legacy, reader, nowMs, windowStartMs, repeats, "SQLite's default cache_size (2,000 KiB)");
        Loader.Exec(connection, "PRAGMA cache_size=-32768;");
        Timings(connection, legacy, reader, nowMs, windowStartMs, repeats, "cache_size=-32768 (32 MiB, the server's per connection)");
        Committed(connection, legacy, databasePath, reader, repeats);
        return 0;
    }

    /// <summary>
    /// First check-ins of reader 0 committed as the server commits them (BEGIN IMMEDIATE, delivery, counts, COMMIT; then
    /// the summary), the window's messages removed from its inbox before each (untimed, committed). First with the WAL
    /// checkpointed before each (untimed), to count the pages one check-in appends; then without, so SQLite's automatic
    /// checkpoints (every 1,000 WAL pages, on the commit that crosses it) land where they fall, as in the server; then
    /// with automatic checkpoints off (what a check-in would cost if something else checkpointed, off the request path).
    /// </summary>
    private static void Committed(SqliteConnection connection, bool legacy, string databasePath, string reader, int repeats)
    {
        var pageSize = Convert.ToInt64(Loader.Scalar(connection, "PRAGMA page_size"), CultureInfo.InvariantCulture);
        var wal = new FileInfo(databasePath + "-wal");
        foreach (var (checkpointFirst, automatic) in new[] { (true, true), (false, true), (false, false) })
        {
            Loader.Exec(connection, automatic ? "PRAGMA wal_autocheckpoint=1000;" : "PRAGMA wal_autocheckpoint=0;");
            var times = new List<double>();
            var summaries = new List<double>();
            var pages = new List<double>();
            var received = 0;
            for (var i = 0; i < repeats; i++)
            {
                var nowMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                var windowStartMs = nowMs - (long)BroadcastRules.DeliveryWindow.TotalMilliseconds;
                using (var tx = connection.BeginTransaction())
                {
                    Command(connection, tx, ResetWindow, reader, nowMs, windowStartMs).ExecuteNonQuery();
                    tx.Commit();
                }
                if (checkpointFirst)
                {
                    Loader.Exec(connection, "PRAGMA wal_checkpoint(TRUNCATE);");
                }
                var clock = Stopwatch.StartNew();
                using (var tx = connection.BeginTransaction())
                {
                    received = CheckIn(connection, tx, legacy, reader, nowMs, windowStartMs);
                    tx.Commit();
                }
                times.Add(clock.Elapsed.TotalMilliseconds);
                clock.Restart();
                using (var summary = Command(connection, null, legacy ? SummaryLegacy : Summary, reader, nowMs, windowStartMs))
                using (var rows = summary.ExecuteReader())
                {
                    rows.Read();
                }
                summaries.Add(clock.Elapsed.TotalMilliseconds);
                if (checkpointFirst)
                {
                    wal.Refresh();
                    pages.Add(wal.Exists && wal.Length > 32 ? (wal.Length - 32) / (double)(pageSize + 24) : 0);
                }
            }
            Console.WriteLine($"\ncommitted first check-ins of {reader} ({received} received), {repeats} repeats, " + (checkpointFirst
                ? "WAL checkpointed before each (untimed):"
                : automatic ? "automatic checkpoints where they fall:" : "automatic checkpoints off (wal_autocheckpoint=0):"));
            Console.WriteLine($"  delivery + counts + COMMIT                     {Stats.Line(times)}");
            Console.WriteLine($"  summary after the commit                       {Stats.Line(summaries)}");
            if (checkpointFirst)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  WAL pages appended per first check-in: p50 {Stats.Percentile(pages, 0.5):F0}, max {pages.Max():F0} ({pageSize} B pages)"));
            }
        }
        Loader.Exec(connection, "PRAGMA wal_autocheckpoint=1000; PRAGMA wal_checkpoint(TRUNCATE);");
    }

    /// <summary>The delivery INSERT and the received counts, as InboxStore.DeliverAsync runs them; returns how many were received.</summary>
    private static int CheckIn(SqliteConnection connection, SqliteTransaction tx, bool legacy, string reader, long nowMs, long windowStartMs)
    {
        var ids = new List<string>();
        using (var insert = Command(connection, tx, legacy ? DeliverLegacy : Deliver, reader, nowMs, windowStartMs))
        using (var rows = insert.ExecuteReader())
        {
            while (rows.Read())
            {
                ids.Add(rows.GetString(0));
            }
        }
        CountReceivedIds(connection, tx, legacy, ids);
        return ids.Count;
    }

    private static void CountReceivedIds(SqliteConnection connection, SqliteTransaction tx, bool legacy, List<string> ids)
    {
        if (legacy)
        {
            using var update = connection.CreateCommand();
            update.Transaction = tx;
            update.CommandText = CountReceivedLegacy;
            var id = update.Parameters.AddWithValue("@id", "");
            update.Prepare();
            foreach (var b in ids.Order(StringComparer.Ordinal))
            {
                id.Value = b;
                update.ExecuteNonQuery();
            }
            return;
        }
        if (ids.Count > 0)
        {
            using var upsert = connection.CreateCommand();
            upsert.Transaction = tx;
            upsert.CommandText = CountReceived;
            upsert.Parameters.AddWithValue("@ids", System.Text.Json.JsonSerializer.Serialize(ids));
            upsert.ExecuteNonQuery();
        }
    }

    private static void Timings(SqliteConnection connection, bool legacy, string reader, long nowMs, long windowStartMs, int repeats, string title)
    {
        var inbox = Convert.ToInt64(Loader.Scalar(connection, $"SELECT COUNT(*) FROM inbox_messages WHERE follower_id = '{reader}'"), CultureInfo.InvariantCulture);
        Console.WriteLine($"\nin-process timings for {reader} ({inbox:N0} messages in its inbox now), {repeats} repeats, each rolled back; {title}:");
        var first = new List<double>[] { [], [], [] };
        var steady = new List<double>[] { [], [] };
        var received = 0;
        for (var i = 0; i < repeats; i++)
        {
            // A first check-in: the window's messages removed inside the transaction, then the delivery statements.
            using (var tx = connection.BeginTransaction())
            {
                Command(connection, tx, ResetWindow, reader, nowMs, windowStartMs).ExecuteNonQuery();
                var clock = Stopwatch.StartNew();
                var ids = new List<string>();
                using (var insert = Command(connection, tx, legacy ? DeliverLegacy : Deliver, reader, nowMs, windowStartMs))
                using (var rows = insert.ExecuteReader())
                {
                    while (rows.Read())
                    {
                        ids.Add(rows.GetString(0));
                    }
                }
                first[0].Add(clock.Elapsed.TotalMilliseconds);
                clock.Restart();
                CountReceivedIds(connection, tx, legacy, ids);
                first[1].Add(clock.Elapsed.TotalMilliseconds);
                clock.Restart();
                using (var summary = Command(connection, tx, legacy ? SummaryLegacy : Summary, reader, nowMs, windowStartMs))
                using (var rows = summary.ExecuteReader())
                {
                    rows.Read();
                }
                first[2].Add(clock.Elapsed.TotalMilliseconds);
                received = ids.Count;

                // Then a steady one in the same transaction: nothing new.
                clock.Restart();
                using (var insert = Command(connection, tx, legacy ? DeliverLegacy : Deliver, reader, nowMs, windowStartMs))
                using (var rows = insert.ExecuteReader())
                {
                    while (rows.Read())
                    {
                        throw new InvalidOperationException("steady delivery received something");
                    }
                }
                steady[0].Add(clock.Elapsed.TotalMilliseconds);
                clock.Restart();
                using (var summary = Command(connection, tx, legacy ? SummaryLegacy : Summary, reader, nowMs, windowStartMs))
                using (var rows = summary.ExecuteReader())
                {
                    rows.Read();
                }
                steady[1].Add(clock.Elapsed.TotalMilliseconds);
                tx.Rollback();
            }
        }
        Console.WriteLine($"  first: delivery INSERT…RETURNING ({received} rows)  {Stats.Line(first[0])}");
        Console.WriteLine(legacy
            ? $"  first: {received} received_count UPDATEs              {Stats.Line(first[1])}"
            : $"  first: received counts, one reach upsert         {Stats.Line(first[1])}");
        Console.WriteLine($"  first: summary                                 {Stats.Line(first[2])}");
        Console.WriteLine($"  steady: delivery INSERT (0 rows)               {Stats.Line(steady[0])}");
        Console.WriteLine($"  steady: summary                                {Stats.Line(steady[1])}");
    }

    private static void Plan(SqliteConnection connection, string title, string sql, string reader, long nowMs, long windowStartMs)
    {
        Console.WriteLine($"\nEXPLAIN QUERY PLAN — {title}");
        using var command = Command(connection, null, "EXPLAIN QUERY PLAN " + sql, reader, nowMs, windowStartMs);
        if (sql.Contains("@ids", StringComparison.Ordinal))
        {
            command.Parameters.AddWithValue("@ids", "[\"b_0\", \"b_1\"]");
        }
        else if (sql.Contains("@id", StringComparison.Ordinal))
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
