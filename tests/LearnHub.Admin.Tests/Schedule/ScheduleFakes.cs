using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using LearnHub.Admin.Services;
using LearnHub.Admin.Tests.Infrastructure;
using LearnHub.Api.V1;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace LearnHub.Admin.Tests.Schedule;

/// <summary>Sessions, courses and server-shaped refusals for the schedule tests.</summary>
internal static class ScheduleFakes
{
    public const string Me = "u_tester";

    /// <summary>A signed-in instructor (or the given roles) in <paramref name="timeZone"/>, with the fake API and clock.</summary>
    public static AdminTestContext Context(string timeZone = "Asia/Shanghai", params string[] roles) => new(timeZone, roles);

    public static Session Session(string id, string title, DateTimeOffset start, int minutes = 60,
        SessionStatus status = SessionStatus.Scheduled, int reservations = 0, long version = 1) => new()
        {
            Id = id,
            Title = title,
            InstructorId = Me,
            InstructorName = "tester",
            PlannedStart = Timestamp.FromDateTimeOffset(start),
            PlannedEnd = Timestamp.FromDateTimeOffset(start.AddMinutes(minutes)),
            DurationMinutes = minutes,
            TimeZone = "Asia/Shanghai",
            Status = status,
            ReservationCount = reservations,
            Version = version,
        };

    public static Course Course(string id, string title, params string[] chapters)
    {
        var course = new Course { Id = id, Title = title, InstructorId = Me, Version = 1 };
        for (var i = 0; i < chapters.Length; i++)
        {
            course.Chapters.Add(new Chapter { Id = $"{id}_ch{i + 1}", Position = i + 1, Title = chapters[i] });
        }
        return course;
    }

    /// <summary>INVALID_ARGUMENT with field violations, as the server's RpcErrors.Invalid builds it.</summary>
    public static RpcException Invalid(params (string Field, string Message)[] violations) => new Google.Rpc.Status
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

    /// <summary>FAILED_PRECONDITION naming the overlapping session, as RpcErrors.ScheduleConflict builds it.</summary>
    public static RpcException Conflict(string field, string conflictingId, string conflictingTitle)
    {
        var message = $"与已安排的直播《{conflictingTitle}》(05-04 19:30–21:00 Asia/Shanghai) 时间冲突 (overlaps session {conflictingId}).";
        return new Google.Rpc.Status
        {
            Code = (int)Code.FailedPrecondition,
            Message = message,
            Details =
            {
                Any.Pack(new BadRequest { FieldViolations = { new BadRequest.Types.FieldViolation { Field = field, Description = message } } }),
                Any.Pack(new ErrorInfo
                {
                    Reason = "SCHEDULE_CONFLICT",
                    Domain = "learnhub",
                    Metadata = { ["conflicting_session_id"] = conflictingId, ["conflicting_session_title"] = conflictingTitle },
                }),
            },
        }.ToRpcException();
    }

    /// <summary>ABORTED for a stale expected_version, as RpcErrors.Stale builds it.</summary>
    public static RpcException Stale(long expected, long actual) => new Google.Rpc.Status
    {
        Code = (int)Code.Aborted,
        Message = $"内容已被修改,请刷新后重试 (stale: expected version {expected}, current {actual}).",
        Details =
        {
            Any.Pack(new BadRequest { FieldViolations = { new BadRequest.Types.FieldViolation { Field = "expected_version", Description = $"current version is {actual}" } } }),
            Any.Pack(new ErrorInfo { Reason = "STALE_VERSION", Domain = "learnhub" }),
        },
    }.ToRpcException();

    public static RpcException FailedPrecondition(string field, string message) => new Google.Rpc.Status
    {
        Code = (int)Code.FailedPrecondition,
        Message = message,
        Details = { Any.Pack(new BadRequest { FieldViolations = { new BadRequest.Types.FieldViolation { Field = field, Description = message } } }) },
    }.ToRpcException();

    /// <summary>Renders <typeparamref name="TPage"/> under the popover, dialog and snackbar providers, as the layout does.</summary>
    public static IRenderedComponent<ScheduleHost> RenderWithProviders<TPage>(this AdminTestContext context, Action<ComponentParameterCollectionBuilder<TPage>>? parameters = null)
        where TPage : IComponent =>
        context.Render<ScheduleHost>(p => p.AddChildContent<TPage>(parameters ?? (_ => { })));

    /// <summary>Makes every call to <paramref name="method"/> wait until the returned gate is opened (a save "in flight").</summary>
    public static TaskCompletionSource HoldCalls(this AdminTestContext context, string method)
    {
        var gated = new GatedInvoker(context.Api, method);
        context.Services.AddScoped(_ => new LearnHubApi(gated));
        return gated.Gate;
    }

    private sealed class GatedInvoker(FakeApi inner, string gatedMethod) : CallInvoker
    {
        public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request)
        {
            var call = inner.AsyncUnaryCall(method, host, options, request);
            return method.Name != gatedMethod
                ? call
                : new AsyncUnaryCall<TResponse>(AfterGate(call.ResponseAsync), call.ResponseHeadersAsync, call.GetStatus, call.GetTrailers, call.Dispose);
        }

        private async Task<T> AfterGate<T>(Task<T> response)
        {
            await Gate.Task;
            return await response;
        }

        public override TResponse BlockingUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) =>
            inner.BlockingUnaryCall(method, host, options, request);

        public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) =>
            inner.AsyncServerStreamingCall(method, host, options, request);

        public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options) =>
            inner.AsyncClientStreamingCall(method, host, options);

        public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options) =>
            inner.AsyncDuplexStreamingCall(method, host, options);
    }
}
