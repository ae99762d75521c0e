using LearnHub.Core.Sessions;
using LearnHub.Server.Grpc;
using LearnHub.Server.Identity;
using LearnHub.Server.Sessions;
using Proto = LearnHub.Api.V1;

namespace LearnHub.Server.Ingest;

/// <summary>
/// <c>ingest_state</c> and <c>ingest_grace_end</c> are for the session's instructor and admins only, so they are added
/// per caller on top of the shared message (which carries the public <c>playback_url</c> already).
/// </summary>
public static class IngestView
{
    /// <summary>The caller's copy of a shared message: the message itself when the caller sees no ingest fields.</summary>
    public static Proto.Session For(Proto.Session shared, SessionRow row, Caller? caller, bool ingestEnabled)
    {
        if (!Shows(row, caller, ingestEnabled))
        {
            return shared;
        }
        var copy = shared.Clone();
        Fill(copy, row);
        return copy;
    }

    /// <summary>Adds the ingest fields to a message made for this caller alone.</summary>
    public static Proto.Session Add(Proto.Session own, SessionRow row, Caller? caller, bool ingestEnabled)
    {
        if (Shows(row, caller, ingestEnabled))
        {
            Fill(own, row);
        }
        return own;
    }

    private static bool Shows(SessionRow row, Caller? caller, bool ingestEnabled) =>
        caller is not null && (caller.IsAdmin || caller.UserId == row.InstructorId)
        && row.Status is SessionStatus.Scheduled or SessionStatus.Live
        && (ingestEnabled || row.IngestState != IngestStore.NothingYet);

    private static void Fill(Proto.Session message, SessionRow row)
    {
        message.IngestState = row.IngestState switch
        {
            IngestStore.Receiving => Proto.IngestState.Receiving,
            IngestStore.ReconnectGrace => Proto.IngestState.ReconnectGrace,
            _ => Proto.IngestState.Waiting,
        };
        message.IngestGraceEnd = row.IngestState == IngestStore.ReconnectGrace ? ProtoTime.FromMs(row.IngestGraceEndMs) : null;
    }
}
