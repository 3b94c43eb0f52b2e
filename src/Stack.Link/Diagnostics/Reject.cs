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
}
