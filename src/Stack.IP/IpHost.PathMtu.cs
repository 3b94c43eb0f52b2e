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
    private int _pathMtuGeneration; // Path MTUs lowered so far: part of RouteGeneration.

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

    /// <summary>
    /// Changes when route metrics change (<see cref="RouteTable.Generation"/>) and when a path MTU goes down, learned
    /// here or from another shard: a connection that cached its route's MTU reads it again as its next segment
    /// leaves, so every connection to the destination takes the lower MTU, not only the one whose segment drew the
    /// error (Linux: a new nexthop exception marks the cached routes obsolete, and each socket's next transmit
    /// checks its dst).
    /// </summary>
    public int RouteGeneration => Routes.Generation + _pathMtuGeneration;

    /// <summary>
    /// Raised on the owning loop when a too-big error lowered the path MTU towards a destination, with the MTU the
    /// error reported (as <see cref="LowerPathMtu"/> took it): how the shards of a multi-queue stack keep one path MTU
    /// per destination, as Linux keeps one in the route's nexthop exception (<see cref="LearnSharedPathMtu"/>). Not
    /// raised by <see cref="LearnSharedPathMtu"/> itself.
    /// </summary>
    public event Action<IpAddress, int>? PathMtuLearned;

    /// <summary>
    /// A transport matched a too-big error (<see cref="IcmpError.Mtu"/>) to a datagram of its own: lowers the path
    /// MTU towards <paramref name="destination"/> (never below the family's floor, never up). Returns the path MTU
    /// now in force.
    /// </summary>
    public int LowerPathMtu(IpAddress destination, int mtu, Instant now)
    {
        if (Learn(destination, mtu, now)) PathMtuLearned?.Invoke(destination, mtu);
        return PathMtu(destination, now);
    }

    /// <summary>
    /// What another shard of a multi-queue stack learned (its <see cref="PathMtuLearned"/>): the error came back on
    /// its queue, but the path is the same for every shard's connections. Taken as <see cref="LowerPathMtu"/> takes a
    /// report (the floor, never up, a locked route MTU stays); raises nothing: sharing does not echo back.
    /// </summary>
    public void LearnSharedPathMtu(IpAddress destination, int mtu, Instant now) => Learn(destination, mtu, now);

    /// <summary>Lowers the cached path MTU; true when it went down.</summary>
    private bool Learn(IpAddress destination, int mtu, Instant now)
    {
        if (Routes.Metrics(destination).MtuLocked) return false; // Linux __ip_rt_update_pmtu.
        bool lowered = destination.IsIpv6 ? Pmtu6.Update(destination.V6, mtu, now) : Pmtu4.Update(destination.V4, mtu, now);
        if (lowered) _pathMtuGeneration++;
        return lowered;
    }
}
