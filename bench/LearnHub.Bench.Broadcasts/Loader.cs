using System.Diagnostics;
using System.Globalization;
using LearnHub.Core.Broadcasts;
using Microsoft.Data.Sqlite;

namespace LearnHub.Bench.Broadcasts;

/// <summary>What <see cref="Loader"/> writes. The defaults are issue 5's benchmark sizes.</summary>
public sealed record LoadOptions(string DatabasePath)
{
    /// <summary>Followers of <see cref="BenchIds.BigCreator"/> (1,000,000 users who each follow it).</summary>
    public int BigFollowers { get; init; } = 1_000_000;

    /// <summary>Followers of <see cref="BenchIds.SmallCreator"/> (the first of the same users).</summary>
    public int SmallFollowers { get; init; } = 10;

    /// <summary>Certified creators who own the stored broadcasts.</summary>
    public int Creators { get; init; } = 5_000;

    /// <summary>
    /// How many of those creators every reader follows: every (<see cref="Creators"/> ÷ Followed)-th one, so that their
    /// broadcasts sit among everyone else's in the store, as they would on a real platform.
    /// </summary>
    public int Followed { get; init; } = 500;

    /// <summary>Whether the readers follow creator <paramref name="c"/>.</summary>
    public bool IsFollowed(int c) => c % FollowStride == 0 && c / FollowStride < Followed;

    private int FollowStride => Math.Max(1, Creators / Math.Max(1, Followed));

    /// <summary>Readers: users who each follow the same <see cref="Followed"/> creators (one first check-in each).</summary>
    public int Readers { get; init; } = 40;

    public int Broadcasts { get; init; } = 1_000_000;

    /// <summary>Readers' inbox history: messages received from broadcasts approved in this many days before the window.</summary>
    public int InboxHistoryDays { get; init; }

    public int Seed { get; init; } = 5;
}

/// <summary>
/// Bulk-loads users, follows and broadcasts straight into a migrated store, in large transactions, keeping
/// users.follower_count / following_count equal to the follows rows (approval reads follower_count).
/// Broadcast history: every creator broadcasts every 84 hours (2 a week, the quota's maximum) at a random phase, so
/// about 72/84 of the creators have their latest broadcast inside the 72-hour delivery window; 92 % are approved,
/// the rest rejected, withdrawn, expired or taken down.
/// </summary>
public static class Loader
{
    private static readonly TimeSpan Period = TimeSpan.FromHours(84);
    private const int Batch = 100_000;

