using System.Net.Sockets;
using Stack.IP;
using Stack.IP.Wire;
using Stack.Link.Time;
using Stack.Udp.Wire;

namespace Stack.Udp;

/// <summary>
/// Group membership per endpoint (IP_ADD_MEMBERSHIP / IPV6_JOIN_GROUP and their drops): each endpoint's joins
/// count as users of the interface's group (<see cref="IpHost.JoinGroup"/>), which receives and reports it while
/// any endpoint is in it. Datagrams to a group then reach the endpoints bound to their port
/// (<see cref="UdpEndpoint.MulticastAll"/> says whether only those that joined it).
/// </summary>
public sealed partial class UdpLayer
{
    /// <summary>Linux's net.ipv4.igmp_max_memberships: the most groups one endpoint joins (either family, here).</summary>
    public const int MaxMembershipsPerEndpoint = 20;

    /// <summary>RFC 1112 §6.1, Linux: group datagrams leave with TTL / hop limit 1 unless the endpoint says otherwise.</summary>
    public const byte DefaultMulticastHopLimit = 1;

    /// <summary>
    /// Joins <paramref name="group"/> for <paramref name="endpoint"/>. As Linux's setsockopt answers:
    /// <see cref="SocketError.InvalidArgument"/> for an address that is no group, <see cref="SocketError.AddressAlreadyInUse"/>
    /// when the endpoint is in it already, <see cref="SocketError.NoBufferSpaceAvailable"/> past
    /// <see cref="MaxMembershipsPerEndpoint"/>.
    /// </summary>
    public SocketError JoinGroup(UdpEndpoint endpoint, IpAddress group, Instant now)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (endpoint.IsClosed) return SocketError.OperationAborted;
        if (group.Family != endpoint.Family) return SocketError.AddressFamilyNotSupported;
        if (!group.IsMulticast) return SocketError.InvalidArgument;
        if (endpoint.HasJoined(group)) return SocketError.AddressAlreadyInUse;
        if (endpoint.Groups.Count >= MaxMembershipsPerEndpoint) return SocketError.NoBufferSpaceAvailable;
        endpoint.AddGroup(group);
        _host.JoinGroup(group, now);
        return SocketError.Success;
    }

    /// <summary>
    /// Leaves <paramref name="group"/> for <paramref name="endpoint"/>; the interface leaves it with its last
    /// endpoint. <see cref="SocketError.AddressNotAvailable"/> when the endpoint was not in it (Linux's EADDRNOTAVAIL).
    /// </summary>
    public SocketError LeaveGroup(UdpEndpoint endpoint, IpAddress group, Instant now)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (endpoint.IsClosed) return SocketError.OperationAborted;
        if (group.Family != endpoint.Family) return SocketError.AddressFamilyNotSupported;
        if (!endpoint.RemoveGroup(group)) return SocketError.AddressNotAvailable;
        _host.LeaveGroup(group, now);
        return SocketError.Success;
    }

    /// <summary>
    /// A closing endpoint leaves its groups. Close is handed no time, so the leave is reported at the host's next
    /// timer run, which comes at once (the change is due at <see cref="Instant.Zero"/>).
    /// </summary>
    private void LeaveAll(UdpEndpoint endpoint)
    {
        if (endpoint.TakeGroups() is not { } groups) return;
        foreach (var g in groups) _host.LeaveGroup(g, Instant.Zero);
    }

    /// <summary>
    /// IP_MULTICAST_LOOP: the datagram just sent (in the transmit buffer) is delivered to our own endpoints of the
    /// group too, when the interface belongs to it, as Linux loops a copy back through ip_mc_output.
    /// </summary>
    private void LoopBack(IpAddress source, IpAddress group, int length, byte hopLimit)
    {
        if (!_host.IsJoined(group)) return;
        var bytes = _tx.AsSpan(0, length);
        if (!UdpHeader.TryParse(bytes, PseudoHeader(source, group, length), checksumRequired: false, out var udp, out _)) return;
        DeliverToGroup(new IpDatagram(source, group, IpProtocol.Udp, hopLimit, bytes, bytes, toGroup: true), udp);
    }
}
