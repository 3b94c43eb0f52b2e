namespace Stack.IP.Routing;

/// <summary>
/// The host's routes: the on-link prefixes of its addresses, then a default gateway per family. A host never
/// forwards, so this only answers "which neighbour gets a packet for D".
/// </summary>
public sealed class RouteTable
{
    private readonly List<InterfaceAddress> _onLink = [];
    private readonly Dictionary<IpAddress, RouteMetrics> _metrics = new();

    public IpAddress? GatewayV4 { get; set; }
    public IpAddress? GatewayV6 { get; set; }

    public void AddOnLink(InterfaceAddress prefix) => _onLink.Add(prefix);

    /// <summary>Withdraws one on-link prefix added by <see cref="AddOnLink"/>; false when there was none.</summary>
    public bool RemoveOnLink(InterfaceAddress prefix) => _onLink.Remove(prefix);

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
        foreach (var p in _onLink)
            if (p.Covers(destination)) return true;
        var gateway = destination.IsIpv6 ? GatewayV6 : GatewayV4;
        if (gateway is not { } g) return false;
        nextHop = g;
        return true;
    }
}
