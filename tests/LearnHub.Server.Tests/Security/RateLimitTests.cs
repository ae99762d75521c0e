using System.Reflection;
using Google.Rpc;
using Grpc.Core;
using LearnHub.Api.V1;
using LearnHub.Server.Grpc;
using LearnHub.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.RateLimiting;

namespace LearnHub.Server.Tests.Security;

/// <summary>
/// Per-user token buckets. They refill on the wall clock (not the fake one), so the limits are chosen to make
/// that irrelevant: a write bucket refills one token a full minute after its first use, far beyond the
/// milliseconds these calls take, and the read test counts until the first refusal instead of assuming when
/// it comes.
/// </summary>
public sealed class RateLimitTests
{
    [Fact]
    public async Task The_write_after_the_burst_is_refused_with_retry_info_and_writes_nothing()
    {
        await using var app = await LearnHubApp.StartAsync(new Dictionary<string, string?>
        {
            ["RateLimits:WriteBurst"] = "3",
            ["RateLimits:WritesPerMinute"] = "1",
        });
        var teacher = await app.CreateUserAsync("teacher", "instructor");
        var colleague = await app.CreateUserAsync("colleague", "instructor");

        for (var i = 1; i <= 3; i++)
        {
            await teacher.Courses.CreateCourseAsync(new CreateCourseRequest { Title = $"经济基础 {i}" });
        }
        var refused = await Assert.ThrowsAsync<RpcException>(() =>
            teacher.Courses.CreateCourseAsync(new CreateCourseRequest { Title = "经济基础 4" }).ResponseAsync);

        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        var retry = refused.GetRpcStatus()?.GetDetail<RetryInfo>();
        Assert.NotNull(retry);
        // One token a minute: the next write is possible within a minute.
        Assert.InRange(retry.RetryDelay.ToTimeSpan(), TimeSpan.FromTicks(1), TimeSpan.FromMinutes(1));
        Assert.Equal(3, (await teacher.Courses.ListCoursesAsync(new ListCoursesRequest { InstructorId = teacher.Id })).Courses.Count);

        // Other writes of the same user share the bucket; other users and the user's reads have their own.
        var otherWrite = await Assert.ThrowsAsync<RpcException>(() =>
            teacher.Identity.UpdateMyTimeZoneAsync(new UpdateMyTimeZoneRequest { TimeZone = "Europe/Berlin" }).ResponseAsync);
        Assert.Equal(StatusCode.ResourceExhausted, otherWrite.StatusCode);
        Assert.Equal("Asia/Shanghai", (await teacher.Identity.GetMeAsync(new GetMeRequest())).TimeZone);
        await colleague.Courses.CreateCourseAsync(new CreateCourseRequest { Title = "人力资源管理" });
        for (var i = 0; i < 10; i++)
        {
            await teacher.Courses.ListCoursesAsync(new ListCoursesRequest());
        }
    }

    [Fact]
    public async Task Reads_past_their_burst_are_refused_without_touching_writes_or_other_users()
    {
        const int readBurst = 5;
        await using var app = await LearnHubApp.StartAsync(new Dictionary<string, string?>
        {
            ["RateLimits:ReadBurst"] = readBurst.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["RateLimits:ReadsPerSecond"] = "1",
        });
        var viewer = await app.CreateUserAsync("viewer");
        var other = await app.CreateUserAsync("other");

        // One token comes back per second of wall time; calls taking milliseconds run out long before 50.
        var served = 0;
        RpcException? refused = null;
        while (refused is null && served < 50)
        {
            try
            {
                await viewer.Identity.GetMeAsync(new GetMeRequest());
                served++;
            }
            catch (RpcException e)
            {
                refused = e;
            }
        }

        Assert.NotNull(refused);
        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        Assert.NotNull(refused.GetRpcStatus()?.GetDetail<RetryInfo>());
        Assert.InRange(served, readBurst, 49);
        await other.Identity.GetMeAsync(new GetMeRequest());
        var updated = await viewer.Identity.UpdateMyTimeZoneAsync(new UpdateMyTimeZoneRequest { TimeZone = "Europe/Berlin" });
        Assert.Equal("Europe/Berlin", updated.TimeZone);
    }

