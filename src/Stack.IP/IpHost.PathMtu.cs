using Stack.IP.Fragments;
using Stack.IP.Routing;
using Stack.Link.Time;
using Stack.Link.Wire;

namespace Stack.IP;

// Path MTU (RFC 1191, RFC 8201), learned only through a transport that matched the error to a datagram of its
// own (RFC 5927 §4.1; Linux updates the route's MTU from the socket, after tcp_v4_err's sequence check): a
// forged error about nothing in flight changes nothing.
public sealed partial class IpHost
{
    /// <summary>
    /// The IPv4 floor: Linux's net.ipv4.route.min_pmtu (512 + 20 + 20), not RFC 791's 68. A report below it
    /// locks the path at 552 and clears DF, as Linux does, so a forged error can cost at most a 512-byte MSS and a
    /// real path that small still gets through, fragmented by its routers.
    /// </summary>
    public const int MinIpv4PathMtu = 552;

    /// <summary>RFC 8200 §5: the IPv6 minimum link MTU.</summary>
    public const int MinIpv6PathMtu = 1280;

    private PathMtuCache<Ipv4Address>? _pmtu4;
    private PathMtuCache<Ipv6Address>? _pmtu6;

    private PathMtuCache<Ipv4Address> Pmtu4 => _pmtu4 ??= new(Mtu, Math.Min(MinIpv4PathMtu, Mtu));
    private PathMtuCache<Ipv6Address> Pmtu6 => _pmtu6 ??= new(Mtu, MinIpv6PathMtu);

    /// <summary>
    /// The path MTU towards <paramref name="destination"/>: the link MTU unless ICMP said less; a route's MTU
    /// (<see cref="RouteMetrics"/>) replaces the link's, and when locked ICMP cannot lower it (Linux ipv4_mtu).
    /// </summary>
    public int PathMtu(IpAddress destination, Instant now)
    {
        int learned = destination.IsIpv6 ? Math.Min(Pmtu6.Get(destination.V6, now), Ipv6Mtu) : Pmtu4.Get(destination.V4, now);
        var route = Routes.Metrics(destination);
        return route.Mtu is not { } mtu ? learned : route.MtuLocked ? mtu : Math.Min(mtu, learned);
    }

    /// <inheritdoc cref="IIpNetwork.RouteMetrics"/>
    public RouteMetrics RouteMetrics(IpAddress destination) => Routes.Metrics(destination);

    /// <inheritdoc cref="IIpNetwork.RouteGeneration"/>
    public int RouteGeneration => Routes.Generation;

    /// <summary>
    /// A transport matched a too-big error (<see cref="IcmpError.Mtu"/>) to a datagram of its own: lowers the path
    /// MTU towards <paramref name="destination"/> (never below the family's floor, never up). Returns the path MTU
    /// now in force.
    /// </summary>
    public int LowerPathMtu(IpAddress destination, int mtu, Instant now)
    {
        if (Routes.Metrics(destination).MtuLocked) return PathMtu(destination, now); // Linux __ip_rt_update_pmtu.
        if (destination.IsIpv6) Pmtu6.Update(destination.V6, mtu, now);
        else Pmtu4.Update(destination.V4, mtu, now);
        return PathMtu(destination, now);
    }
}
