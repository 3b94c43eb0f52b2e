using Microsoft.Extensions.Logging;
using Stack.IP;
using Stack.IP.Multicast;
using Stack.IP.Autoconf;
using Stack.IP.Routing;
using Stack.Link.Devices.Impairment;
using Stack.Link.Wire;
using Stack.Sockets.Dns;
using Stack.Tcp;
using Stack.Tcp.Ports;

namespace Stack.Sockets.Hosting;

/// <summary>
/// Everything a stack is brought up from (<see cref="StackInstance.Start(StackOptions, Action{StackInstance}?)"/>):
/// the link, its addresses and gateways, the MTU, an optional pcap trace and impairment, the TCP settings its
/// sockets start from, and where logs and time come from.
/// </summary>
/// <example>
/// <code>
/// using var stack = StackInstance.Start(new StackOptions
/// {
///     Link = StackLink.Tap("stack0"),
///     Addresses = [InterfaceAddress.Parse("192.0.2.2/24"), InterfaceAddress.Parse("2001:db8::2/64")],
///     GatewayV4 = Ipv4Address.Parse("192.0.2.1"),
/// });
/// </code>
/// </example>
public sealed record StackOptions
{
    /// <summary>IPv6 needs links of at least 1280 bytes (RFC 8200 §5); IPv4 alone, 576 (RFC 791).</summary>
    public const int MinMtuIpv6 = 1280;

    public const int MinMtuIpv4 = 576;

    /// <summary>Jumbo frames.</summary>
    public const int MaxMtu = 9000;

    public required StackLink Link { get; init; }

    /// <summary>The stack's name in logs; the link's name when not given.</summary>
    public string? Name { get; init; }

    /// <summary>The stack's addresses with their prefixes; at least one, unless <see cref="Autoconf"/> is on or <see cref="Dhcp"/> gets one.</summary>
    public IReadOnlyList<InterfaceAddress> Addresses { get; init; } = [];

    public Ipv4Address? GatewayV4 { get; init; }

    /// <summary>
    /// When given, a DHCPv4 client (<see cref="Stack.Sockets.Dhcp.DhcpAttachment"/>) leases an IPv4 address, its
    /// prefix and router (<see cref="StackInstance.Dhcp"/>); the stack may then start with no address at all.
    /// </summary>
    public Stack.Sockets.Dhcp.DhcpClientOptions? Dhcp { get; init; }

    public Ipv6Address? GatewayV6 { get; init; }

    /// <summary>
    /// IPv6 autoconfiguration: router solicitation, default routers, on-link prefixes and SLAAC addresses from
    /// router advertisements, DNS servers from RDNSS (<see cref="IpHost.Autoconf"/>). On by default, as Linux's
    /// accept_ra = 1 is for a host, so that a stack bridged to a LAN joins it as any host does; null turns it off.
    /// Configured addresses and <see cref="GatewayV6"/> stay, and the configured gateway wins over a learned router.
    /// Off on a link below IPv6's 1280-byte minimum MTU, where Linux disables IPv6 altogether.
    /// </summary>
    public AutoconfOptions? Autoconf { get; init; } = new();

    /// <summary>The link-layer address; a random locally administered one when not given.</summary>
    public MacAddress? Mac { get; init; }

    public int Mtu { get; init; } = 1500;

    /// <summary>When given, every frame the stack sends and receives is written to this pcap file.</summary>
    public string? PcapFile { get; init; }

    /// <summary>Loss, delay, duplication, reordering, corruption or a rate limit on the stack's side of the link.</summary>
    public ImpairmentSpec? Impairment { get; init; }

    /// <summary>The TCP configuration every socket starts from (congestion control, buffers, timers).</summary>
    public TcpConfig Tcp { get; init; } = TcpConfig.Default;

    /// <summary>The DNS resolver's servers, timeouts and cache (<see cref="StackInstance.Dns"/>).</summary>
    public DnsResolverOptions Dns { get; init; } = new();

