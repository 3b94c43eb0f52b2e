using Stack.IP.Routing;
using Stack.Link.Neighbors;
using Stack.Link.Wire;

namespace Stack.IP;

/// <summary>
/// What DHCP, IPv6 autoconfiguration and an operator may change on a running host, as one immutable value: a
/// multi-queue stack's configuring shard takes it (<see cref="IpHost.Configuration"/>) and every other shard follows
/// it (<see cref="IpHost.Follow"/>), so that each answers for and sources from the same addresses and routes.
/// </summary>
/// <param name="Addresses">Every assigned address, the configured and link-local ones included.</param>
/// <param name="OnLink">The on-link prefixes of the route table (of the addresses, and of router advertisements).</param>
/// <param name="HopLimit">A router advertisement's Cur Hop Limit, or null for the default.</param>
/// <param name="Ipv6Mtu">A router advertisement's MTU, or 0 for the link's.</param>
/// <param name="Tentative">SLAAC addresses under duplicate address detection: not assigned, but their solicited-node
/// groups pass the link filter, and what arrives about them goes to the configuring shard.</param>
/// <param name="Deprecated">SLAAC addresses past their preferred lifetime: not chosen as a source (RFC 6724 rule 3).</param>
public sealed record HostConfiguration(
    IReadOnlyList<InterfaceAddress> Addresses,
    IReadOnlyList<InterfaceAddress> OnLink,
    IpAddress? GatewayV4,
    IpAddress? GatewayV6,
    Ipv6Address? LearnedGatewayV6,
    byte? HopLimit,
    int Ipv6Mtu,
    NeighborTimings Timings,
    IReadOnlyList<Ipv6Address> Tentative,
    IReadOnlyList<Ipv6Address> Deprecated)
{
    /// <summary>True when <paramref name="other"/> says the same, list by list (a record compares lists by reference).</summary>
    public bool SameAs(HostConfiguration? other) =>
        other is not null && Addresses.SequenceEqual(other.Addresses) && OnLink.SequenceEqual(other.OnLink) &&
        GatewayV4 == other.GatewayV4 && GatewayV6 == other.GatewayV6 && LearnedGatewayV6 == other.LearnedGatewayV6 &&
        HopLimit == other.HopLimit && Ipv6Mtu == other.Ipv6Mtu && Timings == other.Timings &&
        Tentative.SequenceEqual(other.Tentative) && Deprecated.SequenceEqual(other.Deprecated);
}
