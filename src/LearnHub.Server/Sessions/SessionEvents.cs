using LearnHub.Core.Sessions;

namespace LearnHub.Server.Sessions;

/// <summary>A session's status or schedule changed (after commit).</summary>
public sealed record SessionChanged(string SessionId, SessionStatus Status)
{
    /// <summary>
    /// The change was committed on another node and relayed here: this node updates its own watch streams and caches,
    /// while the node that made it tells the dashboards (the hub's backplane reaches them all).
    /// </summary>
    public bool FromOtherNode { get; init; }
}

/// <summary>
/// A viewer reserved a session or cancelled a reservation (after commit): the session's reservation count and the
/// viewer's <c>reserved_by_me</c> moved, its status did not. Kept apart from <see cref="SessionChanged"/> so that watch
/// streams and dashboards, which follow statuses, are not woken by every reservation.
/// </summary>
public sealed record ReservationChanged(string SessionId, string UserId)
{
    /// <inheritdoc cref="SessionChanged.FromOtherNode"/>
    public bool FromOtherNode { get; init; }
}

/// <summary>
/// Tells in-process listeners (watch streams, dashboards, read caches, tests) that a session changed. Listeners must be
/// quick: they run on the publisher's thread.
/// </summary>
public interface ISessionEvents
{
    void Publish(SessionChanged change);

    IDisposable Subscribe(Action<SessionChanged> listener);

    void PublishReservation(ReservationChanged change);

    IDisposable SubscribeReservations(Action<ReservationChanged> listener);
}

public sealed class InProcessSessionEvents : ISessionEvents
{
    private readonly Hosting.Listeners<SessionChanged> listeners = new();
    private readonly Hosting.Listeners<ReservationChanged> reservationListeners = new();

    public void Publish(SessionChanged change) => listeners.Publish(change);

    public IDisposable Subscribe(Action<SessionChanged> listener) => listeners.Subscribe(listener);

    public void PublishReservation(ReservationChanged change) => reservationListeners.Publish(change);

    public IDisposable SubscribeReservations(Action<ReservationChanged> listener) => reservationListeners.Subscribe(listener);
}
