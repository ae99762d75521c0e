using System.Runtime.CompilerServices;
using Proto = LearnHub.Api.V1;

namespace LearnHub.Server.Sessions;

/// <summary>
/// A session as a token-less caller of the public reads (GetSession, ListRecommendations) sees it: what the site shows
/// every visitor. Left out: <c>instructor_id</c> (an account id, the handle for every other call about that person),
/// <c>cancel_reason</c> (the instructor's words to the people who reserved), and the bookkeeping only writers use
/// (<c>version</c>, <c>create_time</c>, <c>update_time</c>); <c>reserved_by_me</c> is false. sessions.proto says the same.
/// </summary>
/// <remarks>
/// The arguments are the shared, cached messages the reads serve (never changed once built), so each public copy is
/// made once per cached message and shared in turn: an anonymous page view of the panel allocates no copies.
/// </remarks>
public static class PublicSession
{
    private static readonly ConditionalWeakTable<Proto.Session, Proto.Session> Sessions = [];
    private static readonly ConditionalWeakTable<Proto.Recommendation, Proto.Recommendation> Items = [];

    /// <summary>The public copy of a shared session message; the caller must not change it.</summary>
    public static Proto.Session Of(Proto.Session session)
    {
        ArgumentNullException.ThrowIfNull(session);
        return Sessions.GetValue(session, Strip);
    }

    /// <summary>The public copy of a shared panel item; the caller must not change it.</summary>
    public static Proto.Recommendation Of(Proto.Recommendation item)
    {
        ArgumentNullException.ThrowIfNull(item);
        return Items.GetValue(item, static shared =>
        {
            var open = shared.Clone();
            open.Session = Strip(open.Session);
            return open;
        });
    }

    private static Proto.Session Strip(Proto.Session session)
    {
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
