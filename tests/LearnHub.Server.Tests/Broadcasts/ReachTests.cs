using Dapper;
using LearnHub.Api.V1;
using LearnHub.Server.Data;
using LearnHub.Server.Identity;
using LearnHub.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using static LearnHub.Server.Tests.Broadcasts.FanBroadcastWorld;

namespace LearnHub.Server.Tests.Broadcasts;

/// <summary>
/// 群发记录's reach: how many followers received a broadcast and how many read it. Each follower counts once, however
/// often and however they receive it (check-in or the open inbox stream), muted or not; a follower who blocked the
/// creator never receives it; deleting the message or blocking afterwards does not take it back. Migration 0009 moved
/// the counts off the broadcast row (delivery bumps them in one statement) and keeps the counts already made, and gave
/// each inbox message its creator (the badge is counted per creator).
/// </summary>
public sealed class ReachTests
{
    [Fact]
    public async Task The_creator_sees_each_follower_once_however_often_and_however_they_receive()
    {
        await using var world = await FanBroadcastWorld.StartAsync();
        var creator = await world.CreatorAsync("wanhongcoco");
        var plain = await world.FanAsync("xiaowang", creator);
        var muted = await world.FanAsync("xiaoli", creator);
        var blockedBefore = await world.FanAsync("xiaozhang", creator);
        var deletes = await world.FanAsync("xiaozhao", creator);
        var blocksAfter = await world.FanAsync("xiaochen", creator);
        var online = await world.FanAsync("xiaoliu", creator);
        await muted.Follows.SetCreatorPreferenceAsync(new SetCreatorPreferenceRequest { CreatorId = creator.Id, Muted = true });
        await blockedBefore.Follows.SetCreatorPreferenceAsync(new SetCreatorPreferenceRequest { CreatorId = creator.Id, Blocked = true });
        await using var watcher = await InboxWatcher.OpenAsync(online);

        var first = await world.PublishTextAsync(creator, "第19章讲义已上传");
        var second = await world.PublishTextAsync(creator, "第20章讲义已上传");
        // The online follower receives both at approval, without checking in.
        var pushed = new HashSet<string>(StringComparer.Ordinal);
        await watcher.UntilAsync(e => e.Message is not null && pushed.Add(e.Message.Id) && pushed.Count == 2);
        var checkingIn = new[] { plain, muted, blockedBefore, deletes, blocksAfter, online };
        for (var round = 0; round < 3; round++)
        {
            foreach (var fan in checkingIn)
            {
                await CheckInAsync(fan);
            }
            world.App.Clock.Advance(TimeSpan.FromHours(1));
        }
        await deletes.Inbox.DeleteInboxMessageAsync(new DeleteInboxMessageRequest { MessageId = first.Id });
        await blocksAfter.Follows.SetCreatorPreferenceAsync(new SetCreatorPreferenceRequest { CreatorId = creator.Id, Blocked = true });
        foreach (var fan in checkingIn)
        {
            Assert.Equal(0, (await CheckInAsync(fan)).NewlyReceived);
        }

        Assert.Empty(await InboxAsync(blockedBefore));
        Assert.Equal((5L, 5L), ((await RecordAsync(creator, first.Id)).Reach.Received, (await RecordAsync(creator, second.Id)).Reach.Received));
        Assert.Equal((0L, 0L), ((await RecordAsync(creator, first.Id)).Reach.Read, (await RecordAsync(creator, second.Id)).Reach.Read));

        await plain.Inbox.MarkInboxReadAsync(new MarkInboxReadRequest { All = true });
        await muted.Inbox.MarkInboxReadAsync(new MarkInboxReadRequest { MessageIds = { second.Id } });
        await plain.Inbox.MarkInboxReadAsync(new MarkInboxReadRequest { All = true });

        var records = (await creator.Broadcasts.ListMyBroadcastsAsync(new ListMyBroadcastsRequest { PageSize = 10 })).Broadcasts;
        Assert.Equal([second.Id, first.Id], records.Select(b => b.Id));
        Assert.Equal([(5L, 2L), (5L, 1L)], records.Select(b => (b.Reach.Received, b.Reach.Read)));
    }

    [Fact]
    public async Task Followers_checking_in_all_at_once_are_each_counted_once()
    {
        await using var world = await FanBroadcastWorld.StartAsync();
        var creators = new[] { await world.CreatorAsync("laoshi-1"), await world.CreatorAsync("laoshi-2"), await world.CreatorAsync("laoshi-3") };
        var fans = new List<TestUser>();
        for (var i = 0; i < 10; i++)
        {
            fans.Add(await world.FanAsync($"fan-{i}", creators));
        }
        var broadcasts = new[]
        {
            (creators[0], await world.PublishTextAsync(creators[0], "消息一")),
            (creators[1], await world.PublishTextAsync(creators[1], "消息二")),
            (creators[2], await world.PublishTextAsync(creators[2], "消息三")),
            (creators[2], await world.PublishTextAsync(creators[2], "消息四")),
        };

        // Every follower twice, all twenty calls at once: the same four reach rows bumped side by side.
        var summaries = await Task.WhenAll(fans.SelectMany(f => new[] { CheckInAsync(f), CheckInAsync(f) }));
        await Task.WhenAll(fans.Select(f => f.Inbox.MarkInboxReadAsync(new MarkInboxReadRequest { All = true }).ResponseAsync));

        Assert.Equal(40, summaries.Sum(s => s.NewlyReceived));
        foreach (var (creator, broadcast) in broadcasts)
        {
            var reach = (await RecordAsync(creator, broadcast.Id)).Reach;
            Assert.Equal((10L, 10L, 10L), (reach.EligibleAtApproval, reach.Received, reach.Read));
        }
    }

