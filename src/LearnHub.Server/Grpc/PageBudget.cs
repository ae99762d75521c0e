using Google.Protobuf;

namespace LearnHub.Server.Grpc;

/// <summary>
/// Keeps every list response well under the 4 MB a gRPC client accepts by default, whatever its items hold: a page
/// ends early, with a next_page_token, once its items reach <see cref="MaxResponseBytes"/>. Lists whose largest page of
/// worst-case items already fits (PageSizeBoundTests measures each) need no budget; those whose items can each carry
/// tens of kilobytes (sessions with a full description, courses with 200 chapters) use it.
/// </summary>
public static class PageBudget
{
    /// <summary>
    /// 1 MiB: a quarter of the default 4 MB receive limit of grpc-dotnet, grpc-js and grpc-java, so a page never comes
    /// near it, and a page a browser-side console renders at once.
    /// </summary>
    public const int MaxResponseBytes = 1024 * 1024;

    /// <summary>Room kept for the response's other fields (next_page_token, counts, a quota).</summary>
    private const int EnvelopeBytes = 16 * 1024;

    /// <summary>How many of <paramref name="items"/>, from the first, fit in one response: at least one, at most all.</summary>
    public static int Fit<T>(IReadOnlyList<T> items)
        where T : IMessage
    {
        ArgumentNullException.ThrowIfNull(items);
        var used = 0;
        for (var i = 0; i < items.Count; i++)
        {
            // A repeated message field costs its tag (1 byte for field numbers below 16) and its length prefix.
            used += 1 + CodedOutputStream.ComputeMessageSize(items[i]);
            if (used > MaxResponseBytes - EnvelopeBytes)
            {
                return Math.Max(1, i);
            }
        }
        return items.Count;
    }
}