    public static int Run(LoadOptions o)
    {
        var total = Stopwatch.StartNew();
        var now = DateTimeOffset.UtcNow;
        var nowMs = now.ToUnixTimeMilliseconds();
        var zone = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");
        var random = new Random(o.Seed);
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = o.DatabasePath, Mode = SqliteOpenMode.ReadWrite }.ToString());
        connection.Open();
        Exec(connection, "PRAGMA synchronous=OFF; PRAGMA cache_size=-400000; PRAGMA temp_store=MEMORY;");
        var adminId = (string?)Scalar(connection, "SELECT id FROM users WHERE handle = 'bench-admin'")
            ?? throw new InvalidOperationException("no user bench-admin: create it first (LearnHub.Server.dll user add --handle bench-admin …)");

        // ---- users ----
        var step = Stopwatch.StartNew();
        using (var writer = new BatchWriter(connection,
            """
            INSERT INTO users (id, handle, display_name, roles, time_zone, created_at_ms, certified, follower_count, following_count)
            VALUES ($id, $handle, $name, $roles, 'Asia/Shanghai', $created, $certified, $followers, $following)
            """, "$id", "$handle", "$name", "$roles", "$created", "$certified", "$followers", "$following"))
        {
            var created = nowMs - (long)TimeSpan.FromDays(800).TotalMilliseconds;
            writer.Add(BenchIds.BigCreator, BenchIds.BigCreatorHandle, "压测大V", "viewer,instructor", created, 1, o.BigFollowers, 0);
            writer.Add(BenchIds.SmallCreator, BenchIds.SmallCreatorHandle, "压测小号", "viewer,instructor", created, 1, o.SmallFollowers, 0);
            for (var i = 0; i < o.BigFollowers; i++)
            {
                writer.Add(BenchIds.Fan(i), $"bench-fan-{i:D7}", $"粉丝{i}", "viewer", created + i, 0, 0, i < o.SmallFollowers ? 2 : 1);
            }
            for (var c = 0; c < o.Creators; c++)
            {
                writer.Add(BenchIds.Creator(c), $"bench-dc-{c:D5}", $"讲师{c}", "viewer,instructor", created + c, 1, o.IsFollowed(c) ? o.Readers : 0, 0);
            }
            for (var r = 0; r < o.Readers; r++)
            {
                writer.Add(BenchIds.Reader(r), BenchIds.ReaderHandle(r), $"读者{r}", "viewer", created + r, 0, 0, o.Followed);
            }
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"users: {o.BigFollowers + o.Creators + o.Readers + 2:N0} in {step.Elapsed.TotalSeconds:F1} s"));

        // ---- follows ----
        step.Restart();
        using (var writer = new BatchWriter(connection,
            "INSERT INTO follows (follower_id, creator_id, created_at_ms) VALUES ($f, $c, $at)", "$f", "$c", "$at"))
        {
            for (var i = 0; i < o.BigFollowers; i++)
            {
                writer.Add(BenchIds.Fan(i), BenchIds.BigCreator, nowMs - 86_400_000L - i);
                if (i < o.SmallFollowers)
                {
                    writer.Add(BenchIds.Fan(i), BenchIds.SmallCreator, nowMs - 86_400_000L - i);
                }
            }
            for (var r = 0; r < o.Readers; r++)
            {
                for (var c = 0; c < o.Creators; c++)
                {
                    if (o.IsFollowed(c))
                    {
                        writer.Add(BenchIds.Reader(r), BenchIds.Creator(c), nowMs - 86_400_000L * 30 - c);
                    }
                }
            }
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"follows: {o.BigFollowers + o.SmallFollowers + o.Readers * o.Followed:N0} in {step.Elapsed.TotalSeconds:F1} s"));

        // ---- broadcasts, oldest round first (ids are time-ordered, as the server makes them) ----
        step.Restart();
        var perCreator = o.Broadcasts / o.Creators;
        var phases = Enumerable.Range(0, o.Creators).Select(_ => (long)(random.NextDouble() * Period.TotalMilliseconds)).ToArray();
        long inserted = 0, approved = 0;
        using (var writer = new BatchWriter(connection,
            """
            INSERT INTO broadcasts (id, creator_id, request_id, content_hash, kind, text, status, agreement_version, week_start_ms,
                submitted_at_ms, review_deadline_ms, decided_at_ms, decided_by, reason, approved_at_ms, eligible_at_approval)
            VALUES ($id, $creator, $request, $hash, 1, $text, $status, $agreement, $week, $submitted, $deadline, $decided, $by, $reason, $approved, $eligible)
            """,
            "$id", "$creator", "$request", "$hash", "$text", "$status", "$agreement", "$week", "$submitted", "$deadline", "$decided", "$by", "$reason",
            "$approved", "$eligible"))
        {
            for (var k = perCreator - 1; k >= 0; k--)
            {
                // The k-th latest round of creator c was decided at now − phase − k × 84 h; a round's rows go in in the
                // order they were submitted (the server's insertion order), each creator's among everyone else's.
                var round = new List<(int C, long DecidedMs, long SubmittedMs, int Status)>(o.Creators);
                for (var c = 0; c < o.Creators; c++)
                {
                    var decidedMs = nowMs - phases[c] - k * (long)Period.TotalMilliseconds;
                    var submittedMs = decidedMs - random.NextInt64(300_000, 43_200_000);
                    var roll = random.NextDouble();
                    round.Add((c, decidedMs, submittedMs, roll < 0.92 ? 2 : roll < 0.96 ? 3 : roll < 0.98 ? 4 : roll < 0.995 ? 5 : 6));
                }
                foreach (var (c, decidedMs, submittedMs, status) in round.OrderBy(b => b.SubmittedMs))
                {
                    var isApproved = status is 2 or 6;
                    var followers = o.IsFollowed(c) ? o.Readers : 0;
                    var week = BroadcastRules.WeekOf(DateTimeOffset.FromUnixTimeMilliseconds(submittedMs), zone).Start.ToUnixTimeMilliseconds();
                    writer.Add(
                        "b_" + Guid.CreateVersion7(DateTimeOffset.FromUnixTimeMilliseconds(submittedMs)).ToString("N"),
                        BenchIds.Creator(c), $"bench-{k}", $"{c:X8}{k:X8}".PadRight(64, '0'),
                        $"第{k}期:本周直播课安排与学习资料更新,请大家按时参加,有问题在评论区留言。", status, BroadcastRules.AgreementVersion, week,
                        submittedMs, submittedMs + (long)TimeSpan.FromDays(7).TotalMilliseconds,
                        status == 4 ? submittedMs + 60_000 : decidedMs, status is 2 or 3 or 6 ? adminId : status == 4 ? BenchIds.Creator(c) : null,
                        status is 3 or 6 ? "内容不符合规范" : null, isApproved ? decidedMs : null, isApproved ? followers : null);
                    inserted++;
                    if (status == 2 && nowMs - decidedMs < (long)BroadcastRules.DeliveryWindow.TotalMilliseconds)
                    {
                        approved++;
                    }
                }
            }
        }
        // Reach (群发记录's counts): a row for every approved one, as on a platform where every creator has followers; half
        // the followers received it, a quarter read it. A store migrated before 0009 keeps them on the broadcasts row
        // (left 0 here: only their updates are measured).
        var migrated0009 = Convert.ToInt64(Scalar(connection, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'broadcast_reach'"), CultureInfo.InvariantCulture) > 0;
        if (migrated0009)
        {
            Exec(connection, """
                INSERT INTO broadcast_reach (broadcast_id, received_count, read_count)
                SELECT b.id, u.follower_count / 2, u.follower_count / 4
                FROM broadcasts b JOIN users u ON u.id = b.creator_id
                WHERE b.status IN (2, 6)
                ORDER BY b.id
                """);
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"broadcasts: {inserted:N0} ({perCreator} per creator, one every 84 h) in {step.Elapsed.TotalSeconds:F1} s; approved within the last 72 h: {approved:N0}"));

        if (o.InboxHistoryDays > 0)
        {
            step.Restart();
            var windowStart = nowMs - (long)BroadcastRules.DeliveryWindow.TotalMilliseconds;
            using var tx = connection.BeginTransaction();
            using var command = connection.CreateCommand();
            command.Transaction = tx;
            // Since migration 0009 each message carries its broadcast's creator.
            command.CommandText = $"""
                INSERT INTO inbox_messages (follower_id, broadcast_id, {(migrated0009 ? "creator_id, " : "")}received_at_ms, read_at_ms, deleted)
                SELECT f.follower_id, b.id, {(migrated0009 ? "b.creator_id, " : "")}b.approved_at_ms + 600000, b.approved_at_ms + 3600000, 0
                FROM follows f JOIN broadcasts b ON b.creator_id = f.creator_id AND b.status = 2
                    AND b.approved_at_ms > $from AND b.approved_at_ms <= $to
                WHERE f.follower_id LIKE 'u_bench_reader_%'
                """;
            command.Parameters.AddWithValue("$from", windowStart - (long)TimeSpan.FromDays(o.InboxHistoryDays).TotalMilliseconds);
            command.Parameters.AddWithValue("$to", windowStart);
            var rows = command.ExecuteNonQuery();
            tx.Commit();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"inbox history: {rows:N0} messages ({rows / Math.Max(1, o.Readers):N0} per reader, {o.InboxHistoryDays} days before the window) in {step.Elapsed.TotalSeconds:F1} s"));
        }

        Exec(connection, "PRAGMA wal_checkpoint(TRUNCATE);");
        var counts = string.Join(", ", new[] { "users", "follows", "broadcasts", "inbox_messages" }
            .Select(t => string.Create(CultureInfo.InvariantCulture, $"{t} {Scalar(connection, $"SELECT COUNT(*) FROM {t}"):N0}")));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"store: {counts}; {new FileInfo(o.DatabasePath).Length / 1048576.0:F0} MiB; loaded in {total.Elapsed.TotalSeconds:F0} s"));
        var big = Scalar(connection, $"SELECT follower_count FROM users WHERE id = '{BenchIds.BigCreator}'");
        var bigRows = Scalar(connection, $"SELECT COUNT(*) FROM follows WHERE creator_id = '{BenchIds.BigCreator}'");
        if (Convert.ToInt64(big, CultureInfo.InvariantCulture) != Convert.ToInt64(bigRows, CultureInfo.InvariantCulture))
        {
            Console.Error.WriteLine($"follower_count {big} != follows rows {bigRows}");
            return 1;
        }
        return 0;
    }

    internal static void Exec(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    internal static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    /// <summary>One prepared INSERT, committed every <see cref="Batch"/> rows.</summary>
    private sealed class BatchWriter : IDisposable
    {
        private readonly SqliteConnection connection;
        private readonly SqliteCommand command;
        private readonly SqliteParameter[] parameters;
        private SqliteTransaction tx;
        private int pending;

        public BatchWriter(SqliteConnection connection, string sql, params string[] names)
        {
            this.connection = connection;
            tx = connection.BeginTransaction();
            command = connection.CreateCommand();
            command.CommandText = sql;
            command.Transaction = tx;
            parameters = names.Select(n => command.Parameters.Add(new SqliteParameter { ParameterName = n })).ToArray();
            command.Prepare();
        }

        public void Add(params object?[] values)
        {
            for (var i = 0; i < values.Length; i++)
            {
                parameters[i].Value = values[i] ?? DBNull.Value;
            }
            command.ExecuteNonQuery();
            if (++pending == Batch)
            {
                tx.Commit();
                tx = connection.BeginTransaction();
                command.Transaction = tx;
                pending = 0;
            }
        }

        public void Dispose()
        {
            tx.Commit();
            tx.Dispose();
            command.Dispose();
        }
    }
}

/// <summary>The ids and handles the loader writes and the runs use.</summary>
public static class BenchIds
{
    public const string BigCreator = "u_bench_big";
    public const string BigCreatorHandle = "bench-creator-big";
    public const string SmallCreator = "u_bench_small";
    public const string SmallCreatorHandle = "bench-creator-small";

    public static string Fan(int i) => $"u_bench_fan_{i:D7}";

    public static string Creator(int c) => $"u_bench_dc_{c:D5}";

    public static string Reader(int r) => $"u_bench_reader_{r:D3}";

    public static string ReaderHandle(int r) => $"bench-reader-{r:D3}";
}
