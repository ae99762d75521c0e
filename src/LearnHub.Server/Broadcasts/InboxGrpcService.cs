using Grpc.Core;
using LearnHub.Api.V1;
using LearnHub.Core.Broadcasts;
using LearnHub.Core.Common;
using LearnHub.Server.Data;
using LearnHub.Server.Grpc;
using LearnHub.Server.Identity;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.RateLimiting;

namespace LearnHub.Server.Broadcasts;

[Authorize]
[EnableRateLimiting(RateLimitPolicies.Reads)]
public sealed class InboxGrpcService(Database database, InboxDelivery delivery, PageTokens pageTokens, OpenConnections connections, TimeProvider clock) : InboxService.InboxServiceBase
{
    private const int MaxIdsPerCall = 100;

    // Checking in writes the messages it receives: a write, on the write bucket (as WatchInbox, which checks in first).
    [EnableRateLimiting(RateLimitPolicies.Writes)]
    public override async Task<InboxSummary> CheckIn(CheckInRequest request, ServerCallContext context) =>
        (await delivery.CheckInAsync(context.Caller().UserId, context.CancellationToken)).Summary;

    public override async Task<ListInboxResponse> ListInbox(ListInboxRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        var ct = context.CancellationToken;
        var size = PageToken.PageSize(request.PageSize);
        var after = pageTokens.Read(request.PageToken, nameof(ListInbox), caller.UserId);
        await using var connection = await database.OpenAsync(ct);
        var rows = await InboxStore.ListAsync(connection, caller.UserId, request.UnreadOnly, after?.Number, after?.Key, size + 1, ct);
        var page = rows.Take(size).ToList();
        var broadcasts = await BroadcastStore.FindManyAsync(connection, page.Select(r => r.BroadcastId).ToList(), ct);
        var now = clock.GetUtcNow();
        var response = new ListInboxResponse();
        response.Messages.AddRange(page.Select(r => ToProto(r, broadcasts[r.BroadcastId].ToProto(now))));
        if (rows.Count > size)
        {
            response.NextPageToken = pageTokens.Issue(nameof(ListInbox), caller.UserId, new(page[^1].ReceivedAtMs, page[^1].BroadcastId));
        }
        return response;
    }

    public override async Task<InboxSummary> GetInboxSummary(GetInboxSummaryRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        await using var connection = await database.OpenAsync(context.CancellationToken);
        var (unread, total) = await InboxStore.SummaryAsync(connection, caller.UserId, context.CancellationToken);
        return new InboxSummary { Unread = unread, Total = total };
    }

    [EnableRateLimiting(RateLimitPolicies.Writes)]
    public override async Task<InboxSummary> MarkInboxRead(MarkInboxReadRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        RpcErrors.ThrowIfAny(
            !request.All && request.MessageIds.Count == 0 ? new Core.Common.FieldError("message_ids", LocalizedText.Pick("请选择消息，或选择全部。", "Choose messages, or all of them.")) : null,
            request.MessageIds.Count > MaxIdsPerCall ? new Core.Common.FieldError("message_ids", LocalizedText.Pick($"一次最多 {MaxIdsPerCall} 条。", $"At most {MaxIdsPerCall} messages at a time.")) : null);
        for (var i = 0; i < request.MessageIds.Count; i++)
        {
            RpcErrors.ThrowIfBadId(request.MessageIds[i], $"message_ids[{i}]");
        }
        var ct = context.CancellationToken;
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await InboxStore.MarkReadAsync(connection, tx, caller.UserId, request.All ? null : request.MessageIds.Distinct().ToList(), clock.GetUtcNow().ToUnixTimeMilliseconds(), ct);
        var (unread, total) = await InboxStore.SummaryAsync(connection, caller.UserId, ct, tx);
        await tx.CommitAsync(ct);
        return new InboxSummary { Unread = unread, Total = total };
    }

