using System.Buffers.Binary;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Stack.IP;
using Stack.IP.Fragments;
using Stack.IP.Wire;
using Stack.Link.Diagnostics;
using Stack.Link.Time;
using Stack.Link.Wire;
using Stack.Udp.Diagnostics;
using Stack.Udp.Ports;
using Stack.Udp.Wire;

namespace Stack.Udp;

/// <summary>
/// UDP (RFC 768) over an <see cref="IpHost"/>, sans-I/O: checks and demultiplexes received datagrams to
/// endpoints, answers datagrams for closed ports with ICMP port unreachable, sends, and hands ICMP errors to the
/// endpoint that caused them. Called only on the event loop.
/// </summary>
/// <remarks>
/// No dual stack: an IPv6 endpoint receives only IPv6 and an IPv4 endpoint only IPv4, so an IPv4 wildcard and
/// an IPv6 wildcard bind of the same port are independent (as with IPV6_V6ONLY=1 on Linux). A server that wants
/// both families binds twice.
/// </remarks>
public sealed partial class UdpLayer : IIpTransport
{
    /// <summary>The largest payload over IPv4: 65535 less the IPv4 and UDP headers.</summary>
    public const int MaxIpv4Payload = ushort.MaxValue - Ipv4Header.MinLength - UdpHeader.HeaderLength;

    /// <summary>The largest payload over IPv6 (without jumbograms): 65535 less the UDP header.</summary>
    public const int MaxIpv6Payload = ushort.MaxValue - UdpHeader.HeaderLength;

    private readonly IpHost _host;
    private readonly ILogger _log;
    private readonly RandomPorts _ephemeral;
    private readonly Dictionary<ushort, List<UdpEndpoint>> _ports = [];
    private readonly byte[] _tx = new byte[UdpWriter.MaxLength];

    public UdpLayer(IpHost host, Random? random = null, ILogger? log = null)
    {
        _host = host ?? throw new ArgumentNullException(nameof(host));
        _log = log ?? NullLogger.Instance;
        _ephemeral = new RandomPorts(random ?? Random.Shared);
    }

    /// <summary>Creates the layer and registers it with <paramref name="host"/> for protocol 17.</summary>
    public static UdpLayer Attach(IpHost host, Random? random = null, ILogger? log = null)
    {
        var udp = new UdpLayer(host, random, log);
        host.Register(IpProtocol.Udp, udp);
        return udp;
    }

    public UdpStatistics Statistics { get; } = new();

    /// <summary>
    /// Set by a multi-queue stack (StackShards): offered each unicast datagram that no endpoint here takes, before
    /// port unreachable answers it (<see cref="DatagramHandOff"/>): a client socket on another shard may be waiting
    /// for it, the kernel having steered the reply to this shard's queue.
    /// </summary>
    public DatagramHandOff? HandOff { get; set; }

    /// <summary>
    /// The ephemeral ports an endpoint bound to port 0 gets (<see cref="RandomPorts.Range"/>): all of 49152–65535, or
    /// a shard's slice of a multi-queue stack, so that two shards never use the same one.
    /// </summary>
    public (ushort First, ushort Last) EphemeralRange
    {
        get => _ephemeral.Range;
        set => _ephemeral.Range = value;
    }

    public Instant NextDeadline => Instant.Never;

    public void OnTimer(Instant now)
    {
    }

    public static int MaxPayload(AddressFamily family) =>
        family == AddressFamily.InterNetworkV6 ? MaxIpv6Payload : MaxIpv4Payload;

