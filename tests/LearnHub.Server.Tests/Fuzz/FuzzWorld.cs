using Grpc.Core;
using LearnHub.Api.V1;
using LearnHub.Server.Tests.Broadcasts;
using LearnHub.Server.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace LearnHub.Server.Tests.Fuzz;

/// <summary>
/// A host with the three roles the fuzzer calls as (a plain viewer, a certified instructor and creator, a reviewer who
/// is also admin) and real objects of every kind for its ids to name: a course with chapters; sessions scheduled, live,
/// ended and cancelled, of this instructor and of another; reservations, notices, follows, broadcasts approved and
/// pending, inbox messages and reports; and a page token of every list, as each role gets it.
/// </summary>
public sealed class FuzzWorld : IAsyncDisposable
{
    private FuzzWorld(LearnHubApp app, TestUser viewer, TestUser creator, TestUser staff, FuzzPools pools)
    {
        App = app;
        Viewer = viewer;
        Creator = creator;
        Staff = staff;
        Pools = pools;
    }

    public LearnHubApp App { get; }

    public TestUser Viewer { get; }

    public TestUser Creator { get; }

    public TestUser Staff { get; }

    /// <summary>The roles in a fixed order (a seed names a role by its index).</summary>
    public IReadOnlyList<TestUser> Roles => [Viewer, Creator, Staff];

    public FuzzPools Pools { get; }

