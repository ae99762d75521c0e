namespace LearnHub.Admin.Services;

/// <summary>
/// The circuit's unread count for the 消息中心 badge: the nav link checks in once per circuit (a visit to the web page is a
/// sign-in for delivery), the inbox page updates it after every change.
/// </summary>
public sealed class InboxBadge
{
    public int? Unread { get; private set; }

    /// <summary>Whether this circuit has called CheckIn.</summary>
    public bool CheckedIn { get; set; }

    /// <summary>Whether the circuit's inbox stream is open, i.e. new broadcasts raise the badge as they arrive.</summary>
    public bool Live { get; private set; }

    public event Action? Changed;

    public void Set(int unread)
    {
        if (Unread == unread)
        {
            return;
        }
        Unread = unread;
        Changed?.Invoke();
    }

    public void SetLive(bool live)
    {
        if (Live == live)
        {
            return;
        }
        Live = live;
        Changed?.Invoke();
    }
}
