using Stack.IP.Multicast;
using Stack.IP.Autoconf;
using Stack.IP.Routing;
using Stack.Link.Neighbors;
using Stack.Link.Wire;

namespace Stack.IP;

/// <summary>How one interface of the stack is configured.</summary>
public sealed record IpHostOptions
{
    public required MacAddress Mac { get; init; }

    /// <summary>The link MTU: the largest IP packet one frame carries.</summary>
    public int Mtu { get; init; } = 1500;

    /// <summary>IPv4 and IPv6 addresses with their on-link prefixes. The IPv6 link-local address is added from the MAC.</summary>
    public IReadOnlyList<InterfaceAddress> Addresses { get; init; } = [];

    public Ipv4Address? GatewayV4 { get; init; }
    public Ipv6Address? GatewayV6 { get; init; }

    /// <summary>TTL and hop limit of packets we originate (Linux's default is 64).</summary>
    public byte DefaultTtl { get; init; } = 64;

    public NeighborTimings Neighbors { get; init; } = new();

    /// <summary>Source of unpredictability (IP identification); seed it for reproducible tests.</summary>
    public Random Random { get; init; } = Random.Shared;

    /// <summary>Answer echo requests sent to a broadcast address (Linux: icmp_echo_ignore_broadcasts = 1).</summary>
    public bool AnswerBroadcastEcho { get; init; }

    /// <summary>MLD and IGMP: whether groups are reported, and the protocols' timers.</summary>
    public MembershipOptions Membership { get; init; } = new();

    /// <summary>
    /// IPv6 autoconfiguration (router discovery, SLAAC, RDNSS); null leaves IPv6 as configured, silent on the link.
    /// Hosting turns it on (<c>StackOptions.Autoconf</c>), as Linux's accept_ra = 1 does for a host.
    /// </summary>
    public AutoconfOptions? Autoconf { get; init; }

    /// <summary>Honour ICMP and ICMPv6 redirects from the current first hop (Linux: accept_redirects = 1 on a host).</summary>
    public bool AcceptRedirects { get; init; } = true;
}