    public static async Task<FuzzWorld> StartAsync()
    {
        var app = await LearnHubApp.StartAsync(clock: new FakeTimeProvider(Scenario.Start) { AutoAdvanceAmount = TimeSpan.Zero });
        try
        {
            return await BuildAsync(app);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    private static async Task<FuzzWorld> BuildAsync(LearnHubApp app)
    {
        var viewer = await app.CreateNamedUserAsync("fuzz-viewer", "学员小王", "viewer");
        var creator = await app.CreateNamedUserAsync("fuzz-creator", "万红coco", "instructor");
        var staff = await app.CreateNamedUserAsync("fuzz-staff", "审核管理员", "reviewer", "admin");
        var other = await app.CreateNamedUserAsync("fuzz-other", "李老师", "instructor");
        var victims = new[] { await app.CreateUserAsync("fuzz-victim-1", "instructor"), await app.CreateUserAsync("fuzz-victim-2") };
        foreach (var certified in new[] { creator, other })
        {
            await staff.Admin.SetCertifiedAsync(new SetCertifiedRequest { UserId = certified.Id, Certified = true });
        }
        var now = app.Now();
        var ids = new List<string> { viewer.Id, creator.Id, staff.Id, other.Id };

        var course = await creator.Courses.CreateCourseAsync(new CreateCourseRequest { Title = "经济基础", ChapterTitles = { "第19章", "第20章", "第21章" } });
        var secondCourse = await creator.Courses.CreateCourseAsync(new CreateCourseRequest { Title = "人力资源管理", ChapterTitles = { "第1章" } });
        ids.AddRange([course.Id, secondCourse.Id, .. course.Chapters.Select(c => c.Id), .. secondCourse.Chapters.Select(c => c.Id)]);

        var ended = await creator.ScheduleAsync(now.AddMinutes(10), 30, "经济基础阶段测试1");
        await creator.Sessions.GoLiveAsync(new GoLiveRequest { SessionId = ended.Id });
        await creator.Sessions.EndSessionAsync(new EndSessionRequest { SessionId = ended.Id });
        var live = await creator.ScheduleAsync(now.AddMinutes(10), 60, "经济基础阶段测试2试题讲解");
        await creator.Sessions.GoLiveAsync(new GoLiveRequest { SessionId = live.Id });
        var scheduled = await creator.ScheduleAsync(Scenario.Shanghai(2, 19, 30), 90, "经济基础第19章考点梳理", course.Id, course.Chapters[0].Id);
        var later = await creator.ScheduleAsync(Scenario.Shanghai(4, 19, 30), 90, "经济基础第20章考点梳理", course.Id, course.Chapters[1].Id);
        var cancelled = await creator.ScheduleAsync(Scenario.Shanghai(6, 19, 30), 60, "经济基础答疑");
        var others = await other.ScheduleAsync(Scenario.Shanghai(2, 19, 30), 60, "李老师的直播");
        foreach (var user in new[] { viewer, staff })
        {
            await user.ReserveAsync(scheduled.Id);
            await user.ReserveAsync(later.Id);
            await user.ReserveAsync(cancelled.Id);
        }
        // Notices for the reserved viewers: a reschedule and a cancellation.
        await creator.Sessions.UpdateSessionAsync(new UpdateSessionRequest { SessionId = later.Id, PlannedStart = Scenario.Ts(Scenario.Shanghai(5, 19, 30)) });
        await creator.Sessions.CancelSessionAsync(new CancelSessionRequest { SessionId = cancelled.Id, Reason = "讲师临时有事" });
        ids.AddRange([ended.Id, live.Id, scheduled.Id, later.Id, cancelled.Id, others.Id]);

        foreach (var fan in new[] { viewer, staff })
        {
            await fan.Follows.FollowAsync(new FollowRequest { CreatorId = creator.Id });
            await fan.Follows.FollowAsync(new FollowRequest { CreatorId = other.Id });
        }
        var agreement = (await creator.Broadcasts.GetQuotaAsync(new GetQuotaRequest())).AgreementVersion;
        var published = new List<Broadcast>();
        for (var i = 1; i <= 2; i++)
        {
            var submitted = await creator.Broadcasts.SubmitBroadcastAsync(new SubmitBroadcastRequest
            {
                RequestId = $"fuzz-world-{i}",
                Kind = BroadcastKind.Text,
                Text = $"本周直播安排 {i}",
                AgreedToAgreement = true,
                AgreementVersion = agreement,
            });
            published.Add(await staff.Broadcasts.ApproveBroadcastAsync(new ApproveBroadcastRequest { BroadcastId = submitted.Id }));
        }
        var png = TestImages.Png(8, 8);
        var pending = new[]
        {
            await other.Broadcasts.SubmitBroadcastAsync(new SubmitBroadcastRequest
            {
                RequestId = "fuzz-world-pending-1", Kind = BroadcastKind.Text, Text = "待审核的群发", AgreedToAgreement = true, AgreementVersion = agreement,
            }),
            await other.Broadcasts.SubmitBroadcastAsync(new SubmitBroadcastRequest
            {
                RequestId = "fuzz-world-pending-2", Kind = BroadcastKind.Image, Image = Google.Protobuf.ByteString.CopyFrom(png), AgreedToAgreement = true, AgreementVersion = agreement,
            }),
        };
        ids.AddRange([.. published.Select(b => b.Id), .. pending.Select(b => b.Id)]);
        foreach (var fan in new[] { viewer, staff })
        {
            await fan.Inbox.CheckInAsync(new CheckInRequest());
        }
        foreach (var broadcast in published)
        {
            var report = await viewer.Inbox.ReportBroadcastAsync(new ReportBroadcastRequest { MessageId = broadcast.Id, Reason = "广告" });
            ids.Add(report.Id);
        }

        var notificationIds = (await viewer.NotificationsAsync()).Select(n => n.Id).Concat((await staff.NotificationsAsync()).Select(n => n.Id)).ToList();
        var tokens = new List<string>();
        foreach (var user in new[] { viewer, creator, staff })
        {
            tokens.AddRange(await FirstPageTokensAsync(user));
        }
        Assert.True(tokens.Count >= 20, $"the world should give page tokens of most lists; got {tokens.Count}");

        var pools = new FuzzPools(
            ids,
            [.. victims.Select(v => v.Id)],
            tokens,
            ["fuzz-viewer", "fuzz-creator", "万红", "coco", "李", "fuzz", "FUZZ-CREATOR"],
            notificationIds,
            agreement,
            png,
            now);
        return new FuzzWorld(app, viewer, creator, staff, pools);
    }

    /// <summary>The next-page token of the first one-item page of every list the user may read.</summary>
    private static async Task<List<string>> FirstPageTokensAsync(TestUser user)
    {
        var calls = new List<Func<Task<string>>>
        {
            async () => (await user.Sessions.ListSessionsAsync(new ListSessionsRequest { PageSize = 1 })).NextPageToken,
            async () => (await user.Sessions.ListMyReservationsAsync(new ListMyReservationsRequest { PageSize = 1, IncludePast = true })).NextPageToken,
            async () => (await user.Sessions.ListRecommendationsAsync(new ListRecommendationsRequest { PageSize = 1 })).NextPageToken,
            async () => (await user.Courses.ListCoursesAsync(new ListCoursesRequest { PageSize = 1 })).NextPageToken,
            async () => (await user.Notifications.ListNotificationsAsync(new ListNotificationsRequest { PageSize = 1 })).NextPageToken,
            async () => (await user.Follows.ListFollowingAsync(new ListFollowingRequest { PageSize = 1 })).NextPageToken,
            async () => (await user.Inbox.ListInboxAsync(new ListInboxRequest { PageSize = 1 })).NextPageToken,
            async () => (await user.Broadcasts.ListMyBroadcastsAsync(new ListMyBroadcastsRequest { PageSize = 1 })).NextPageToken,
            async () => (await user.Broadcasts.ListReviewQueueAsync(new ListReviewQueueRequest { PageSize = 1 })).NextPageToken,
            async () => (await user.Broadcasts.ListReportsAsync(new ListReportsRequest { PageSize = 1, IncludeClosed = true })).NextPageToken,
            async () => (await user.Admin.ListUsersAsync(new ListUsersRequest { PageSize = 1 })).NextPageToken,
        };
        var tokens = new List<string>();
        foreach (var call in calls)
        {
            try
            {
                if (await call() is { Length: > 0 } token)
                {
                    tokens.Add(token);
                }
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.PermissionDenied)
            {
                // Not this role's list.
            }
        }
        return tokens;
    }

    public ValueTask DisposeAsync() => App.DisposeAsync();
}
