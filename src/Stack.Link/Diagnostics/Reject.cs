namespace Stack.Link.Diagnostics;

/// <summary>The protocol whose parser or processor turned a packet away.</summary>
public enum Layer
{
    Ethernet,
    Arp,
    Ipv4,
    Ipv6,
    Icmpv4,
    Icmpv6,
    Ndp,
    Udp,
    Tcp,
    /// <summary>The virtio_net_hdr a TAP with offloads puts before each frame.</summary>
    VirtioNet,
    /// <summary>Multicast listener discovery (RFC 2710, RFC 3810), inside ICMPv6.</summary>
    Mld,
    /// <summary>IGMP (RFC 1112, RFC 2236, RFC 3376).</summary>
    Igmp,
    /// <summary>A DHCP client's messages (RFC 2131); its own counters give the finer reason.</summary>
    Dhcp,
}

/// <summary>
/// Why a packet was turned away. The names are shared by all layers (a truncated TCP header and a truncated
/// ARP packet are both <see cref="Truncated"/>); the <see cref="Layer"/> says whose rule it broke.
/// </summary>
public enum RejectReason
{
    None,
    Truncated,
    BadVersion,
    BadHeaderLength,
    BadTotalLength,
    BadChecksum,
    BadOption,
    BadAddress,
    BadFlags,
    BadField,
    UnsupportedType,
    NotForUs,
    NoRoute,
    QueueFull,
    RateLimited,
    ExtensionChainTooLong,
    HopLimit,
    NoListener,
    /// <summary>A fragment the reassembler turned away; its own counters say why.</summary>
    BadFragment,
    /// <summary>An MLD or IGMP message that must carry the IP Router Alert option (RFC 2711, RFC 2113) came without it.</summary>
    NoRouterAlert,
    /// <summary>
    /// A redirect from a node that is not the current first hop for the destination it names (RFC 4861 §8.1,
    /// RFC 1122 §3.2.2.2).
    /// </summary>
    NotFirstHop,
}
