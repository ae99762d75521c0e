using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using LearnHub.Api.V1;

namespace LearnHub.Admin.Tests.Courses;

/// <summary>Courses and refusals shaped as the server sends them.</summary>
internal static class CourseTestData
{
    public static Course Course(string id = "c1", string title = "经济基础", long version = 3, params string[] chapterTitles)
    {
        var course = new Course { Id = id, Title = title, InstructorId = "u_tester", InstructorName = "tester", Description = "中级经济师", Version = version };
        for (var i = 0; i < chapterTitles.Length; i++)
        {
            course.Chapters.Add(new Chapter { Id = $"ch{i + 1}", Position = i + 1, Title = chapterTitles[i] });
        }
        return course;
    }

    public static Course Reordered(Course course, IEnumerable<string> chapterIds)
    {
        var byId = course.Chapters.ToDictionary(c => c.Id);
        var reordered = course.Clone();
        reordered.Version++;
        reordered.Chapters.Clear();
        reordered.Chapters.Add(chapterIds.Select((id, i) => new Chapter { Id = id, Position = i + 1, Title = byId[id].Title }));
        return reordered;
    }

    /// <summary>INVALID_ARGUMENT with one violation per field, as RpcErrors.Invalid builds it.</summary>
    public static RpcException Invalid(params (string Field, string Message)[] violations) =>
        new Google.Rpc.Status
        {
            Code = (int)Code.InvalidArgument,
            Message = string.Join(" ", violations.Select(v => $"{v.Field}: {v.Message}")),
            Details =
            {
                Any.Pack(new BadRequest
                {
                    FieldViolations = { violations.Select(v => new BadRequest.Types.FieldViolation { Field = v.Field, Description = v.Message }) },
                }),
            },
        }.ToRpcException();

    public static RpcException FailedPrecondition(string field, string message) =>
        new Google.Rpc.Status
        {
            Code = (int)Code.FailedPrecondition,
            Message = message,
            Details = { Any.Pack(new BadRequest { FieldViolations = { new BadRequest.Types.FieldViolation { Field = field, Description = message } } }) },
        }.ToRpcException();

    public static RpcException ScheduleConflict(string sessionId, string title)
    {
        var message = $"与已安排的直播《{title}》时间冲突 (overlaps session {sessionId}).";
        return new Google.Rpc.Status
        {
            Code = (int)Code.FailedPrecondition,
            Message = message,
            Details =
            {
                Any.Pack(new BadRequest { FieldViolations = { new BadRequest.Types.FieldViolation { Field = "start_date", Description = message } } }),
                Any.Pack(new ErrorInfo
                {
                    Reason = "SCHEDULE_CONFLICT",
                    Domain = "learnhub",
                    Metadata = { ["conflicting_session_id"] = sessionId, ["conflicting_session_title"] = title },
                }),
            },
        }.ToRpcException();
    }

    public static RpcException Stale(long expected, long actual) =>
        new Google.Rpc.Status
        {
            Code = (int)Code.Aborted,
            Message = $"内容已被修改,请刷新后重试 (stale: expected version {expected}, current {actual}).",
        }.ToRpcException();
}
