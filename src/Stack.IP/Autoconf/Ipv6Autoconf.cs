using System.Security.Cryptography;
using Stack.IP.Routing;
using Stack.Link.Time;
using Stack.Link.Wire;

namespace Stack.IP.Autoconf;

/// <summary>
/// IPv6 autoconfiguration of one interface, sans-I/O, owned by its <see cref="IpHost"/> and the event loop:
/// router solicitation at start (RFC 4861 §6.3.7, with Linux's RFC 7559 backoff), router advertisement processing
/// (§6.3.4: default routers, on-link prefixes, MTU, hop limit, reachable time and retransmission timer), SLAAC
/// (RFC 4862: addresses from /64 prefixes with the A flag, DAD, preferred and valid lifetimes) and RDNSS (RFC 8106).
/// </summary>
/// <remarks>
/// Driving it: <see cref="IpHost"/> calls <c>Start</c> when the link comes up, hands it the router advertisements
/// and the DAD-related neighbour messages neighbour discovery receives, and runs <c>OnTimer</c> when
/// <see cref="NextDeadline"/> is due. Outputs are packets sent through the host, addresses added to and removed from
/// it (<see cref="IpHost.AddAddress"/>, <see cref="IpHost.RemoveAddress"/>), the default router and on-link prefixes
/// in <see cref="IpHost.Routes"/>, and <see cref="Changed"/> events. The lists (<see cref="Routers"/>,
/// <see cref="Prefixes"/>, <see cref="Addresses"/>, <see cref="DnsServers"/>) are immutable snapshots, replaced on
/// each change, so any thread may read them.
/// </remarks>
public sealed partial class Ipv6Autoconf
{
    private readonly IpHost _host;
    private readonly Random _random;
    private readonly byte[] _secret;
    private readonly byte[] _scratch = new byte[128];
    private readonly ExpiringList<Ipv6Address> _routers;
    private readonly ExpiringList<InterfaceAddress> _prefixes;
    private readonly ExpiringList<Ipv6Address> _dns;
    private readonly List<Formed> _formed = [];
    private readonly List<Ipv6Address> _expiredAddresses = [];
    private readonly List<InterfaceAddress> _expiredPrefixes = [];
    private Instant _next = Instant.Never;
    private bool _started;

    private volatile DefaultRouter[] _routerSnapshot = [];
    private volatile OnLinkPrefix[] _prefixSnapshot = [];
    private volatile SlaacAddress[] _addressSnapshot = [];
    private volatile DnsServer[] _dnsSnapshot = [];

    internal Ipv6Autoconf(IpHost host, AutoconfOptions options, Random random)
    {
        options.Validate();
        _host = host;
        Options = options;
        _random = random;
        _secret = options.StableSecret ?? NewSecret(random);
        _routers = new(options.MaxRouters);
        _prefixes = new(options.MaxPrefixes);
        _dns = new(options.MaxDnsServers);
        _solicitInterval = options.RouterSolicitationInterval;
    }

    /// <summary>A secret from the system's generator, unless a test seeded the host's <see cref="Random"/>.</summary>
    private static byte[] NewSecret(Random random)
    {
        var secret = new byte[16];
        if (random == Random.Shared) RandomNumberGenerator.Fill(secret);
        else random.NextBytes(secret);
        return secret;
    }

    public AutoconfOptions Options { get; }

    public AutoconfStatistics Statistics { get; } = new();

    /// <summary>Raised on the event loop for each address, router, prefix and DNS server that comes, changes state or goes.</summary>
    public event Action<AutoconfChange>? Changed;

    /// <summary>The default router list, in the order routers were learned.</summary>
    public IReadOnlyList<DefaultRouter> Routers => _routerSnapshot;

    /// <summary>The on-link prefixes router advertisements gave.</summary>
    public IReadOnlyList<OnLinkPrefix> Prefixes => _prefixSnapshot;

    /// <summary>The addresses SLAAC formed, tentative ones included.</summary>
    public IReadOnlyList<SlaacAddress> Addresses => _addressSnapshot;

    /// <summary>The RDNSS servers (RFC 8106), for the DNS resolver; <see cref="Changed"/> says when they change.</summary>
    public IReadOnlyList<DnsServer> DnsServers => _dnsSnapshot;

    /// <summary>The earliest timer: a solicitation, a DAD step, or a lifetime's end.</summary>
    public Instant NextDeadline => _next;

    /// <summary>True when <paramref name="address"/> is a SLAAC address past its preferred lifetime (RFC 4862 §5.5.4).</summary>
    public bool IsDeprecated(Ipv6Address address)
    {
        foreach (var f in _formed)
            if (f.Address == address) return f.State == SlaacState.Deprecated;
        return false;
    }

    internal void Start(Instant now)
    {
        if (_started) return;
        _started = true;
        _solicitAt = now + RandomDelay(Options.RouterSolicitationDelay);
        Recompute();
    }

    /// <summary>Runs every timer that is due: the table of <see cref="NextDeadline"/>'s parts.</summary>
    internal void OnTimer(Instant now)
    {
        if (now < _next) return;
        if (_solicitAt <= now) OnSolicitTimer(now);
        OnAddressTimers(now);
        ExpireRouters(now);
        ExpirePrefixes(now);
        ExpireDnsServers(now);
        Publish();
        Recompute();
    }

    private void Recompute()
    {
        var next = Instant.Min(_solicitAt, Instant.Min(_routers.NextExpiry, Instant.Min(_prefixes.NextExpiry, _dns.NextExpiry)));
        foreach (var f in _formed) next = Instant.Min(next, f.NextEvent);
        _next = next;
    }

    private TimeSpan RandomDelay(TimeSpan max) => TimeSpan.FromTicks((long)(_random.NextDouble() * max.Ticks));

    private void Raise(AutoconfChangeKind kind, Ipv6Address address, Instant now) =>
        Changed?.Invoke(new AutoconfChange(kind, address, now));

    /// <summary>Replaces the snapshots other threads read.</summary>
    private void Publish()
    {
        var routers = new DefaultRouter[_routers.Count];
        for (int i = 0; i < routers.Length; i++) routers[i] = new DefaultRouter(_routers[i].Key, _routers[i].Expires);
        _routerSnapshot = routers;
        var prefixes = new OnLinkPrefix[_prefixes.Count];
        for (int i = 0; i < prefixes.Length; i++) prefixes[i] = new OnLinkPrefix(_prefixes[i].Key, _prefixes[i].Expires);
        _prefixSnapshot = prefixes;
        var dns = new DnsServer[_dns.Count];
        for (int i = 0; i < dns.Length; i++) dns[i] = new DnsServer(_dns[i].Key, _dns[i].Expires);
        _dnsSnapshot = dns;
        _addressSnapshot = _formed.Select(f => new SlaacAddress(new InterfaceAddress(f.Address, 64), f.State, f.PreferredUntil, f.ValidUntil)).ToArray();
        _host.RaiseConfigurationChanged();
    }
}
