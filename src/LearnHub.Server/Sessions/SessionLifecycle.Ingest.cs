using LearnHub.Core.Sessions;
using LearnHub.Server.Data;
using LearnHub.Server.Ingest;

namespace LearnHub.Server.Sessions;

/// <summary>The end of an RTMP reconnect grace (Ingest/): the stream did not come back, so the session ends.</summary>
public sealed partial class SessionLifecycle
{
    public async Task EndAfterIngestGraceAsync(string sessionId, long dueGraceEndMs, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        // A publish arriving on another node at this moment either came first (the row is receiving again and this
        // does nothing) or waits for this commit and finds the session ended.
        await Database.LockAsync(connection, tx, DecisionKeys.Session(sessionId), ct);
        await SessionStore.LockRowAsync(connection, tx, sessionId, ct);
        var session = await SessionStore.FindAsync(connection, sessionId, null, ct, tx);
        if (session is null || session.Status != SessionStatus.Live || session.IngestState != IngestStore.ReconnectGrace
            || session.IngestGraceEndMs != dueGraceEndMs)
        {
            LogStepSkipped(sessionId, SessionStep.IngestGraceEnd);
            return;
        }
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        if (!await SessionStore.MoveStatusAsync(connection, tx, sessionId, SessionStatus.Live, SessionStatus.Ended, now, ct, expectedVersion: session.Version, triggersStillValid: true))
        {
            LogStepSkipped(sessionId, SessionStep.IngestGraceEnd);
            return;
        }
        await tx.CommitAsync(ct);
        LogEndedAfterGrace(sessionId, now - dueGraceEndMs);
        metrics.IngestStreamLost();
        events.Publish(new SessionChanged(sessionId, SessionStatus.Ended));
    }

    [LoggerMessage(EventId = 2020, Level = LogLevel.Information, Message = "Session {SessionId} ended: its stream did not come back within the reconnect grace ({LatenessMs} ms after the grace's end)")]
    private partial void LogEndedAfterGrace(string sessionId, long latenessMs);
}
