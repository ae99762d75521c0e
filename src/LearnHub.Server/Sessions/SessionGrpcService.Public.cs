using Proto = LearnHub.Api.V1;

namespace LearnHub.Server.Sessions;

/// <summary>
/// A session as a token-less caller of the public reads (GetSession, ListRecommendations) sees it: what the site shows
/// every visitor. Left out: <c>instructor_id</c> (an account id, the handle for every other call about that person),
/// <c>cancel_reason</c> (the instructor's words to the people who reserved), and the bookkeeping only writers use
/// (<c>version</c>, <c>create_time</c>, <c>update_time</c>); <c>reserved_by_me</c> is false. sessions.proto says the same.
/// </summary>
public static class PublicSession
{
    /// <summary>A copy with the private fields cleared (the argument is often a shared, cached message: never changed).</summary>
    public static Proto.Session Of(Proto.Session session)
    {
        ArgumentNullException.ThrowIfNull(session);
        var open = session.Clone();
        open.InstructorId = "";
        open.CancelReason = "";
        open.Version = 0;
        open.CreateTime = null;
        open.UpdateTime = null;
        open.ReservedByMe = false;
        return open;
    }
}
