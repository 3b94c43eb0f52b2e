namespace Stack.IP.Wire;

/// <summary>IANA protocol numbers, shared by the IPv4 protocol field and the IPv6 next-header field.</summary>
public enum IpProtocol : byte
{
    HopByHop = 0,
    Icmp = 1,
    Igmp = 2,
    Tcp = 6,
    Udp = 17,
    Ipv6Routing = 43,
    Ipv6Fragment = 44,
    Icmpv6 = 58,
    Ipv6NoNext = 59,
    Ipv6DestinationOptions = 60,
}
