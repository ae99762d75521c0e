using System.Net;
using System.Net.Sockets;

namespace LearnHub.Server.Hosting;

/// <summary>Settings that name clients or proxies by address: an exact address (a /32 or /128) or a CIDR range.</summary>
public static class AddressRanges
{
    /// <summary>Parses <c>10.0.0.5</c>, <c>10.0.0.0/8</c>, <c>2001:db8::/32</c>; an IPv4-mapped IPv6 address is its IPv4 address.</summary>
    public static bool TryParse(string? entry, out IPNetwork network)
    {
        var text = entry?.Trim() ?? "";
        if (IPAddress.TryParse(text, out var address) && !text.Contains('/', StringComparison.Ordinal))
        {
            if (address.IsIPv4MappedToIPv6)
            {
                address = address.MapToIPv4();
            }
            network = new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128);
            return true;
        }
        return IPNetwork.TryParse(text, out network);
    }
}
