namespace Stack.IP.Routing;

/// <summary>
/// The metrics a route may carry for its destination, as Linux's <c>ip route … advmss N mtu [lock] M initcwnd K</c>
/// (the dst metrics RTAX_ADVMSS, RTAX_MTU and its lock, RTAX_INITCWND). Null: not set, the host's own.
/// </summary>
/// <param name="Mtu">The path MTU to use towards the destination.</param>
/// <param name="MtuLocked">Path MTU discovery may not change <paramref name="Mtu"/> (Linux's <c>mtu lock</c>).</param>
/// <param name="AdvertisedMss">The MSS a transport announces to the destination (Linux's advmss).</param>
/// <param name="InitialCwnd">The initial congestion window, in segments (Linux's initcwnd).</param>
public readonly record struct RouteMetrics(int? Mtu = null, bool MtuLocked = false, int? AdvertisedMss = null, int? InitialCwnd = null);
