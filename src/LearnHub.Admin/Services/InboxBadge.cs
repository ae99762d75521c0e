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
}
