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
    /// <summary>The ErrorInfo reason of a key that can no longer be read back (the console offers the reset).</summary>
    public const string StreamKeyUnreadable = "STREAM_KEY_UNREADABLE";

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
        string key;
        long createdAtMs;
        if (stored is null || rotate)
        {
            key = IngestStore.NewKey();
            createdAtMs = clock.GetUtcNow().ToUnixTimeMilliseconds();
            await IngestStore.SetKeyAsync(connection, tx, session.Id, SecretVault.Hash(key), streamKeys.Protect(key), createdAtMs, ct);
        }
        else if (stored.Legacy is { } clear)
        {
            (key, createdAtMs) = (clear, stored.CreatedAtMs); // made before keys were protected; the next start protects it
        }
        else if (stored.Protected is not null && streamKeys.TryReveal(stored.Protected, out var revealed))
        {
            (key, createdAtMs) = (revealed, stored.CreatedAtMs);
        }
        else
        {
            // The key ring that protected it is gone. The key still works for publishing (nginx's callback matches its
            // hash), so it is not replaced behind the instructor's back: a reset, their choice, gives one they can see.
            throw RpcErrors.FailedPrecondition("session_id", LocalizedText.Pick(
                "此串流密钥已无法显示（服务器的密钥已更换），但仍可用于推流。如需查看，请重置串流密钥。",
                "This stream key can no longer be shown (the server's keys were replaced), though it still works for streaming. Reset it to see a new one."),
                StreamKeyUnreadable);
        }
        await tx.CommitAsync(ct);
        return new StreamKey { SessionId = session.Id, RtmpUrl = options.RtmpUrl, Key = key, CreateTime = ProtoTime.FromMs(createdAtMs) };
    }
}