    [EnableRateLimiting(RateLimitPolicies.Writes)]
    public override async Task<InboxSummary> DeleteInboxMessage(DeleteInboxMessageRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        RpcErrors.ThrowIfBadId(request.MessageId, "message_id");
        var ct = context.CancellationToken;
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (!await InboxStore.DeleteAsync(connection, tx, caller.UserId, request.MessageId, ct))
        {
            throw RpcErrors.NotFound("message_id", "inbox message", request.MessageId);
        }
        var (unread, total) = await InboxStore.SummaryAsync(connection, caller.UserId, ct, tx);
        await tx.CommitAsync(ct);
        return new InboxSummary { Unread = unread, Total = total };
    }

    [EnableRateLimiting(RateLimitPolicies.Writes)]
    public override async Task<Report> ReportBroadcast(ReportBroadcastRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        RpcErrors.ThrowIfBadId(request.MessageId, "message_id");
        RpcErrors.ThrowIfAny(BroadcastRules.CheckReason(request.Reason));
        var ct = context.CancellationToken;
        await using var connection = await database.OpenAsync(ct);
        if (!await InboxStore.HoldsAsync(connection, caller.UserId, request.MessageId, ct))
        {
            throw RpcErrors.NotFound("message_id", "inbox message", request.MessageId);
        }
        await using var tx = await connection.BeginTransactionAsync(ct);
        var report = new ReportRow
        {
            Id = $"r_{Guid.CreateVersion7():N}",
            BroadcastId = request.MessageId,
            ReporterId = caller.UserId,
            Reason = request.Reason.Trim(),
            CreatedAtMs = clock.GetUtcNow().ToUnixTimeMilliseconds(),
        };
        // One report per message and reporter: a second answers with the first.
        await InboxStore.ReportAsync(connection, tx, report, ct);
        var stored = await InboxStore.FindReportByAsync(connection, tx, request.MessageId, caller.UserId, ct);
        await tx.CommitAsync(ct);
        return BroadcastGrpcService.ToProto(stored!, null);
    }

    [EnableRateLimiting(RateLimitPolicies.Writes)]
    public override async Task WatchInbox(WatchInboxRequest request, IServerStreamWriter<InboxEvent> responseStream, ServerCallContext context)
    {
        var caller = context.Caller();
        using var stream = delivery.TryConnect(caller.UserId) ?? throw RpcErrors.ResourceExhausted(
            LocalizedText.Pick($"同时打开的消息流已达上限 {InboxDelivery.MaxStreamsPerUser} 个。", $"You already have {InboxDelivery.MaxStreamsPerUser} message streams open, the most allowed."), TimeSpan.FromSeconds(5), "TOO_MANY_STREAMS");
        // A follower whose account is deactivated (or whose sign-in is retired) stops receiving at once.
        using var connection = connections.Open(caller, endsOnRoleChange: false);
        using var open = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, connection.Ended);
        var ct = open.Token;
        try
        {
            // Being online counts as signing in: first receive what is due.
            var (_, summary) = await delivery.CheckInAsync(caller.UserId, ct);
            // Writes get the call's own token only: a write's cancelled token makes grpc-dotnet abort the request,
            // and the follower would see a broken transport instead of the status below. An ended stream stops between writes.
            await responseStream.WriteAsync(new InboxEvent { Summary = summary }, context.CancellationToken);
            await foreach (var update in stream.Events.ReadAllAsync(ct))
            {
                await responseStream.WriteAsync(update, context.CancellationToken);
            }
        }
        catch (Exception e) when (e is not RpcException && ct.IsCancellationRequested)
        {
            // The client went away, or the account's access ended (told below). A store call cancelled mid-way may
            // throw the driver's own exception rather than OperationCanceledException: it is no store fault either.
        }
        connection.ThrowIfEnded();
    }

    internal static InboxMessage ToProto(InboxRow row, Broadcast broadcast) => new()
    {
        Id = row.BroadcastId,
        Broadcast = broadcast,
        ReceiveTime = ProtoTime.FromMs(row.ReceivedAtMs),
        Read = row.ReadAtMs is not null,
        Muted = row.Muted,
        Reported = row.Reported,
    };
}