    /// <summary>A new, unbound endpoint of <paramref name="family"/>.</summary>
    public UdpEndpoint Open(AddressFamily family)
    {
        if (family is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
            throw new ArgumentException($"UDP runs over InterNetwork or InterNetworkV6, not {family}.", nameof(family));
        return new UdpEndpoint(family);
    }

    /// <summary>
    /// Binds to <paramref name="address"/> (one of ours, or unspecified for all) and <paramref name="port"/>
    /// (0: an ephemeral one). A port already bound on an overlapping address fails with
    /// <see cref="SocketError.AddressAlreadyInUse"/> unless every endpoint on it set <see cref="UdpEndpoint.ReuseAddress"/>.
    /// </summary>
    public SocketError Bind(UdpEndpoint endpoint, IpAddress address, ushort port)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (endpoint.IsClosed) return SocketError.OperationAborted;
        if (endpoint.IsBound) return SocketError.InvalidArgument;
        if (address.Family != endpoint.Family) return SocketError.AddressFamilyNotSupported;
        // Linux binds UDP to a group address too: the endpoint then takes only that group's datagrams.
        if (!address.IsUnspecified && !address.IsMulticast && !_host.IsLocal(address)) return SocketError.AddressNotAvailable;
        if (port == 0)
        {
            if (!_ephemeral.TryAllocate(InUse, out port)) return SocketError.AddressNotAvailable;
        }
        else if (_ports.TryGetValue(port, out var bound))
        {
            foreach (var other in bound)
            {
                bool overlap = other.LocalAddress.IsUnspecified || address.IsUnspecified || other.LocalAddress == address;
                if (other.Family == endpoint.Family && overlap && !(other.ReuseAddress && endpoint.ReuseAddress))
                    return SocketError.AddressAlreadyInUse;
            }
        }
        endpoint.LocalAddress = address;
        endpoint.LocalPort = port;
        if (!_ports.TryGetValue(port, out var list)) _ports[port] = list = [];
        list.Add(endpoint);
        return SocketError.Success;
    }

