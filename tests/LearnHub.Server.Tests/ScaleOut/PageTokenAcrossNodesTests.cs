using Grpc.Core;
using LearnHub.Api.V1;
using LearnHub.Server.Tests.Infrastructure;

namespace LearnHub.Server.Tests.ScaleOut;

/// <summary>Page tokens are signed with a key every node derives from the shared signing key: any node reads any node's.</summary>
public sealed class PageTokenAcrossNodesTests
{
    [Fact]
    public async Task A_page_token_from_one_node_reads_the_next_page_on_the_other_and_stays_bound_to_its_user()
    {
        await using var nodes = await TwoNodes.StartAsync();
        var teacher = await nodes.A.CreateUserAsync("teacher", "instructor");
        var other = await nodes.A.CreateUserAsync("other", "instructor");
        foreach (var title in new[] { "经济基础", "人力资源管理", "财政税收" })
        {
            await teacher.Courses.CreateCourseAsync(new CreateCourseRequest { Title = title });
        }
        var onA = await teacher.Courses.ListCoursesAsync(new ListCoursesRequest { PageSize = 1 });
        var secondOnA = await teacher.Courses.ListCoursesAsync(new ListCoursesRequest { PageSize = 1, PageToken = onA.NextPageToken });

        var secondOnB = await nodes.OnB(teacher).Courses.ListCoursesAsync(new ListCoursesRequest { PageSize = 1, PageToken = onA.NextPageToken });

        Assert.Equal(secondOnA.Courses.Single().Id, secondOnB.Courses.Single().Id);
        await Refusal.AssertAsync(StatusCode.InvalidArgument, "page_token", async () =>
            await nodes.OnB(other).Courses.ListCoursesAsync(new ListCoursesRequest { PageSize = 1, PageToken = onA.NextPageToken }));
    }
}
