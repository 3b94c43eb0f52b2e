using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Stack.IP.Autoconf;
using Stack.IP.Diagnostics;
using Stack.IP.Fragments;
using Stack.IP.Multicast;
using Stack.IP.Ndp;
using Stack.IP.Routing;
using Stack.IP.Wire;
using Stack.Link.Arp;
using Stack.Link.Devices;
using Stack.Link.Diagnostics;
using Stack.Link.Loop;
using Stack.Link.Time;
using Stack.Link.Wire;

namespace Stack.IP;

/// <summary>
/// One Ethernet interface of the stack, sans-I/O: fed frames and the time, it answers ARP and neighbour
/// discovery, checks and dispatches IPv4 and IPv6 datagrams to the registered transports, answers pings, and
/// sends ICMP errors. Everything it sends goes to the transmitter it was built with.
/// </summary>
public sealed partial class IpHost : ILinkProtocol, IIpNetwork
{
    private readonly IpHostOptions _options;
    private readonly EthernetSender _link;
    private readonly ILogger _log;
    private readonly List<InterfaceAddress> _addresses = [];
    private readonly Dictionary<IpProtocol, IIpTransport> _transports = [];
    private readonly TokenBucket _icmpLimiter = new(); // Linux icmp_msgs_per_sec, icmp_msgs_burst
    private readonly byte[] _tx;

    /// <summary>The time of the timer run in progress, for callbacks that are not handed it.</summary>
    private Instant _timerNow;