    [Fact]
    public async Task Counts_made_before_migration_0009_carry_over_and_go_on_counting()
    {
        var folder = Directory.CreateTempSubdirectory("learnhub-reach-").FullName;
        var start = new DateTimeOffset(2026, 5, 4, 11, 30, 0, TimeSpan.Zero);
        var approvedMs = start.AddHours(-1).ToUnixTimeMilliseconds();
        try
        {
            await using (var database = await DatabaseAsync(folder))
            {
                await MigrateBeforeAsync(database, version: 9);
                await using var connection = await database.OpenAsync(CancellationToken.None);
                await connection.ExecuteAsync(
                    """
                    INSERT INTO users (id, handle, display_name, roles, time_zone, created_at_ms, certified)
                    VALUES ('u_old_coco', 'wanhongcoco', '万红coco', 'instructor,viewer', 'Asia/Shanghai', 0, 1),
                           ('u_old_fan', 'xiaoli', '小李', 'viewer', 'Asia/Shanghai', 0, 0)
                    """);
                await connection.ExecuteAsync(
                    """
                    INSERT INTO broadcasts (id, creator_id, request_id, content_hash, kind, text, status, agreement_version, week_start_ms,
                        submitted_at_ms, review_deadline_ms, decided_at_ms, approved_at_ms, eligible_at_approval, received_count, read_count)
                    VALUES ('b_00000000000000000000000000000001', 'u_old_coco', 'req-1', 'h1', 1, '第19章讲义已上传', 2, '2024-01', 0,
                            @submitted, @deadline, @approved, @approved, 9, 7, 3),
                           ('b_00000000000000000000000000000002', 'u_old_coco', 'req-2', 'h2', 1, '第20章讲义已上传', 2, '2024-01', 0,
                            @submitted, @deadline, @approved, @approved, 9, 0, 0)
                    """,
                    new { submitted = approvedMs - 60_000, deadline = approvedMs + 86_400_000, approved = approvedMs });
                // A follower who received the first one before the upgrade (unread).
                await connection.ExecuteAsync(
                    """
                    INSERT INTO follows (follower_id, creator_id, created_at_ms) VALUES ('u_old_fan', 'u_old_coco', 0);
                    INSERT INTO inbox_messages (follower_id, broadcast_id, received_at_ms) VALUES ('u_old_fan', 'b_00000000000000000000000000000001', @approved)
                    """,
                    new { approved = approvedMs });
            }

            await using var app = await LearnHubApp.StartAsync(dataDirectory: folder, clock: new FakeTimeProvider(start) { AutoAdvanceAmount = TimeSpan.Zero });
            var creator = await SignInAsync(app, "u_old_coco");
            var fan = await app.CreateUserAsync("xiaowang");
            await fan.Follows.FollowAsync(new FollowRequest { CreatorId = creator.Id });

            Assert.Equal(2, (await CheckInAsync(fan)).NewlyReceived);
            await fan.Inbox.MarkInboxReadAsync(new MarkInboxReadRequest { MessageIds = { "b_00000000000000000000000000000002" } });

            var records = (await creator.Broadcasts.ListMyBroadcastsAsync(new ListMyBroadcastsRequest { PageSize = 10 })).Broadcasts;
            Assert.Equal(
                [("b_00000000000000000000000000000002", 1L, 1L), ("b_00000000000000000000000000000001", 8L, 3L)],
                records.Select(b => (b.Id, b.Reach.Received, b.Reach.Read)));

            // The old message knows its creator after the upgrade: muting the creator takes it off the badge.
            var oldFan = await SignInAsync(app, "u_old_fan");
            var summary = await CheckInAsync(oldFan);
            Assert.Equal((1, 2, 2), (summary.NewlyReceived, summary.Unread, summary.Total));
            await oldFan.Follows.SetCreatorPreferenceAsync(new SetCreatorPreferenceRequest { CreatorId = creator.Id, Muted = true });
            var muted = await SummaryAsync(oldFan);
            Assert.Equal((0, 2), (muted.Unread, muted.Total));
        }
        finally
        {
            await TestStore.ForgetAsync(folder);
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task<TestUser> SignInAsync(LearnHubApp app, string userId)
    {
        var user = await app.Services.GetRequiredService<UserStore>().FindAsync(userId, CancellationToken.None);
        Assert.NotNull(user);
        return new TestUser(user.Id, user.Handle, app.Services.GetRequiredService<TokenIssuer>().Issue(user, LearnHubApp.TestTokenLifetime), app);
    }

    private static async Task<Database> DatabaseAsync(string folder)
    {
        var options = new StorageOptions();
        await TestStore.ApplyAsync(options, folder);
        return new Database(Options.Create(options));
    }

    /// <summary>Brings the store to where a release before <paramref name="version"/> left it, as the migrator would have.</summary>
    private static async Task MigrateBeforeAsync(Database database, long version)
    {
        await using var connection = await database.OpenAsync(CancellationToken.None);
        await connection.ExecuteAsync(
            "CREATE TABLE schema_migrations (version bigint PRIMARY KEY, name text NOT NULL, applied_at_ms bigint NOT NULL)");
        foreach (var script in Migrator.Scripts(database.Provider).Where(s => s.Version < version))
        {
            await connection.ExecuteAsync(script.Sql);
            await connection.ExecuteAsync("INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (@Version, @Name, 0)", new { script.Version, script.Name });
        }
    }
}
