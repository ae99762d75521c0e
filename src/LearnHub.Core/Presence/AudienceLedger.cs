namespace LearnHub.Core.Presence;

/// <summary>What one user watched of a live session since the last drain.</summary>
public readonly record struct WatchTime(string UserId, long FirstWatchedMs, long WatchedMs);

/// <summary>A session's highest count while live, and when it was first reached.</summary>
public readonly record struct Peak(int Viewers, long AtMs);

/// <summary>
/// Who watched a live session on this node and for how long, and the session's peak, kept in memory between flushes to
/// the store. Time counts only while the session is Live ("accruing"): from go-live, or from joining if later, until
/// leaving or the end. A user with several streams is present once. Thread-safe; every instant is passed in, so the
/// rules are tested without clocks.
/// </summary>
public sealed class AudienceLedger
{
    private readonly Dictionary<string, SessionAudience> sessions = new(StringComparer.Ordinal);
    private readonly Lock gate = new();

    public void Enter(string sessionId, string userId, long nowMs)
    {
        lock (gate)
        {
            var audience = Audience(sessionId);
            if (!audience.Visitors.TryGetValue(userId, out var visitor))
            {
                visitor = new Visitor();
                audience.Visitors[userId] = visitor;
            }
            visitor.Streams++;
            if (visitor.Streams == 1 && audience.Accruing)
            {
                visitor.Start(nowMs);
            }
        }
    }

    public void Leave(string sessionId, string userId, long nowMs)
    {
        lock (gate)
        {
            if (!sessions.TryGetValue(sessionId, out var audience) || !audience.Visitors.TryGetValue(userId, out var visitor))
            {
                return;
            }
            visitor.Streams--;
            if (visitor.Streams > 0)
            {
                return;
            }
            if (audience.Accruing)
            {
                visitor.AccruedMs += nowMs - visitor.PresentSinceMs;
            }
            else
            {
                audience.Visitors.Remove(userId);
                RemoveIfIdle(sessionId, audience);
            }
        }
    }

    /// <summary>The session went live: everyone present starts watching now. Idempotent.</summary>
    public void StartAccruing(string sessionId, long nowMs, int viewersNow)
    {
        lock (gate)
        {
            var audience = Audience(sessionId);
            if (audience.Accruing)
            {
                return;
            }
            audience.Accruing = true;
            foreach (var visitor in audience.Visitors.Values.Where(v => v.Streams > 0))
            {
                visitor.Start(nowMs);
            }
            Observe(audience, viewersNow, nowMs);
        }
    }

    public bool IsAccruing(string sessionId)
    {
        lock (gate)
        {
            return sessions.TryGetValue(sessionId, out var audience) && audience.Accruing;
        }
    }

    public IReadOnlyList<string> AccruingSessions()
    {
        lock (gate)
        {
            return sessions.Where(s => s.Value.Accruing).Select(s => s.Key).ToList();
        }
    }

    /// <summary>Records a count seen while live; returns true when it is a new peak.</summary>
    public bool ObserveViewers(string sessionId, int viewers, long nowMs)
    {
        lock (gate)
        {
            return sessions.TryGetValue(sessionId, out var audience) && audience.Accruing && Observe(audience, viewers, nowMs);
        }
    }

    /// <summary>The highest count seen on this node since the session went live (or since this node started).</summary>
    public Peak? PeakOf(string sessionId)
    {
        lock (gate)
        {
            return sessions.TryGetValue(sessionId, out var audience) && audience.Peak.Viewers > 0 ? audience.Peak : null;
        }
    }

    /// <summary>Takes the watch time accrued since the last drain (present users keep watching from now).</summary>
    public IReadOnlyList<WatchTime> Drain(string sessionId, long nowMs)
    {
        lock (gate)
        {
            return sessions.TryGetValue(sessionId, out var audience) ? DrainLocked(sessionId, audience, nowMs) : [];
        }
    }

    /// <summary>The session ended or was cancelled: returns the last watch time and stops counting for it.</summary>
    public IReadOnlyList<WatchTime> StopAccruing(string sessionId, long nowMs)
    {
        lock (gate)
        {
            if (!sessions.TryGetValue(sessionId, out var audience))
            {
                return [];
            }
            var last = DrainLocked(sessionId, audience, nowMs);
            audience.Accruing = false;
            audience.Peak = default;
            RemoveIfIdle(sessionId, audience);
            return last;
        }
    }

    private List<WatchTime> DrainLocked(string sessionId, SessionAudience audience, long nowMs)
    {
        var drained = new List<WatchTime>();
        if (!audience.Accruing)
        {
            return drained;
        }
        foreach (var (userId, visitor) in audience.Visitors.ToList())
        {
            if (!visitor.Touched)
            {
                continue;
            }
            var watched = visitor.AccruedMs + (visitor.Streams > 0 ? nowMs - visitor.PresentSinceMs : 0);
            drained.Add(new WatchTime(userId, visitor.FirstWatchedMs, Math.Max(0, watched)));
            visitor.AccruedMs = 0;
            if (visitor.Streams > 0)
            {
                visitor.PresentSinceMs = nowMs;
            }
            else
            {
                audience.Visitors.Remove(userId);
            }
        }
        RemoveIfIdle(sessionId, audience);
        return drained;
    }

    private static bool Observe(SessionAudience audience, int viewers, long nowMs)
    {
        if (viewers <= audience.Peak.Viewers)
        {
            return false;
        }
        audience.Peak = new Peak(viewers, nowMs);
        return true;
    }

    private SessionAudience Audience(string sessionId)
    {
        if (!sessions.TryGetValue(sessionId, out var audience))
        {
            audience = new SessionAudience();
            sessions[sessionId] = audience;
        }
        return audience;
    }

    private void RemoveIfIdle(string sessionId, SessionAudience audience)
    {
        if (!audience.Accruing && audience.Visitors.Count == 0)
        {
            sessions.Remove(sessionId);
        }
    }

    private sealed class SessionAudience
    {
        public Dictionary<string, Visitor> Visitors { get; } = new(StringComparer.Ordinal);

        public bool Accruing { get; set; }

        public Peak Peak { get; set; }
    }

    private sealed class Visitor
    {
        public int Streams { get; set; }

        public long PresentSinceMs { get; set; }

        public long AccruedMs { get; set; }

        public long FirstWatchedMs { get; set; }

        /// <summary>Watched while live since the last drain (so the store learns of the user).</summary>
        public bool Touched { get; set; }

        public void Start(long nowMs)
        {
            PresentSinceMs = nowMs;
            if (!Touched)
            {
                FirstWatchedMs = nowMs;
            }
            Touched = true;
        }
    }
}
