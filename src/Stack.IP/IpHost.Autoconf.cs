using Stack.IP.Autoconf;
using Stack.Link.Time;
using Stack.Link.Wire;

namespace Stack.IP;

// What IPv6 autoconfiguration sets on the host, and its timers with the redirect routes' expiry.
public sealed partial class IpHost
{
    private byte? _ipv6HopLimit;
    private int _ipv6Mtu;

    /// <summary>IPv6 autoconfiguration, or null when <see cref="IpHostOptions.Autoconf"/> left it off.</summary>
    public Ipv6Autoconf? Autoconf { get; }

    /// <summary>The hop limit of IPv6 packets we originate: a router advertisement's Cur Hop Limit, else the default TTL.</summary>
    public byte Ipv6HopLimit
    {
        get => _ipv6HopLimit ?? DefaultTtl;
        internal set => _ipv6HopLimit = value;
    }

    /// <summary>The link MTU for IPv6: a router advertisement's MTU option (RFC 4861 §4.6.4), else the link's.</summary>
    public int Ipv6Mtu
    {
        get => _ipv6Mtu == 0 ? Mtu : _ipv6Mtu;
        internal set => _ipv6Mtu = value;
    }

    private Instant AutoconfDeadline => Instant.Min(Routes.Redirects.NextExpiry, Autoconf?.NextDeadline ?? Instant.Never);

    private void OnAutoconfTimer(Instant now)
    {
        Routes.Redirects.Expire(now);
        Autoconf?.OnTimer(now);
    }
}
