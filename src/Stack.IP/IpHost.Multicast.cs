using Stack.IP.Multicast;
using Stack.IP.Wire;
using Stack.Link.Time;
using Stack.Link.Wire;

namespace Stack.IP;

/// <summary>
/// The multicast groups the interface belongs to: the ones the stack needs itself (all-nodes, all-hosts, the
/// solicited-node group of each IPv6 address) and the ones applications join. Each is reference-counted, passes
/// its frames through the link filter while joined, and is reported by <see cref="Mld"/> or <see cref="Igmp"/>.
/// </summary>
public sealed partial class IpHost
{
    /// <summary>The link filter: the Ethernet groups that joined IP groups map to, with how many map to each.</summary>
    private readonly Dictionary<MacAddress, int> _linkGroups = [];

    /// <summary>MLD (RFC 3810): IPv6 group membership and its reports.</summary>
    public Mld Mld { get; }

    /// <summary>IGMP (RFC 3376): IPv4 group membership and its reports.</summary>
    public Igmp Igmp { get; }

    /// <summary>
    /// Adds a user of <paramref name="group"/> on this interface (Linux's ip_mc_inc_group / ipv6_dev_mc_inc): the
    /// first one makes the interface receive the group and report it. True when the group was newly joined.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="group"/> is not a multicast address.</exception>
    public bool JoinGroup(IpAddress group, Instant now)
    {
        if (!group.IsMulticast) throw new ArgumentException($"{group} is not a multicast address.", nameof(group));
        if (!Membership(group).Join(group, now)) return false;
        var mac = GroupMac(group);
        _linkGroups[mac] = _linkGroups.GetValueOrDefault(mac) + 1;
        return true;
    }

    /// <summary>
    /// Removes a user of <paramref name="group"/>; the last one leaves it (reported as a state change, and the
    /// link filter closes). True when the group was left; false when it was not joined or is still in use.
    /// </summary>
    public bool LeaveGroup(IpAddress group, Instant now)
    {
        if (!group.IsMulticast || !Membership(group).Leave(group, now)) return false;
        var mac = GroupMac(group);
        if (_linkGroups.TryGetValue(mac, out int users) && users > 1) _linkGroups[mac] = users - 1;
        else _linkGroups.Remove(mac);
        return true;
    }

    /// <summary>True while the interface belongs to <paramref name="group"/>.</summary>
    public bool IsJoined(IpAddress group) => group.IsMulticast && Membership(group).IsJoined(group);

    private MembershipProtocol Membership(IpAddress group) => group.IsIpv6 ? Mld : Igmp;

    private static MacAddress GroupMac(IpAddress group) =>
        group.IsIpv6 ? MacAddress.ForIpv6Multicast(group.V6) : MacAddress.ForIpv4Multicast(group.V4);

    /// <summary>The groups a host joins by itself: all-nodes and all-hosts, and the solicited-node groups.</summary>
    private void JoinOwnGroups()
    {
        JoinGroup(Ipv6Address.AllNodes, Instant.Zero);
        JoinGroup(Igmp.AllHosts, Instant.Zero);
        foreach (var a in _addresses) JoinSolicitedNode(a.Address, Instant.Zero);
    }

    /// <summary>RFC 4861 §7.2.1: an IPv6 address brings its solicited-node group.</summary>
    private void JoinSolicitedNode(IpAddress address, Instant now)
    {
        if (address.IsIpv6) JoinGroup(address.V6.SolicitedNodeMulticast, now);
    }

    private void LeaveSolicitedNode(IpAddress address, Instant now)
    {
        if (address.IsIpv6) LeaveGroup(address.V6.SolicitedNodeMulticast, now);
    }

    /// <summary>
    /// Sends an MLD message (checksum filled) as RFC 3810 §5 wants it: hop limit 1 and a Hop-by-Hop header with
    /// the Router Alert option (RFC 2711), value 0 (MLD), padded to 8 bytes.
    /// </summary>
    internal void SendWithRouterAlert(Ipv6Address source, Ipv6Address destination, ReadOnlySpan<byte> icmp)
    {
        const int hopByHop = Mld.Overhead - Ipv6Header.Length;
        var packet = TxPacket(Mld.Overhead + icmp.Length);
        new Ipv6Repr(source, destination, IpProtocol.HopByHop, hopByHop + icmp.Length, HopLimit: 1).Write(packet);
        ReadOnlySpan<byte> header =
        [
            (byte)IpProtocol.Icmpv6, 0, // next header, length 0 (8 bytes)
            Ipv6Options.RouterAlert, Ipv6Options.RouterAlertLength, 0, 0, // value 0: MLD
            1, 0, // PadN, no data
        ];
        header.CopyTo(packet[Ipv6Header.Length..]);
        icmp.CopyTo(packet[Mld.Overhead..]);
        CountOutput(ipv6: true, IpProtocol.Icmpv6, icmp);
        Transmit(TxFrame(packet.Length), destination, Instant.Zero);
    }

    /// <summary>
    /// Sends an IGMP message (checksum filled) as RFC 3376 §4 wants it: TTL 1 and the Router Alert option
    /// (RFC 2113). As Linux does, with DF and precedence "internetwork control" (TOS 0xc0).
    /// </summary>
    internal void SendWithRouterAlert(Ipv4Address source, Ipv4Address destination, ReadOnlySpan<byte> igmp)
    {
        const byte InternetworkControl = 0xC0;
        ReadOnlySpan<byte> routerAlert = [Ipv4Header.OptionRouterAlert, Ipv4Header.RouterAlertLength, 0, 0];
        var repr = new Ipv4Repr(source, destination, IpProtocol.Igmp, igmp.Length, Ttl: 1,
            Identification: (ushort)NextIdentification(destination, IpProtocol.Igmp), DontFragment: true,
            TypeOfService: InternetworkControl);
        var packet = TxPacket(Igmp.Overhead + igmp.Length);
        int header = repr.Write(packet, routerAlert);
        igmp.CopyTo(packet[header..]);
        CountOutput(ipv6: false, IpProtocol.Igmp, igmp);
        Transmit(TxFrame(packet.Length), destination, Instant.Zero);
    }
}
