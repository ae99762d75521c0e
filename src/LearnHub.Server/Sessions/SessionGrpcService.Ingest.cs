using Grpc.Core;
using LearnHub.Api.V1;
using LearnHub.Core.Common;
using LearnHub.Core.Sessions;
using LearnHub.Server.Data;
using LearnHub.Server.Grpc;
using LearnHub.Server.Identity;
using LearnHub.Server.Ingest;
using Microsoft.AspNetCore.RateLimiting;

namespace LearnHub.Server.Sessions;

/// <summary>The session's RTMP stream key (Ingest/): its instructor's alone, never an admin's, never logged.</summary>
public sealed partial class SessionGrpcService
{
    /// <summary>Made on the first read, so a read may write: on the write bucket.</summary>
    [EnableRateLimiting(RateLimitPolicies.Writes)]
    public override Task<StreamKey> GetStreamKey(GetStreamKeyRequest request, ServerCallContext context) =>
        StreamKeyAsync(request.SessionId, rotate: false, context);

    [EnableRateLimiting(RateLimitPolicies.Writes)]
    public override Task<StreamKey> RotateStreamKey(RotateStreamKeyRequest request, ServerCallContext context) =>
        StreamKeyAsync(request.SessionId, rotate: true, context);

    private async Task<StreamKey> StreamKeyAsync(string sessionId, bool rotate, ServerCallContext context)
    {
        RpcErrors.ThrowIfBadId(sessionId, "session_id");
        var caller = context.Caller();
        var ct = context.CancellationToken;
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await Database.LockAsync(connection, tx, DecisionKeys.Session(sessionId), ct);
        var session = await SessionStore.FindAsync(connection, sessionId, null, ct, tx)
            ?? throw RpcErrors.NotFound("session_id", "session", sessionId);
        // The key puts video on air as this instructor: an admin manages sessions but does not stream for anyone.
        if (session.InstructorId != caller.UserId)
        {
            throw RpcErrors.PermissionDenied("session_id", LocalizedText.Pick("只有该直播的讲师可以查看推流密钥。", "Only the session's instructor can see its stream key."));
        }
        var options = ingest.Value;
        if (!options.Enabled)
        {
            throw RpcErrors.FailedPrecondition("session_id", LocalizedText.Pick("此服务器未配置推流（Ingest:RtmpUrl）。", "This server has no RTMP ingest (Ingest:RtmpUrl)."), "INGEST_NOT_CONFIGURED");
        }
        if (session.Status.IsFinal())
        {
            throw RpcErrors.FailedPrecondition("session_id", LocalizedText.Pick($"直播已{StatusName(session.Status)}，不能推流。", $"The session is {StatusNameEn(session.Status)}: there is nothing to stream to."));
        }
        var stored = await IngestStore.FindKeyAsync(connection, tx, session.Id, ct);
        if (stored is null || rotate)
        {
            stored = new IngestStore.StoredKey(IngestStore.NewKey(), clock.GetUtcNow().ToUnixTimeMilliseconds());
            await IngestStore.SetKeyAsync(connection, tx, session.Id, stored.Key, stored.CreatedAtMs, ct);
        }
        await tx.CommitAsync(ct);
        return new StreamKey { SessionId = session.Id, RtmpUrl = options.RtmpUrl, Key = stored.Key, CreateTime = ProtoTime.FromMs(stored.CreatedAtMs) };
    }
}
