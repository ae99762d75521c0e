using Google.Rpc;
using Grpc.Core;
using LearnHub.Api.V1;
using LearnHub.Server.Tests.Infrastructure;

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
}