    public IpHost(IpHostOptions options, IFrameTransmitter link, ILogger? log = null)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _log = log ?? NullLogger.Instance;
        _link = new EthernetSender(link, options.Mac, options.Mtu);
        TcpChecksumOffload = link is ILinkDevice device && device.TryEnableChecksumOffload();
        _tx = new byte[EthernetFrame.HeaderLength + options.Mtu];
        LinkLocal = Ipv6Address.LinkLocalFromMac(options.Mac);
        _addresses.Add(new InterfaceAddress(LinkLocal, 64));
        foreach (var a in options.Addresses)
        {
            _addresses.Add(a);
            Routes.AddOnLink(a);
        }
        Routes.GatewayV4 = options.GatewayV4 is { } g4 ? g4 : null;
        Routes.GatewayV6 = options.GatewayV6 is { } g6 ? g6 : null;
        _identifiers = NewIdentifiers(options.Random);
        Arp = new ArpProtocol(_link, IsLocal, SourceFor, options.Neighbors, Rejects, _log);
        Ndp = new NeighborDiscovery(this, options.Neighbors);
        Mld = new Mld(this, options.Membership, options.Random);
        Igmp = new Igmp(this, options.Membership, options.Random);
        AddClient(Mld);
        AddClient(Igmp);
        JoinOwnGroups();
        Autoconf = options.Autoconf is { } autoconf ? new Ipv6Autoconf(this, autoconf, options.Random) : null;
    }

    /// <summary>A secret from the system's generator, unless a test seeded <see cref="IpHostOptions.Random"/>.</summary>
    private static FragmentIdentifiers NewIdentifiers(Random random)
    {
        if (random == Random.Shared) return new FragmentIdentifiers();
        Span<byte> secret = stackalloc byte[16];
        random.NextBytes(secret);
        return new FragmentIdentifiers(secret);
    }

    public MacAddress Mac => _options.Mac;
    public int Mtu => _options.Mtu;
    public Ipv6Address LinkLocal { get; }
    public IReadOnlyList<InterfaceAddress> Addresses => _addresses;
    public RouteTable Routes { get; } = new();
    public ArpProtocol Arp { get; }
    public NeighborDiscovery Ndp { get; }
    public RejectCounters Rejects { get; } = new();
    public IpStatistics Statistics { get; } = new();

    internal ILogger Log => _log;
    internal EthernetSender Link => _link;
    internal byte DefaultTtl => _options.DefaultTtl;

    public void Register(IpProtocol protocol, IIpTransport transport) => _transports[protocol] = transport;

    public void Start(Instant now)
    {
        foreach (var a in _addresses)
        {
            if (a.Address.IsIpv4) Arp.Announce(a.Address.V4);
            else Ndp.Announce(a.Address.V6);
        }
        Mld.Start(now);
        Igmp.Start(now);
        Autoconf?.Start(now);
    }

    public Instant NextDeadline
    {
        get
        {
            var next = Instant.Min(Instant.Min(Arp.Cache.NextDeadline, Ndp.Cache.NextDeadline), Instant.Min(FragmentDeadline, AutoconfDeadline));
            foreach (var t in _transports.Values) next = Instant.Min(next, t.NextDeadline);
            return Instant.Min(next, ClientDeadline());
        }
    }

    public void OnTimer(Instant now)
    {
        _timerNow = now;
        OnFragmentTimers(now);
        Arp.Cache.OnTimer(now);
        Ndp.Cache.OnTimer(now);
        OnClientTimers(now);
        OnAutoconfTimer(now);
        foreach (var t in _transports.Values)
            if (t.NextDeadline <= now) t.OnTimer(now);
    }

    public void OnFrame(ReadOnlySpan<byte> frame, Instant now) => OnFrame(frame, now, segmentSize: 0);

    /// <summary>
    /// A frame that the link delivers as one receive-offload aggregate (GRO) of segments of
    /// <paramref name="segmentSize"/> payload bytes each, as a TAP with a virtio-net header says (gso_size); 0 for a
    /// plain frame. The size travels with the datagram to its transport (<see cref="IpDatagram.SegmentSize"/>),
    /// which may read it as Linux reads skb_shinfo(skb)->gso_size; fragments and reassembled datagrams have none.
    /// </summary>
    public void OnFrame(ReadOnlySpan<byte> frame, Instant now, int segmentSize)
    {
        Statistics.FramesReceived++;
        if (!EthernetFrame.TryParse(frame, out var eth, out var reason))
        {
            Reject(Layer.Ethernet, reason);
            return;
        }
        var dst = eth.Destination;
        if (dst != Mac && !dst.IsBroadcast && !IsJoinedGroup(dst))
        {
            Rejects.Count(Layer.Ethernet, RejectReason.NotForUs);
            return;
        }
        if (eth.Source.IsMulticast || eth.Source == Mac)
        {
            Reject(Layer.Ethernet, RejectReason.BadAddress);
            return;
        }
        switch (eth.EtherType)
        {
            case EtherType.Arp:
                Arp.OnPacket(eth.Payload, eth.Source, now);
                break;
            case EtherType.Ipv4:
                OnIpv4(eth.Payload, dst.IsBroadcast || dst.IsMulticast, now, segmentSize);
                break;
            case EtherType.Ipv6:
                OnIpv6(eth.Payload, now, segmentSize: segmentSize);
                break;
            default:
                Reject(Layer.Ethernet, RejectReason.UnsupportedType);
                break;
        }
    }

    public bool IsLocal(IpAddress address)
    {
        foreach (var a in _addresses)
            if (a.Address == address) return true;
        return false;
    }

    private bool IsLocal(Ipv4Address address) => IsLocal((IpAddress)address);

    public bool CanReach(IpAddress destination) => Routes.TryGetNextHop(destination, out _);

    /// <summary>RFC 6724 in miniature: a same-family address on the destination's prefix, else the first one.</summary>
    public IpAddress? SelectSource(IpAddress destination)
    {
        IpAddress? first = null, deprecated = null;
        bool wantLinkLocal = destination.IsIpv6 && (destination.V6.IsLinkLocal || destination.V6.IsMulticast);
        foreach (var a in _addresses)
        {
            if (a.Address.IsIpv6 != destination.IsIpv6) continue;
            if (destination.IsIpv6 && a.Address.V6.IsLinkLocal != wantLinkLocal) continue;
            if (destination.IsIpv6 && IsDeprecated(a.Address.V6))
            {
                deprecated ??= a.Address; // RFC 6724 rule 3: avoid deprecated addresses
                continue;
            }
            if (a.Covers(destination)) return a.Address;
            first ??= a.Address;
        }
        return first ?? deprecated ?? (destination.IsIpv6 ? LinkLocal : null);
    }

    private Ipv4Address SourceFor(Ipv4Address target) => SelectSource(target) is { IsIpv4: true } s ? s.V4 : Ipv4Address.Any;

    /// <summary>The link filter: Ethernet groups of the IP groups joined (<see cref="JoinGroup"/>), and those of tentative addresses.</summary>
    private bool IsJoinedGroup(MacAddress mac) => _linkGroups.ContainsKey(mac) || IsTentativeGroup(mac);

    internal void Reject(Layer layer, RejectReason reason)
    {
        Rejects.Count(layer, reason);
        IpLog.Rejected(_log, layer, reason);
    }
}