    /// <summary>
    /// Sets the default destination and accepts datagrams only from it. Binds an ephemeral port first if need
    /// be, and fixes the local address to the one the route to the peer uses.
    /// </summary>
    public SocketError Connect(UdpEndpoint endpoint, IpAddress address, ushort port)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (endpoint.IsClosed) return SocketError.OperationAborted;
        if (address.Family != endpoint.Family) return SocketError.AddressFamilyNotSupported;
        if (address.IsUnspecified || port == 0) return SocketError.AddressNotAvailable;
        if (!endpoint.IsBound && Bind(endpoint, endpoint.Family == AddressFamily.InterNetworkV6 ? IpAddress.AnyV6 : IpAddress.AnyV4, 0)
            is var bound and not SocketError.Success)
            return bound;
        if (endpoint.LocalAddress.IsUnspecified)
        {
            if (_host.SelectSource(address) is not { } source) return SocketError.NetworkUnreachable;
            endpoint.LocalAddress = source;
        }
        endpoint.RemoteAddress = address;
        endpoint.RemotePort = port;
        return SocketError.Success;
    }

    /// <summary>
    /// Sends <paramref name="payload"/> to <paramref name="destination"/>:<paramref name="port"/>, binding an
    /// ephemeral port first if need be. A pending ICMP error is returned (and cleared) instead, as Linux does.
    /// </summary>
    public SocketError SendTo(UdpEndpoint endpoint, IpAddress destination, ushort port, ReadOnlySpan<byte> payload, Instant now)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (endpoint.IsClosed) return SocketError.OperationAborted;
        if (destination.Family != endpoint.Family) return SocketError.AddressFamilyNotSupported;
        if (destination.IsUnspecified || port == 0) return SocketError.AddressNotAvailable;
        if (endpoint.PendingError != SocketError.Success) return endpoint.TakeError();
        if (payload.Length > MaxPayload(endpoint.Family)) return SocketError.MessageSize;
        if (!endpoint.IsBound && Bind(endpoint, endpoint.Family == AddressFamily.InterNetworkV6 ? IpAddress.AnyV6 : IpAddress.AnyV4, 0)
            is var bound and not SocketError.Success)
            return bound;

        var source = endpoint.LocalAddress;
        if (source.IsUnspecified || source.IsMulticast)
        {
            // A host with no IPv4 address yet sends its limited broadcasts from 0.0.0.0 (a DHCP client, RFC 2131
            // §4.1); IP allows that source for nothing else.
            if (_host.SelectSource(destination) is { } chosen) source = chosen;
            else if (!(destination.IsIpv4 && destination.V4.IsBroadcast)) return SocketError.NetworkUnreachable;
        }
        int length = UdpHeader.HeaderLength + payload.Length;
        if (CheckFragments(endpoint, destination, length, now) is var refused and not SocketError.Success) return refused;
        UdpWriter.Write(_tx, endpoint.LocalPort, port, payload, PseudoHeader(source, destination, length));
        var hopLimit = destination.IsMulticast ? endpoint.MulticastHopLimit ?? DefaultMulticastHopLimit : endpoint.HopLimit;
        var result = _host.Send(source, destination, IpProtocol.Udp, _tx.AsSpan(0, length), now, hopLimit,
            dontFragment: endpoint.DontFragment);
        if (result is SendResult.Sent or SendResult.Queued)
        {
            Statistics.DatagramsSent++;
            if (destination.IsIpv6) Statistics.Ipv6DatagramsSent++;
            if (destination.IsMulticast && endpoint.MulticastLoopback) LoopBack(source, destination, length, hopLimit ?? 0);
        }
        return result switch
        {
            SendResult.Sent or SendResult.Queued => SocketError.Success,
            SendResult.NoRoute => SocketError.NetworkUnreachable,
            SendResult.MessageTooLong => SocketError.MessageSize,
            SendResult.BadSource => SocketError.AddressNotAvailable,
            _ => SocketError.NoBufferSpaceAvailable,
        };
    }

    /// <summary>
    /// A datagram of <paramref name="length"/> bytes over the path MTU, as Linux's __ip_append_data and
    /// __ip6_append_data treat it: refused with EMSGSIZE under <see cref="UdpEndpoint.DontFragment"/>; otherwise
    /// fragmented, where the first fragment's skb comes from sock_alloc_send_skb (which waits only for a send
    /// queue, and UDP here has none) and each later one is allocated only while those before it are charged at
    /// most 2 · sk_sndbuf, else ENOBUFS. A fragment is charged its bytes plus an skb's overhead.
    /// </summary>
    private SocketError CheckFragments(UdpEndpoint endpoint, IpAddress destination, int length, Instant now)
    {
        int mtu = _host.PathMtu(destination, now);
        int header = destination.IsIpv6 ? Ipv6Header.Length : Ipv4Header.MinLength;
        if (header + length <= mtu) return SocketError.Success;
        if (endpoint.DontFragment) return SocketError.MessageSize;
        int step = Fragmenter.MaxFragmentPayload(mtu, header, destination.IsIpv6);
        if (step == 0) return SocketError.Success; // IP refuses it.
        int fragment = header + (destination.IsIpv6 ? Fragmenter.Ipv6FragmentHeaderLength : 0) + step; // All but the last are full.
        long before = (long)(Fragmenter.Count(length, step) - 1) * (fragment + UdpEndpoint.PerDatagramOverhead);
        return before > 2L * endpoint.SendBufferSize ? SocketError.NoBufferSpaceAvailable : SocketError.Success;
    }

    /// <summary>Unbinds the endpoint and frees its queue. Idempotent.</summary>
    public void Close(UdpEndpoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (endpoint.IsClosed) return;
        endpoint.IsClosed = true;
        LeaveAll(endpoint);
        if (endpoint.IsBound && _ports.TryGetValue(endpoint.LocalPort, out var list))
        {
            list.Remove(endpoint);
            if (list.Count == 0) _ports.Remove(endpoint.LocalPort);
        }
        endpoint.Clear();
    }

    public void OnDatagram(in IpDatagram datagram, Instant now)
    {
        var bytes = datagram.Payload;
        // The pseudo-header carries the UDP length field; a bad one fails the parse below either way.
        int udpLength = bytes.Length >= UdpHeader.HeaderLength ? BinaryPrimitives.ReadUInt16BigEndian(bytes[4..]) : bytes.Length;
        var pseudo = PseudoHeader(datagram.Source, datagram.Destination, udpLength);
        if (!UdpHeader.TryParse(bytes, pseudo, checksumRequired: datagram.Source.IsIpv6, out var udp, out var reason))
        {
            Statistics.InErrors++;
            if (reason == RejectReason.BadChecksum) Statistics.ChecksumErrors++;
            if (datagram.Source.IsIpv6)
            {
                Statistics.Ipv6InErrors++;
                if (reason == RejectReason.BadChecksum) Statistics.Ipv6ChecksumErrors++;
            }
            Reject(reason);
            return;
        }
        if (datagram.IsToGroup)
        {
            if (!DeliverToGroup(datagram, udp)) NoListener(datagram.Source.IsIpv6);
            return;
        }
        if (Match(datagram.Destination, udp.DestinationPort, datagram.Source, udp.SourcePort) is not { } endpoint)
        {
            if (HandOff is { } handOff && handOff(datagram))
            {
                Statistics.HandedOff++;
                return;
            }
            NoListener(datagram.Source.IsIpv6);
            // RFC 1122 §4.1.3.1: port unreachable. IpHost refuses it for broadcasts, multicasts and errors.
            if (datagram.Source.IsIpv6)
                _host.SendIcmpv6Error(datagram.Packet, Icmpv6Type.DestinationUnreachable, Icmpv6Code.PortUnreachable, 0, now);
            else
                _host.SendIcmpv4Error(datagram.Packet, Icmpv4Type.DestinationUnreachable, Icmpv4Code.PortUnreachable, 0, now);
            return;
        }
        Deliver(endpoint, datagram, udp);
    }

    /// <summary>
    /// Whether an endpoint here would take a datagram from the quoted destination to the quoted source: the one the
    /// error is about may be here (a multi-queue stack asks before it hands the error to another shard).
    /// </summary>
    public bool ClaimsIcmpError(in IcmpError error)
    {
        var (localPort, remotePort) = QuotedPorts(error);
        return Match(error.Source, localPort, error.Destination, remotePort) is not null;
    }

    /// <summary>The ports of the datagram an ICMP error quotes: ours (its source) and the peer's.</summary>
    private static (ushort Local, ushort Remote) QuotedPorts(in IcmpError error) =>
        (BinaryPrimitives.ReadUInt16BigEndian(error.QuotedTransport), BinaryPrimitives.ReadUInt16BigEndian(error.QuotedTransport[2..]));

    public void OnIcmpError(in IcmpError error, Instant now)
    {
        var (localPort, remotePort) = QuotedPorts(error);
        if (!_ports.TryGetValue(localPort, out var list)) return;
        if (error.Kind == IcmpErrorKind.PacketTooBig)
        {
            // Linux (__udp4_lib_err): the path MTU is learned when an endpoint has the quoted port; UDP has no
            // sequence number to check the quote against.
            _host.LowerPathMtu(error.Destination, error.Mtu, now);
            return;
        }
        // Linux without IP_RECVERR: only hard errors, and only to connected endpoints (RFC 1122 §4.1.3.3 leaves
        // it to the application; an unconnected socket cannot tell whose datagram failed).
        if (!error.IsHard) return;
        foreach (var e in list)
        {
            if (!e.IsConnected || e.RemotePort != remotePort || e.RemoteAddress != error.Destination) continue;
            if (!e.LocalAddress.IsUnspecified && e.LocalAddress != error.Source) continue;
            UdpLog.IcmpError(_log, error.Kind, error.Reporter, localPort);
            e.PendingError = error.Kind == IcmpErrorKind.PortUnreachable ? SocketError.ConnectionRefused : SocketError.ProtocolOption;
            e.Notify();
            return;
        }
    }

    /// <summary>
    /// The endpoint a unicast datagram goes to: a connected one whose peer sent it, else one bound to the
    /// destination address, else a wildcard bind (like Linux's compute_score: the most specific wins).
    /// </summary>
    public UdpEndpoint? Match(IpAddress destination, ushort port, IpAddress source, ushort sourcePort)
    {
        if (!_ports.TryGetValue(port, out var list)) return null;
        UdpEndpoint? best = null;
        int bestScore = -1;
        foreach (var e in list)
        {
            if (!Accepts(e, destination, source, sourcePort)) continue;
            int score = (e.IsConnected ? 2 : 0) + (e.LocalAddress.IsUnspecified ? 0 : 1);
            if (score > bestScore) (best, bestScore) = (e, score);
        }
        return best;
    }

    /// <summary>Whether any endpoint is bound to <paramref name="port"/>, in either family.</summary>
    public bool InUse(ushort port) => _ports.ContainsKey(port);

    /// <summary>The bound endpoints, for inspection (<c>ss -u</c>); read on the loop only.</summary>
    public IEnumerable<UdpEndpoint> Endpoints => _ports.Values.SelectMany(list => list);

    private static bool Accepts(UdpEndpoint e, IpAddress destination, IpAddress source, ushort sourcePort)
    {
        if (e.Family != destination.Family) return false;
        if (!e.LocalAddress.IsUnspecified && e.LocalAddress != destination) return false;
        return !e.IsConnected || (e.RemoteAddress == source && e.RemotePort == sourcePort);
    }

    /// <summary>A broadcast or multicast goes to every endpoint that accepts it (each gets its own copy).</summary>
    private bool DeliverToGroup(in IpDatagram datagram, UdpHeader udp)
    {
        if (!_ports.TryGetValue(udp.DestinationPort, out var list)) return false;
        bool any = false;
        foreach (var e in list)
        {
            if (!Accepts(e, datagram.Destination, datagram.Source, udp.SourcePort)) continue;
            if (datagram.Destination.IsMulticast && !e.MulticastAll && !e.HasJoined(datagram.Destination)) continue;
            any = true;
            Deliver(e, datagram, udp);
        }
        return any;
    }

    private void Deliver(UdpEndpoint endpoint, in IpDatagram datagram, UdpHeader udp)
    {
        if (!endpoint.TryEnqueue(datagram.Source, udp.SourcePort, datagram.Destination, udp.Payload))
        {
            Statistics.ReceiveBufferErrors++;
            if (datagram.Source.IsIpv6) Statistics.Ipv6ReceiveBufferErrors++;
            _host.Rejects.Count(Layer.Udp, RejectReason.QueueFull);
            UdpLog.QueueFull(_log, endpoint.LocalPort, endpoint.QueuedBytes);
            return;
        }
        Statistics.DatagramsReceived++;
        if (datagram.Source.IsIpv6) Statistics.Ipv6DatagramsReceived++;
        endpoint.Notify();
    }

    private void NoListener(bool ipv6)
    {
        Statistics.NoPorts++;
        if (ipv6) Statistics.Ipv6NoPorts++;
        Reject(RejectReason.NoListener);
    }

    private void Reject(RejectReason reason)
    {
        _host.Rejects.Count(Layer.Udp, reason);
        UdpLog.Rejected(_log, reason);
    }

    private static ulong PseudoHeader(IpAddress source, IpAddress destination, int length) => source.IsIpv6
        ? InternetChecksum.PseudoHeader(source.V6, destination.V6, (byte)IpProtocol.Udp, length)
        : InternetChecksum.PseudoHeader(source.V4, destination.V4, (byte)IpProtocol.Udp, length);
}
