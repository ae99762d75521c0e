using System.Security.Cryptography;
using Dapper;
using Google.Protobuf;
using Grpc.Core;
using LearnHub.Api.V1;
using LearnHub.Core.Broadcasts;
using LearnHub.Core.Common;
using LearnHub.Server.Data;
using LearnHub.Server.Grpc;
using LearnHub.Server.Identity;
using LearnHub.Server.Platform;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.RateLimiting;

namespace LearnHub.Server.Broadcasts;

[Authorize]
[EnableRateLimiting(RateLimitPolicies.Reads)]
public sealed class BroadcastGrpcService(
    Database database,
    PlatformSettingsStore settings,
    BroadcastEvents events,
    [FromKeyedServices(BroadcastRegistration.CreatorLocks)] StripedLocks creatorLocks,
    PageTokens pageTokens,
    Telemetry.LearnHubMetrics metrics,
    TimeProvider clock) : BroadcastService.BroadcastServiceBase
{
    public override async Task<BroadcastQuota> GetQuota(GetQuotaRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        var ct = context.CancellationToken;
        await using var connection = await database.OpenAsync(ct);
        return await QuotaAsync(connection, caller.UserId, ct);
    }

    [EnableRateLimiting(RateLimitPolicies.Writes)]
    public override async Task<Broadcast> SubmitBroadcast(SubmitBroadcastRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        var ct = context.CancellationToken;
        var now = clock.GetUtcNow();
        RpcErrors.ThrowIfAny(BroadcastRules.RequestId.Check(request.RequestId));
        var contentHash = ContentHash(request);

        // A creator's submits queue here, one at a time per node, before taking a pooled connection: a burst waits in
        // memory, and meets an exhausted quota in the read below instead of holding every connection of the pool while
        // it waits for the cross-node lock.
        using var creatorTurn = await creatorLocks.AcquireAsync(caller.UserId, ct);
        await using var connection = await database.OpenAsync(ct);
        // A retry answers with what the first call made, before any other check (its quota may be used up by now).
        if (await FindReplayAsync(connection, null, caller.UserId, request.RequestId, contentHash, ct) is { } replayed)
        {
            return replayed.ToProto(now);
        }
        if (!await IsCertifiedAsync(connection, caller.UserId, ct))
        {
            throw RpcErrors.PermissionDenied("creator", LocalizedText.Pick("暂无权限 — 成为认证用户，即可使用群发功能。", "Not available yet: become a certified creator to send broadcasts."));
        }
        var (image, imageError) = request.Kind == BroadcastKind.Image ? await BroadcastImages.InspectAsync(request.Image.Memory, ct) : (null, null);
        RpcErrors.ThrowIfAny(
            request.Kind switch
            {
                BroadcastKind.Text => BroadcastRules.CheckText(request.Text),
                BroadcastKind.Image => imageError,
                _ => new FieldError("kind", LocalizedText.Pick("请选择文字消息或图片消息。", "Choose a text message or an image message.")),
            },
            request.Kind == BroadcastKind.Text && !request.Image.IsEmpty ? new FieldError("image", LocalizedText.Pick("文字消息不能带图片。", "A text message carries no image.")) : null,
            request.Kind == BroadcastKind.Image && request.Text.Length > 0 ? new FieldError("text", LocalizedText.Pick("图片消息不能带文字。", "An image message carries no text.")) : null,
            BroadcastRules.CheckAgreement(request.AgreedToAgreement, request.AgreementVersion));

        var platform = await settings.GetAsync(ct);
        var week = BroadcastRules.WeekOf(now, TimeZones.FindOrDefault(platform.PlatformTimeZone));
        var weekStartMs = week.Start.ToUnixTimeMilliseconds();
        var quota = await BroadcastStore.QuotaAsync(connection, caller.UserId, weekStartMs, ct);
        if (BroadcastRules.Remaining(quota.Frozen, quota.Consumed) == 0)
        {
            throw QuotaRefused();
        }

        var nowMs = now.ToUnixTimeMilliseconds();
        var row = new BroadcastRow
        {
            Id = $"b_{Guid.CreateVersion7():N}",
            CreatorId = caller.UserId,
            RequestId = request.RequestId,
            ContentHash = contentHash,
            Kind = (int)request.Kind,
            Text = request.Kind == BroadcastKind.Text ? request.Text : "",
            ImageContentType = image?.ContentType,
            ImageWidth = image?.Width,
            ImageHeight = image?.Height,
            Status = BroadcastState.Pending,
            AgreementVersion = request.AgreementVersion,
            WeekStartMs = weekStartMs,
            SubmittedAtMs = nowMs,
            ReviewDeadlineMs = (now + platform.ReviewTimeout).ToUnixTimeMilliseconds(),
        };
        await using var tx = await connection.BeginTransactionAsync(ct);
        // The in-process turn above queues this node's submits; this holds across nodes: the replay check and the insert.
        await Database.LockAsync(connection, tx, DecisionKeys.BroadcastSubmit(caller.UserId), ct);
        if (await FindReplayAsync(connection, tx, caller.UserId, request.RequestId, contentHash, ct) is { } raced)
        {
            return raced.ToProto(now);
        }
        if (!await BroadcastStore.TryFreezeAsync(connection, tx, caller.UserId, weekStartMs, ct))
        {
            throw QuotaRefused();
        }
        await BroadcastStore.InsertAsync(connection, tx, row, image is null ? null : request.Image.ToByteArray(), ct);
        await BroadcastStore.AuditAsync(connection, tx, row.Id, caller.UserId, "submitted", null, nowMs, ct);
        var created = await BroadcastStore.FindAsync(connection, row.Id, ct, tx);
        await tx.CommitAsync(ct);
        metrics.QuotaDecided(Telemetry.QuotaOutcome.Frozen);
        return created!.ToProto(now);
    }

    [EnableRateLimiting(RateLimitPolicies.Writes)]
    public override async Task<Broadcast> WithdrawBroadcast(WithdrawBroadcastRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        return await DecideAsync(request.BroadcastId, context, Telemetry.QuotaOutcome.Returned, async (connection, tx, row, nowMs, ct) =>
        {
            if (row.CreatorId != caller.UserId)
            {
                throw RpcErrors.PermissionDenied("broadcast_id", LocalizedText.Pick("只能撤回自己的群发。", "You can withdraw only your own broadcasts."));
            }
            await MoveAsync(connection, tx, row, BroadcastState.Pending, BroadcastState.Withdrawn, nowMs, caller.UserId, null, LocalizedText.Pick("只能撤回审核中的群发。", "Only pending broadcasts can be withdrawn."), ct);
            await BroadcastStore.ReturnAsync(connection, tx, row.CreatorId, row.WeekStartMs, ct);
            await BroadcastStore.AuditAsync(connection, tx, row.Id, caller.UserId, "withdrawn", null, nowMs, ct);
        });
    }

    public override async Task<ListMyBroadcastsResponse> ListMyBroadcasts(ListMyBroadcastsRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        var ct = context.CancellationToken;
        var size = PageToken.PageSize(request.PageSize);
        var after = pageTokens.Read(request.PageToken, nameof(ListMyBroadcasts), caller.UserId);
        await using var connection = await database.OpenAsync(ct);
        var rows = await BroadcastStore.ListByCreatorAsync(connection, caller.UserId, after?.Number, after?.Key, size + 1, ct);
        var now = clock.GetUtcNow();
        var response = new ListMyBroadcastsResponse { Quota = await QuotaAsync(connection, caller.UserId, ct) };
        response.Broadcasts.AddRange(rows.Take(size).Select(r => r.ToProto(now)));
        if (rows.Count > size)
        {
            response.NextPageToken = pageTokens.Issue(nameof(ListMyBroadcasts), caller.UserId, new(rows[size - 1].SubmittedAtMs, rows[size - 1].Id));
        }
        return response;
    }

    public override async Task<BroadcastImage> GetBroadcastImage(GetBroadcastImageRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        var ct = context.CancellationToken;
        RpcErrors.ThrowIfBadId(request.BroadcastId, "broadcast_id");
        await using var connection = await database.OpenAsync(ct);
        var row = await BroadcastStore.FindAsync(connection, request.BroadcastId, ct);
        // Followers see an image only while they hold the message; a taken-down one is gone for them.
        var allowed = row is not null && (row.CreatorId == caller.UserId || caller.IsReviewer || caller.IsAdmin
            || (row.Status == BroadcastState.Approved && await InboxStore.HoldsAsync(connection, caller.UserId, row.Id, ct)));
        if (!allowed || row!.ImageContentType is null || await BroadcastStore.ImageAsync(connection, row.Id, ct) is not { } data)
        {
            throw RpcErrors.NotFound("broadcast_id", "broadcast image", request.BroadcastId);
        }
        return new BroadcastImage { ContentType = row.ImageContentType, Data = ByteString.CopyFrom(data), Width = row.ImageWidth ?? 0, Height = row.ImageHeight ?? 0 };
    }

    public override async Task<ListReviewQueueResponse> ListReviewQueue(ListReviewQueueRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        caller.EnsureReviewer();
        var ct = context.CancellationToken;
        var size = PageToken.PageSize(request.PageSize);
        var after = pageTokens.Read(request.PageToken, nameof(ListReviewQueue), caller.UserId);
        await using var connection = await database.OpenAsync(ct);
        var rows = await BroadcastStore.ListPendingAsync(connection, after?.Number, after?.Key, size + 1, ct);
        var now = clock.GetUtcNow();
        var response = new ListReviewQueueResponse
        {
            TotalPending = await BroadcastStore.CountPendingAsync(connection, ct),
            ExpectedReviewSeconds = await ExpectedReviewSecondsAsync(connection, ct),
        };
        response.Items.AddRange(rows.Take(size).Select(r => new ReviewItem
        {
            Broadcast = r.ToProto(now),
            WaitedSeconds = Math.Max(0, (now.ToUnixTimeMilliseconds() - r.SubmittedAtMs) / 1000),
            ReviewDeadline = ProtoTime.FromMs(r.ReviewDeadlineMs),
        }));
        if (rows.Count > size)
        {
            response.NextPageToken = pageTokens.Issue(nameof(ListReviewQueue), caller.UserId, new(rows[size - 1].SubmittedAtMs, rows[size - 1].Id));
        }
        return response;
    }

    [EnableRateLimiting(RateLimitPolicies.Writes)]
    public override async Task<Broadcast> ApproveBroadcast(ApproveBroadcastRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        caller.EnsureReviewer();
        string? creatorId = null;
        var approved = await DecideAsync(request.BroadcastId, context, Telemetry.QuotaOutcome.Consumed, async (connection, tx, row, nowMs, ct) =>
        {
            RefuseOwn(row, caller);
            RefuseOverdue(row, nowMs);
            // One row read, whatever the follower count: delivery happens when followers sign in.
            var followers = await BroadcastStore.FollowerCountAsync(connection, row.CreatorId, ct, tx);
            if (!await BroadcastStore.DecideAsync(connection, tx, row.Id, BroadcastState.Pending, BroadcastState.Approved, nowMs, caller.UserId, null, ct, followers))
            {
                throw NotPending();
            }
            await BroadcastStore.ConsumeAsync(connection, tx, row.CreatorId, row.WeekStartMs, ct);
            await BroadcastStore.AuditAsync(connection, tx, row.Id, caller.UserId, "approved", null, nowMs, ct);
            creatorId = row.CreatorId;
        });
        events.Approved(creatorId!);
        return approved;
    }

    [EnableRateLimiting(RateLimitPolicies.Writes)]
    public override async Task<Broadcast> RejectBroadcast(RejectBroadcastRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        caller.EnsureReviewer();
        RpcErrors.ThrowIfAny(BroadcastRules.CheckReason(request.Reason));
        return await DecideAsync(request.BroadcastId, context, Telemetry.QuotaOutcome.Returned, async (connection, tx, row, nowMs, ct) =>
        {
            RefuseOwn(row, caller);
            RefuseOverdue(row, nowMs);
            await MoveAsync(connection, tx, row, BroadcastState.Pending, BroadcastState.Rejected, nowMs, caller.UserId, request.Reason.Trim(), null, ct);
            await BroadcastStore.ReturnAsync(connection, tx, row.CreatorId, row.WeekStartMs, ct);
            await BroadcastStore.AuditAsync(connection, tx, row.Id, caller.UserId, "rejected", request.Reason.Trim(), nowMs, ct);
        });
    }

    public override async Task<ListReportsResponse> ListReports(ListReportsRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        caller.EnsureReviewer();
        var ct = context.CancellationToken;
        var size = PageToken.PageSize(request.PageSize);
        var after = pageTokens.Read(request.PageToken, nameof(ListReports), caller.UserId);
        await using var connection = await database.OpenAsync(ct);
        var rows = await InboxStore.ListReportsAsync(
            connection, caller.UserId, request.IncludeClosed, after is null ? null : (int)after.Value.Group, after?.Number, after?.Key, size + 1, ct);
        var now = clock.GetUtcNow();
        var broadcasts = await BroadcastStore.FindManyAsync(connection, rows.Select(r => r.BroadcastId).Distinct().ToList(), ct);
        var response = new ListReportsResponse();
        response.Reports.AddRange(rows.Take(size).Select(r => ToProto(r, broadcasts.GetValueOrDefault(r.BroadcastId)?.ToProto(now))));
        if (rows.Count > size)
        {
            var last = rows[size - 1];
            response.NextPageToken = pageTokens.Issue(nameof(ListReports), caller.UserId, new(last.CreatedAtMs, last.Id, last.Status));
        }
        return response;
    }

    [EnableRateLimiting(RateLimitPolicies.Writes)]
    public override async Task<Broadcast> TakeDownBroadcast(TakeDownBroadcastRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        caller.EnsureReviewer();
        RpcErrors.ThrowIfAny(BroadcastRules.CheckReason(request.Reason));
        return await DecideAsync(request.BroadcastId, context, null, async (connection, tx, row, nowMs, ct) =>
        {
            RefuseOwn(row, caller);
            await MoveAsync(connection, tx, row, BroadcastState.Approved, BroadcastState.TakenDown, nowMs, caller.UserId, request.Reason.Trim(), LocalizedText.Pick("只能下架已通过的群发。", "Only approved broadcasts can be taken down."), ct);
            await InboxStore.ResolveReportsOfAsync(connection, tx, row.Id, caller.UserId, nowMs, ct);
            await BroadcastStore.AuditAsync(connection, tx, row.Id, caller.UserId, "taken_down", request.Reason.Trim(), nowMs, ct);
        });
    }

    [EnableRateLimiting(RateLimitPolicies.Writes)]
    public override async Task<Report> DismissReport(DismissReportRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        caller.EnsureReviewer();
        RpcErrors.ThrowIfBadId(request.ReportId, "report_id");
        var ct = context.CancellationToken;
        var nowMs = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var report = await InboxStore.FindReportAsync(connection, request.ReportId, ct, tx) ?? throw RpcErrors.NotFound("report_id", "report", request.ReportId);
        // Checked before the report's state, so the reported creator learns nothing about a report on their broadcast.
        if (await BroadcastStore.FindAsync(connection, report.BroadcastId, ct, tx) is { } reported && reported.CreatorId == caller.UserId)
        {
            throw RpcErrors.PermissionDenied("report_id", OwnBroadcastRefusal);
        }
        if (!await InboxStore.CloseReportAsync(connection, tx, report.Id, 3, caller.UserId, nowMs, ct))
        {
            throw RpcErrors.FailedPrecondition("report_id", LocalizedText.Pick("该举报已处理。", "The report is already closed."), "REPORT_CLOSED", report.Id);
        }
        await BroadcastStore.AuditAsync(connection, tx, report.BroadcastId, caller.UserId, "report_dismissed", report.Id, nowMs, ct);
        var closed = await InboxStore.FindReportAsync(connection, report.Id, ct, tx);
        await tx.CommitAsync(ct);
        var broadcast = await BroadcastStore.FindAsync(connection, report.BroadcastId, ct);
        return ToProto(closed!, broadcast?.ToProto(clock.GetUtcNow()));
    }

    internal static Report ToProto(ReportRow row, Broadcast? broadcast) => new()
    {
        Id = row.Id,
        BroadcastId = row.BroadcastId,
        ReporterId = row.ReporterId,
        ReporterName = row.ReporterName,
        Reason = row.Reason,
        Status = (ReportStatus)row.Status,
        CreateTime = ProtoTime.FromMs(row.CreatedAtMs),
        Broadcast = broadcast,
    };

    private async Task<BroadcastQuota> QuotaAsync(System.Data.Common.DbConnection connection, string userId, CancellationToken ct)
    {
        var platform = await settings.GetAsync(ct);
        var zone = TimeZones.FindOrDefault(platform.PlatformTimeZone);
        var week = BroadcastRules.WeekOf(clock.GetUtcNow(), zone);
        var quota = await BroadcastStore.QuotaAsync(connection, userId, week.Start.ToUnixTimeMilliseconds(), ct);
        return new BroadcastQuota
        {
            Limit = BroadcastRules.WeeklyLimit,
            Frozen = quota.Frozen,
            Consumed = quota.Consumed,
            Remaining = BroadcastRules.Remaining(quota.Frozen, quota.Consumed),
            WeekStart = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(week.Start),
            WeekEnd = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(week.End),
            TimeZone = zone.Id,
            Certified = await IsCertifiedAsync(connection, userId, ct),
            AgreementVersion = BroadcastRules.AgreementVersion,
            ExpectedReviewSeconds = await ExpectedReviewSecondsAsync(connection, ct),
        };
    }

    private static async Task<long> ExpectedReviewSecondsAsync(System.Data.Common.DbConnection connection, CancellationToken ct)
    {
        var waits = (await BroadcastStore.RecentReviewWaitsAsync(connection, ct)).Order().ToList();
        return waits.Count == 0 ? 0 : waits[waits.Count / 2] / 1000;
    }

    private delegate Task Decision(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction tx, BroadcastRow row, long nowMs, CancellationToken ct);

    /// <summary>One decision on one broadcast: read, change status and quota, audit, in one write transaction.</summary>
    private async Task<Broadcast> DecideAsync(string broadcastId, ServerCallContext context, Telemetry.QuotaOutcome? quota, Decision decide)
    {
        RpcErrors.ThrowIfBadId(broadcastId, "broadcast_id");
        var ct = context.CancellationToken;
        var now = clock.GetUtcNow();
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var row = await BroadcastStore.FindAsync(connection, broadcastId, ct, tx) ?? throw RpcErrors.NotFound("broadcast_id", "broadcast", broadcastId);
        await decide(connection, tx, row, now.ToUnixTimeMilliseconds(), ct);
        var decided = await BroadcastStore.FindAsync(connection, broadcastId, ct, tx);
        await tx.CommitAsync(ct);
        if (quota is { } outcome)
        {
            metrics.QuotaDecided(outcome);
        }
        return decided!.ToProto(now);
    }

    private static async Task MoveAsync(
        System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction tx, BroadcastRow row, BroadcastState from, BroadcastState to,
        long nowMs, string actorId, string? reason, string? refusal, CancellationToken ct)
    {
        if (!await BroadcastStore.DecideAsync(connection, tx, row.Id, from, to, nowMs, actorId, reason, ct))
        {
            throw refusal is null ? NotPending() : RpcErrors.FailedPrecondition("broadcast_id", refusal, "BROADCAST_STATE", row.Id);
        }
    }

    private static string OwnBroadcastRefusal => LocalizedText.Pick("不能审核自己的群发，也不能处理针对它的举报。", "You cannot review your own broadcast or the reports about it.");

    /// <summary>Approval, rejection and takedown are never decided by the broadcast's creator, reviewer or admin alike.</summary>
    private static void RefuseOwn(BroadcastRow row, Caller caller)
    {
        if (row.CreatorId == caller.UserId)
        {
            throw RpcErrors.PermissionDenied("broadcast_id", OwnBroadcastRefusal);
        }
    }

    private static void RefuseOverdue(BroadcastRow row, long nowMs)
    {
        if (row.Status == BroadcastState.Pending && row.ReviewDeadlineMs <= nowMs)
        {
            throw RpcErrors.FailedPrecondition("broadcast_id", LocalizedText.Pick("该群发已超过审核期限，已过期。", "This broadcast passed its review deadline and has expired."), "BROADCAST_EXPIRED", row.Id);
        }
    }

    private static RpcException NotPending() =>
        RpcErrors.FailedPrecondition("broadcast_id", LocalizedText.Pick("该群发已不在审核中。", "The broadcast is no longer pending."), "BROADCAST_STATE");

    private RpcException QuotaRefused()
    {
        metrics.QuotaDecided(Telemetry.QuotaOutcome.Refused);
        return QuotaExhausted();
    }

    private static RpcException QuotaExhausted() =>
        RpcErrors.FailedPrecondition("creator", LocalizedText.Pick("本周群发次数不足~", "No broadcasts left this week: this week's 2 are used or under review."), "QUOTA_EXHAUSTED");

    private static async Task<BroadcastRow?> FindReplayAsync(
        System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction? tx, string creatorId, string requestId, string contentHash, CancellationToken ct)
    {
        var row = await BroadcastStore.FindByRequestIdAsync(connection, tx, creatorId, requestId, ct);
        if (row is null)
        {
            return null;
        }
        if (row.ContentHash != contentHash)
        {
            throw RpcErrors.FailedPrecondition("request_id", LocalizedText.Pick("这次提交的编号已用于另一条内容不同的群发，请刷新后重试。", "This submission was already used for a broadcast with different content. Reload and try again."), "REQUEST_ID_REUSED", row.Id);
        }
        return row;
    }

    private static Task<bool> IsCertifiedAsync(System.Data.Common.DbConnection connection, string userId, CancellationToken ct) =>
        connection.ExecuteScalarAsync<bool>(new CommandDefinition("SELECT certified FROM users WHERE id = @userId", new { userId }, cancellationToken: ct));

    /// <summary>What a submission says, so a reused request id can be told apart from a retry.</summary>
    private static string ContentHash(SubmitBroadcastRequest request)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(BitConverter.GetBytes((int)request.Kind));
        hash.AppendData(System.Text.Encoding.UTF8.GetBytes(request.Text + "\n" + request.AgreementVersion + "\n" + request.AgreedToAgreement));
        hash.AppendData(request.Image.Span);
        return Convert.ToHexString(hash.GetHashAndReset());
    }
}
