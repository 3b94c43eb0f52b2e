using Stack.Link.Wire;

namespace Stack.IP.Routing;

/// <summary>
/// The host's routes: host routes from redirects, the on-link prefixes of its addresses (and of router
/// advertisements), then a default gateway per family: the configured one, else for IPv6 the router that router
/// discovery chose. A host never forwards, so this only answers "which neighbour gets a packet for D".
/// </summary>
public sealed class RouteTable
{
    private readonly List<InterfaceAddress> _onLink = [];
    private readonly Dictionary<IpAddress, RouteMetrics> _metrics = new();

    public IpAddress? GatewayV4 { get; set; }
    public IpAddress? GatewayV6 { get; set; }

    /// <summary>
    /// The default router that router discovery chose (RFC 4861 §6.3.6), used when no <see cref="GatewayV6"/> is
    /// configured; null when the default router list is empty.
    /// </summary>
    public Ipv6Address? LearnedGatewayV6 { get; set; }

    /// <summary>Host routes installed by ICMP redirects.</summary>
    public RedirectRoutes Redirects { get; } = new();

    /// <summary>True when <paramref name="address"/> is on one of the on-link prefixes (or IPv6 link-local).</summary>
    public bool IsOnLink(IpAddress address)
    {
        if (address.IsIpv6 && address.V6.IsLinkLocal) return true;
        foreach (var p in _onLink)
            if (p.Covers(address)) return true;
        return false;
    }

    public void AddOnLink(InterfaceAddress prefix) => _onLink.Add(prefix);

    /// <summary>Withdraws one on-link prefix added by <see cref="AddOnLink"/>; false when there was none.</summary>
    public bool RemoveOnLink(InterfaceAddress prefix) => _onLink.Remove(prefix);

    /// <summary>The on-link prefixes, in the order they were added (one per address or advertisement that brought it).</summary>
    public IReadOnlyList<InterfaceAddress> OnLinkPrefixes => _onLink;

    /// <summary>Makes the on-link prefixes <paramref name="prefixes"/>: a multi-queue stack's shard following another's.</summary>
    public void ReplaceOnLink(IReadOnlyList<InterfaceAddress> prefixes)
    {
        _onLink.Clear();
        _onLink.AddRange(prefixes);
    }

    /// <summary>
    /// Bumped by each change of metrics, as Linux's route generation id: a transport that cached what a route said
    /// (Linux's socket dst cache) looks again when it sees a new one.
    /// </summary>
    public int Generation { get; private set; }

    /// <summary>Sets the metrics of the host route to <paramref name="destination"/> (Linux's <c>ip route change</c>).</summary>
    public void SetMetrics(IpAddress destination, RouteMetrics metrics)
    {
        _metrics[destination] = metrics;
        Generation++;
    }

    /// <summary>The metrics of the route to <paramref name="destination"/>: none set, unless a host route has them.</summary>
    public RouteMetrics Metrics(IpAddress destination) => _metrics.GetValueOrDefault(destination);

    /// <summary>The next hop for <paramref name="destination"/>, or false when there is no route.</summary>
    public bool TryGetNextHop(IpAddress destination, out IpAddress nextHop)
    {
        nextHop = destination;
        if (destination.IsMulticast) return true;
        // The limited broadcast never leaves the link, and needs no address of ours (a DHCP client's DISCOVER).
        if (destination.IsIpv4 && destination.V4.IsBroadcast) return true;
        if (destination.IsIpv6 && destination.V6.IsLinkLocal) return true; // RFC 4861 §5.2: fe80::/10 is on-link.
        if (Redirects.TryGet(destination, out nextHop)) return true; // a host route beats any prefix
        nextHop = destination;
        foreach (var p in _onLink)
            if (p.Covers(destination)) return true;
        var gateway = destination.IsIpv6 ? GatewayV6 ?? (IpAddress?)LearnedGatewayV6 : GatewayV4;
        if (gateway is not { } g) return false;
        nextHop = g;
        return true;
    }
}
