using Stack.IP.Routing;
using Stack.Link.Time;

namespace Stack.IP;

/// <summary>
/// Addresses that come and go while the stack runs (a DHCP lease, a SLAAC address, one an operator adds): each
/// brings its on-link prefix with it and takes it away again, and the transports hear of a removal so that
/// connections bound to the address can be told (Linux's inetaddr and inet6addr notifier chains).
/// </summary>
public sealed partial class IpHost
{
    /// <summary>
    /// Assigns <paramref name="address"/> with its on-link prefix and announces it (a gratuitous ARP, an unsolicited
    /// neighbour advertisement). False when the address is already assigned; then nothing changes.
    /// <paramref name="onLink"/> false leaves the prefix off-link, as for a SLAAC address (RFC 5942 §4: an address
    /// does not make its prefix on-link; a router advertisement's L flag does).
    /// </summary>
    public bool AddAddress(InterfaceAddress address, Instant now, bool onLink = true)
    {
        if (IsLocal(address.Address)) return false;
        _addresses.Add(address);
        if (onLink) Routes.AddOnLink(address);
        JoinSolicitedNode(address.Address, now);
        if (address.Address.IsIpv4) Arp.Announce(address.Address.V4);
        else Ndp.Announce(address.Address.V6);
        RaiseConfigurationChanged();
        return true;
    }

    /// <summary>
    /// Withdraws <paramref name="address"/> and its on-link prefix and tells each transport
    /// (<see cref="IIpTransport.OnAddressRemoved"/>). False when it was not assigned. The link-local address stays.
    /// </summary>
    public bool RemoveAddress(IpAddress address, Instant now)
    {
        if (address.IsIpv6 && address.V6 == LinkLocal) return false;
        int index = _addresses.FindIndex(a => a.Address == address);
        if (index < 0) return false;
        var removed = _addresses[index];
        _addresses.RemoveAt(index);
        Routes.RemoveOnLink(removed);
        LeaveSolicitedNode(address, now);
        foreach (var t in _transports.Values) t.OnAddressRemoved(address, now);
        RaiseConfigurationChanged();
        return true;
    }
}