    /// <summary>Where the stack logs; nowhere when not given.</summary>
    public ILoggerFactory? Logs { get; init; }

    /// <summary>The stack's clock; the system's when not given (tests pass a fake one).</summary>
    public TimeProvider? Time { get; init; }

    /// <summary>MLD and IGMP: whether the groups the stack joins are reported (on by default), and their timers.</summary>
    public MembershipOptions Membership { get; init; } = new();

    /// <summary>
    /// How long the event loop busy-polls the link before it sleeps in poll(2), as Linux's SO_BUSY_POLL: a frame
    /// that comes meanwhile costs no wake-up, which cuts a small round trip's latency, for a core spent spinning
    /// whenever the stack goes idle. Zero, the default, is off. Only a polled link (a TAP, on the system clock) spins.
    /// </summary>
    public TimeSpan BusyPoll { get; init; }

    /// <summary>
    /// The local ports a connect or a bind to port 0 takes, TCP and UDP alike (Linux's
    /// net.ipv4.ip_local_port_range): IANA's dynamic range, 49152–65535, unless set. With several queues each shard
    /// takes a slice of it (<see cref="StackShards"/>).
    /// </summary>
    public (ushort First, ushort Last) LocalPortRange { get; init; } = (EphemeralPorts.DefaultFirst, EphemeralPorts.DefaultLast);

    /// <summary>The longest <see cref="BusyPoll"/>: beyond this the loop is simply spinning.</summary>
    public static readonly TimeSpan MaxBusyPoll = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Throws <see cref="ArgumentException"/> naming the first option that cannot work: no address, an address
    /// that cannot be an interface's, a multicast MAC, an MTU outside what the addresses' families allow.
    /// </summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Link, nameof(Link));
        ArgumentNullException.ThrowIfNull(Dns, nameof(Dns));
        Dns.Validate();
        if (Addresses.Count == 0 && Autoconf is null && Dhcp is null)
            throw new ArgumentException("at least one address is needed, or DHCP, or IPv6 autoconfiguration", nameof(Addresses));
        Autoconf?.Validate();
        foreach (var a in Addresses)
        {
            if (a.Address.IsUnspecified || a.Address.IsMulticast)
                throw new ArgumentException($"{a} cannot be an interface address", nameof(Addresses));
        }
        if (BusyPoll < TimeSpan.Zero || BusyPoll > MaxBusyPoll)
            throw new ArgumentException($"busy-poll {BusyPoll} is outside 0..{MaxBusyPoll}", nameof(BusyPoll));
        if (LocalPortRange.First == 0 || LocalPortRange.First > LocalPortRange.Last)
            throw new ArgumentException($"local port range {LocalPortRange.First}-{LocalPortRange.Last} is not FIRST-LAST with 1 <= FIRST <= LAST", nameof(LocalPortRange));
        if (Mac is { } mac && (mac.IsMulticast || mac == MacAddress.Zero))
            throw new ArgumentException($"{mac} is not a unicast address", nameof(Mac));
        int min = Addresses.Any(a => a.Address.IsIpv6) || Addresses.Count == 0 ? MinMtuIpv6 : MinMtuIpv4;
        if (Mtu < min || Mtu > MaxMtu)
            throw new ArgumentException($"MTU {Mtu} is outside {min}..{MaxMtu} for these addresses", nameof(Mtu));
    }

    /// <summary>The IP layer's options these give.</summary>
    public IpHostOptions ToHostOptions() => new()
    {
        Mac = Mac ?? MacAddress.RandomLocal(Random.Shared),
        Mtu = Mtu,
        Addresses = Addresses,
        GatewayV4 = GatewayV4,
        GatewayV6 = GatewayV6,
        Membership = Membership,
        Autoconf = Mtu >= MinMtuIpv6 ? Autoconf : null,
    };
}
