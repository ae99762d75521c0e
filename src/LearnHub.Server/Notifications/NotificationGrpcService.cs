using System.Globalization;
using Dapper;
using Grpc.Core;
using LearnHub.Api.V1;
using LearnHub.Core.Common;
using LearnHub.Server.Data;
using LearnHub.Server.Grpc;
using LearnHub.Server.Identity;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.RateLimiting;

namespace LearnHub.Server.Notifications;

/// <summary>The caller's own notifications; nobody reads another user's.</summary>
[Authorize]
[EnableRateLimiting(RateLimitPolicies.Reads)]
public sealed class NotificationGrpcService(Database database, PageTokens pageTokens, TimeProvider clock) : NotificationService.NotificationServiceBase
{
    private const int MaxIdsPerMark = 500;

    public override async Task<ListNotificationsResponse> ListNotifications(ListNotificationsRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        var ct = context.CancellationToken;
        var pageSize = PageToken.PageSize(request.PageSize);
        var before = pageTokens.Read(request.PageToken, nameof(ListNotifications), caller.UserId)?.Number;
        await using var connection = await database.OpenAsync(ct);
        var rows = (await connection.QueryAsync<NotificationRow>(new CommandDefinition(
            """
            SELECT id, kind, session_id, session_title, planned_start_ms, text, text_en, created_at_ms, read_at_ms
            FROM notifications
            WHERE user_id = @userId
              AND (@before IS NULL OR id < @before)
              AND (@unreadOnly = 0 OR read_at_ms IS NULL)
            ORDER BY id DESC
            LIMIT @limit
            """,
            new { userId = caller.UserId, before, unreadOnly = request.UnreadOnly ? 1 : 0, limit = pageSize + 1 },
            cancellationToken: ct))).AsList();
        var unread = await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT COUNT(*) FROM notifications WHERE user_id = @userId AND read_at_ms IS NULL",
            new { userId = caller.UserId }, cancellationToken: ct));
        var response = new ListNotificationsResponse
        {
            UnreadCount = unread,
            Notifications =
            {
                rows.Take(pageSize).Select(n => new Notification
                {
                    Id = n.Id.ToString(CultureInfo.InvariantCulture),
                    Kind = (NotificationKind)n.Kind,
                    SessionId = n.SessionId,
                    SessionTitle = n.SessionTitle,
                    PlannedStart = ProtoTime.FromMs(n.PlannedStartMs),
                    // In the caller's language (CallLanguage); a notice made before English texts were kept has only its Chinese one.
                    Text = LocalizedText.Pick(n.Text, n.TextEn ?? n.Text),
                    CreateTime = ProtoTime.FromMs(n.CreatedAtMs),
                    Read = n.ReadAtMs is not null,
                }),
            },
        };
        if (rows.Count > pageSize)
        {
            response.NextPageToken = pageTokens.Issue(nameof(ListNotifications), caller.UserId, new(rows[pageSize - 1].Id));
        }
        return response;
    }

    [EnableRateLimiting(RateLimitPolicies.Writes)]
    public override async Task<MarkNotificationsReadResponse> MarkNotificationsRead(MarkNotificationsReadRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        if (request.NotificationIds.Count > MaxIdsPerMark)
        {
            RpcErrors.ThrowInvalid("notification_ids", LocalizedText.Pick($"一次最多 {MaxIdsPerMark} 条。", $"At most {MaxIdsPerMark} notifications at a time."));
        }
        var ids = new List<long>(request.NotificationIds.Count);
        for (var i = 0; i < request.NotificationIds.Count; i++)
        {
            if (!long.TryParse(request.NotificationIds[i], CultureInfo.InvariantCulture, out var id))
            {
                RpcErrors.ThrowInvalid($"notification_ids[{i}]", LocalizedText.Pick("无效的通知。", "This is not a valid notification."));
            }
            ids.Add(id);
        }
        var ct = context.CancellationToken;
        await using var connection = await database.OpenAsync(ct);
        var marked = await connection.ExecuteAsync(new CommandDefinition(
            ids.Count == 0
                ? "UPDATE notifications SET read_at_ms = @now WHERE user_id = @userId AND read_at_ms IS NULL"
                : $"UPDATE notifications SET read_at_ms = @now WHERE user_id = @userId AND read_at_ms IS NULL AND {SqlDialect.In(connection, "id", "@ids")}",
            new { userId = caller.UserId, ids, now = clock.GetUtcNow().ToUnixTimeMilliseconds() },
            cancellationToken: ct));
        return new MarkNotificationsReadResponse { Marked = marked };
    }

    private sealed class NotificationRow
    {
        public long Id { get; init; }
        public int Kind { get; init; }
        public string SessionId { get; init; } = "";
        public string SessionTitle { get; init; } = "";
        public long PlannedStartMs { get; init; }
        public string Text { get; init; } = "";
        public string? TextEn { get; init; }
        public long CreatedAtMs { get; init; }
        public long? ReadAtMs { get; init; }
    }
}