    [Fact]
    public async Task Checking_in_is_a_write_and_shares_the_write_bucket()
    {
        await using var app = await LearnHubApp.StartAsync(new Dictionary<string, string?>
        {
            ["RateLimits:WriteBurst"] = "2",
            ["RateLimits:WritesPerMinute"] = "1",
        });
        var viewer = await app.CreateUserAsync("viewer");
        var creator = await app.CreateUserAsync("creator");

        await viewer.Inbox.CheckInAsync(new CheckInRequest());
        await viewer.Inbox.CheckInAsync(new CheckInRequest());
        var checkIn = await Assert.ThrowsAsync<RpcException>(() => viewer.Inbox.CheckInAsync(new CheckInRequest()).ResponseAsync);
        var follow = await Assert.ThrowsAsync<RpcException>(() => viewer.Follows.FollowAsync(new FollowRequest { CreatorId = creator.Id }).ResponseAsync);
        // Holding the inbox stream checks in first: it is a write too.
        using var watch = viewer.Inbox.WatchInbox(new WatchInboxRequest());
        var stream = await Assert.ThrowsAsync<RpcException>(() => watch.ResponseStream.MoveNext(CancellationToken.None));

        Assert.Equal(
            (StatusCode.ResourceExhausted, StatusCode.ResourceExhausted, StatusCode.ResourceExhausted),
            (checkIn.StatusCode, follow.StatusCode, stream.StatusCode));
        Assert.NotNull(checkIn.GetRpcStatus()?.GetDetail<RetryInfo>());
        // Reads have their own bucket.
        await viewer.Inbox.GetInboxSummaryAsync(new GetInboxSummaryRequest());
        Assert.Equal(0, (await creator.Follows.GetFollowCountsAsync(new GetFollowCountsRequest())).Followers);
    }

    /// <summary>Every method that changes something is on the write bucket; only those listed here only read.</summary>
    [Fact]
    public void Every_method_but_the_pure_reads_is_on_the_write_bucket()
    {
        string[] reads =
        [
            "AdminService.ListUsers", "AdminService.GetPlatformSettings",
            "FollowService.GetFollowCounts", "FollowService.ListFollowing", "FollowService.SearchCreators",
            "BroadcastService.GetQuota", "BroadcastService.ListMyBroadcasts", "BroadcastService.GetBroadcastImage",
            "BroadcastService.ListReviewQueue", "BroadcastService.ListReports",
            "InboxService.ListInbox", "InboxService.GetInboxSummary",
            "DiagnosticsService.Ping", "IdentityService.GetMe", "NotificationService.ListNotifications",
            "PresenceService.WatchSession", "PresenceService.GetSessionStats",
            "CourseService.GetCourse", "CourseService.ListCourses",
            "SessionService.GetSession", "SessionService.ListSessions", "SessionService.ListMyReservations", "SessionService.ListRecommendations",
        ];
        var services = typeof(Program).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && t.BaseType?.GetCustomAttribute<BindServiceMethodAttribute>() is not null)
            .ToList();
        var policies = new Dictionary<string, string?>();
        foreach (var service in services)
        {
            var bound = service.BaseType!.GetCustomAttribute<BindServiceMethodAttribute>()!.BindType;
            var descriptor = (Google.Protobuf.Reflection.ServiceDescriptor)bound.GetProperty("Descriptor")!.GetValue(null)!;
            foreach (var method in descriptor.Methods)
            {
                var implementation = service.GetMethod(method.Name, BindingFlags.Public | BindingFlags.Instance)!;
                policies[$"{descriptor.Name}.{method.Name}"] =
                    (implementation.GetCustomAttribute<EnableRateLimitingAttribute>() ?? service.GetCustomAttribute<EnableRateLimitingAttribute>())?.PolicyName;
            }
        }

        Assert.Equal(10, services.Count);
        Assert.Empty(reads.Except(policies.Keys));
        Assert.All(policies, p =>
        {
            var expected = reads.Contains(p.Key) ? RateLimitPolicies.Reads : RateLimitPolicies.Writes;
            Assert.True(expected == p.Value, $"{p.Key} is on {p.Value ?? "no bucket"}, expected {expected}");
        });
        Assert.Contains("InboxService.CheckIn", policies.Keys);
    }
}
