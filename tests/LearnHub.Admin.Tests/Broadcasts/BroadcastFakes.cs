using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using LearnHub.Admin.Tests.Infrastructure;
using LearnHub.Admin.Tests.Schedule;
using LearnHub.Api.V1;

namespace LearnHub.Admin.Tests.Broadcasts;

/// <summary>Quotas, broadcasts, inbox messages and server-shaped refusals for the broadcast page tests.</summary>
internal static class BroadcastFakes
{
    public const string Me = "u_tester";

    public static readonly TimeSpan Within = TimeSpan.FromSeconds(5);

    /// <summary>The context's clock: 2026-05-01 02:00 UTC, a Friday (10:00 in Asia/Shanghai).</summary>
    public static readonly DateTimeOffset Now = new(2026, 5, 1, 2, 0, 0, TimeSpan.Zero);

    /// <summary>Monday 2026-04-27 00:00 in Asia/Shanghai.</summary>
    public static readonly DateTimeOffset WeekStart = new(2026, 4, 26, 16, 0, 0, TimeSpan.Zero);

    /// <summary>A 1×1 PNG.</summary>
    public static readonly byte[] Png = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==");

    public static AdminTestContext Context(params string[] roles) => new("Asia/Shanghai", roles.Length == 0 ? ["viewer"] : roles);

    public static BroadcastQuota Quota(int remaining = 2, bool certified = true, int frozen = -1, int consumed = 0) => new()
    {
        Limit = 2,
        Frozen = frozen >= 0 ? frozen : 2 - remaining - consumed,
        Consumed = consumed,
        Remaining = remaining,
        WeekStart = Timestamp.FromDateTimeOffset(WeekStart),
        WeekEnd = Timestamp.FromDateTimeOffset(WeekStart.AddDays(7)),
        TimeZone = "Asia/Shanghai",
        Certified = certified,
        AgreementVersion = "2026-05",
    };

    public static Broadcast Text(string id, string text, BroadcastStatus status = BroadcastStatus.Pending, string creatorId = "u_wanhong",
        string creatorName = "万红coco", DateTimeOffset? submitted = null) => new()
        {
            Id = id,
            CreatorId = creatorId,
            CreatorName = creatorName,
            Kind = BroadcastKind.Text,
            Text = text,
            Status = status,
            SubmitTime = Timestamp.FromDateTimeOffset(submitted ?? Now.AddHours(-3)),
            ReviewDeadline = Timestamp.FromDateTimeOffset((submitted ?? Now.AddHours(-3)).AddDays(7)),
            AgreementVersion = "2026-05",
            WeekStart = Timestamp.FromDateTimeOffset(WeekStart),
        };

    public static Broadcast Image(string id, BroadcastStatus status = BroadcastStatus.Pending, string creatorId = "u_wanhong", string creatorName = "万红coco")
    {
        var broadcast = Text(id, string.Empty, status, creatorId, creatorName);
        broadcast.Kind = BroadcastKind.Image;
        broadcast.ImageContentType = "image/png";
        broadcast.ImageWidth = 1;
        broadcast.ImageHeight = 1;
        return broadcast;
    }

    public static BroadcastImage ImageBytes() => new() { ContentType = "image/png", Data = ByteString.CopyFrom(Png), Width = 1, Height = 1 };

    public static Broadcast Decided(this Broadcast broadcast, BroadcastStatus status, DateTimeOffset at, string reason = "")
    {
        broadcast.Status = status;
        broadcast.DecideTime = Timestamp.FromDateTimeOffset(at);
        broadcast.Reason = reason;
        if (status is BroadcastStatus.Approved or BroadcastStatus.TakenDown)
        {
            broadcast.DeliveryEnd = Timestamp.FromDateTimeOffset(at.AddHours(72));
        }
        return broadcast;
    }

    public static InboxMessage Message(string id, Broadcast broadcast, bool read = false, bool muted = false, DateTimeOffset? received = null) => new()
    {
        Id = id,
        Broadcast = broadcast,
        ReceiveTime = Timestamp.FromDateTimeOffset(received ?? Now.AddMinutes(-5)),
        Read = read,
        Muted = muted,
    };

    /// <summary>A refusal with a google.rpc.ErrorInfo reason, as the server's RpcErrors build them.</summary>
    public static RpcException Refused(Code code, string message, string? reason = null)
    {
        var status = new Google.Rpc.Status { Code = (int)code, Message = message };
        if (reason is not null)
        {
            status.Details.Add(Any.Pack(new ErrorInfo { Reason = reason, Domain = "learnhub" }));
        }
        return status.ToRpcException();
    }

    public static RpcException Invalid(params (string Field, string Message)[] violations) => ScheduleFakes.Invalid(violations);

    public static string Text(this IRenderedComponent<ScheduleHost> cut, string testId) => cut.Find($"[data-testid={testId}]").TextContent.Trim();

    public static bool Disabled(this IRenderedComponent<ScheduleHost> cut, string testId)
    {
        var element = cut.Find($"[data-testid={testId}]");
        var control = element.TagName is "BUTTON" or "INPUT" or "TEXTAREA" ? element : element.QuerySelector("button, input, textarea") ?? element;
        return control.HasAttribute("disabled");
    }

    public static bool Has(this IRenderedComponent<ScheduleHost> cut, string testId) => cut.FindAll($"[data-testid={testId}]").Count > 0;

    /// <summary>Confirms the open confirmation dialog (the shared ConfirmDialog).</summary>
    public static void Confirm(this IRenderedComponent<ScheduleHost> cut)
    {
        cut.WaitForElement("[data-testid=confirm-yes]", Within);
        ScheduleUi.Click(cut, "confirm-yes");
    }
}
