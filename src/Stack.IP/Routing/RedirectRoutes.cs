using Stack.Link.Time;

namespace Stack.IP.Routing;

/// <summary>
/// Host routes that ICMP redirects installed (RFC 4861 §8.3, RFC 1122 §3.2.2.2): destination → better first hop
/// (the destination itself when a redirect says it is a neighbour). Each expires <see cref="Lifetime"/> after the
/// redirect that set it, as Linux's redirect exceptions do (ip_rt_gc_timeout, 300 s); the table holds at most
/// <see cref="Capacity"/>, the one nearest expiry making room, so redirects from a router cannot grow it without bound.
/// </summary>
public sealed class RedirectRoutes
{
    private readonly Dictionary<IpAddress, (IpAddress NextHop, Instant Expires)> _routes = [];

    public RedirectRoutes(int capacity = 256, TimeSpan? lifetime = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        Lifetime = lifetime ?? TimeSpan.FromSeconds(300);
    }

    public int Capacity { get; }

    public TimeSpan Lifetime { get; }

    public int Count => _routes.Count;

    /// <summary>The earliest expiry, or <see cref="Instant.Never"/>.</summary>
    public Instant NextExpiry { get; private set; } = Instant.Never;

    public bool TryGet(IpAddress destination, out IpAddress nextHop)
    {
        nextHop = default;
        if (_routes.Count == 0 || !_routes.TryGetValue(destination, out var route)) return false;
        nextHop = route.NextHop;
        return true;
    }

    /// <summary>Sends <paramref name="destination"/> to <paramref name="nextHop"/> from now on, until it expires.</summary>
    public void Set(IpAddress destination, IpAddress nextHop, Instant now)
    {
        if (!_routes.ContainsKey(destination) && _routes.Count >= Capacity)
        {
            var victim = _routes.MinBy(r => r.Value.Expires).Key;
            _routes.Remove(victim);
        }
        var expires = now + Lifetime;
        _routes[destination] = (nextHop, expires);
        NextExpiry = Instant.Min(NextExpiry, expires);
    }

    public bool Remove(IpAddress destination) => _routes.Remove(destination);

    /// <summary>Drops the routes whose time is up.</summary>
    public void Expire(Instant now)
    {
        if (now < NextExpiry) return;
        var next = Instant.Never;
        foreach (var (destination, route) in _routes)
        {
            if (route.Expires <= now) _routes.Remove(destination);
            else next = Instant.Min(next, route.Expires);
        }
        NextExpiry = next;
    }

    /// <summary>The routes as (destination, next hop) pairs, for diagnostics.</summary>
    public IReadOnlyList<(IpAddress Destination, IpAddress NextHop)> Snapshot() =>
        _routes.Select(r => (r.Key, r.Value.NextHop)).ToArray();
}
