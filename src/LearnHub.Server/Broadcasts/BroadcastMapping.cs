using LearnHub.Core.Broadcasts;
using LearnHub.Server.Grpc;
using Proto = LearnHub.Api.V1;

namespace LearnHub.Server.Broadcasts;

public static class BroadcastMapping
{
    public static Proto.Broadcast ToProto(this BroadcastRow row, DateTimeOffset now)
    {
        var broadcast = new Proto.Broadcast
        {
            Id = row.Id,
            CreatorId = row.CreatorId,
            CreatorName = row.CreatorName,
            Kind = (Proto.BroadcastKind)row.Kind,
            Text = row.Text,
            ImageContentType = row.ImageContentType ?? "",
            ImageWidth = row.ImageWidth ?? 0,
            ImageHeight = row.ImageHeight ?? 0,
            Status = (Proto.BroadcastStatus)(int)row.Status,
            SubmitTime = ProtoTime.FromMs(row.SubmittedAtMs),
            DecideTime = ProtoTime.FromMs(row.DecidedAtMs),
            Reason = row.Reason ?? "",
            AgreementVersion = row.AgreementVersion,
            WeekStart = ProtoTime.FromMs(row.WeekStartMs),
            ReviewDeadline = row.Status == BroadcastState.Pending ? ProtoTime.FromMs(row.ReviewDeadlineMs) : null,
        };
        if (row.ApprovedAtMs is { } approved)
        {
            var deliveryEnd = approved + (long)BroadcastRules.DeliveryWindow.TotalMilliseconds;
            broadcast.DeliveryEnd = ProtoTime.FromMs(deliveryEnd);
            broadcast.Reach = new Proto.BroadcastReach
            {
                EligibleAtApproval = row.EligibleAtApproval ?? 0,
                Received = row.ReceivedCount,
                Read = row.ReadCount,
                WindowClosed = now.ToUnixTimeMilliseconds() >= deliveryEnd || row.Status == BroadcastState.TakenDown,
            };
        }
        return broadcast;
    }
}
