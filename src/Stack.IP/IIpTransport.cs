using Stack.IP.Wire;
using Stack.Link.Time;

namespace Stack.IP;

/// <summary>A datagram that IP has checked and handed up: addresses, and the transport's bytes.</summary>
public readonly ref struct IpDatagram
{
    public IpDatagram(IpAddress source, IpAddress destination, IpProtocol protocol, byte hopLimit,
        ReadOnlySpan<byte> payload, ReadOnlySpan<byte> packet, bool toGroup, int segmentSize = 0)
    {
        SegmentSize = segmentSize;
        Source = source;
        Destination = destination;
        Protocol = protocol;
        HopLimit = hopLimit;
        Payload = payload;
        Packet = packet;
        IsToGroup = toGroup;
    }

    public IpAddress Source { get; }
    public IpAddress Destination { get; }
    public IpProtocol Protocol { get; }
    public byte HopLimit { get; }

    /// <summary>The transport header and data.</summary>
    public ReadOnlySpan<byte> Payload { get; }

    /// <summary>The whole IP packet, headers included, for quoting in an ICMP error.</summary>
    public ReadOnlySpan<byte> Packet { get; }

    /// <summary>Sent to a broadcast or multicast address: no ICMP error may answer it.</summary>
    public bool IsToGroup { get; }

    /// <summary>
    /// The size of the segments this datagram was made of when the link handed it over as one offloaded aggregate
    /// (GRO; a TAP's virtio-net header's gso_size), 0 when it came as it was sent. See <see cref="IpHost.OnFrame(ReadOnlySpan{byte}, Instant, int)"/>.
    /// </summary>
    public int SegmentSize { get; }

    /// <summary>
    /// The ECN field (RFC 3168 §5: 0 not-ECT, 1 ECT(1), 2 ECT(0), 3 CE): the low two bits of the IPv4 TOS byte or
    /// of the IPv6 traffic class, read from the packet's own header.
    /// </summary>
    public byte Ecn => Packet.Length < 2 ? (byte)0
        : Packet[0] >> 4 == 6 ? (byte)((Packet[1] >> 4) & 3) : (byte)(Packet[1] & 3);
}

/// <summary>A transport protocol (TCP, UDP) as the IP layer sees it. Called only on the event loop.</summary>
public interface IIpTransport
{
    void OnDatagram(in IpDatagram datagram, Instant now);

    /// <summary>
    /// An ICMP error quoting one of this transport's datagrams (its source checked to be ours). A too-big error
    /// lowers the path MTU only if the transport matches it to state of its own and calls
    /// <see cref="IIpNetwork.LowerPathMtu"/> (RFC 5927 §4.1).
    /// </summary>
    void OnIcmpError(in IcmpError error, Instant now);

    /// <summary>
    /// Whether state of this transport matches the datagram <paramref name="error"/> quotes (a connection or socket of
    /// its four-tuple). Asked only by a multi-queue stack (<see cref="IpHost.IcmpHandOff"/>), which hands an error no
    /// one here claims to another shard; true by default (the error stays here).
    /// </summary>
    bool ClaimsIcmpError(in IcmpError error) => true;

    /// <summary>Runs the transport's due timers.</summary>
    void OnTimer(Instant now);

    /// <summary>The transport's earliest timer, or <see cref="Instant.Never"/>.</summary>
    Instant NextDeadline { get; }

    /// <summary>
    /// <paramref name="address"/> is no longer ours (<see cref="IpHost.RemoveAddress"/>): state bound to it can no
    /// longer send or receive. Nothing by default.
    /// </summary>
    void OnAddressRemoved(IpAddress address, Instant now) { }
}

/// <summary>
/// What a transport needs of the IP layer beneath it, and nothing more: its addresses and routes, the MTUs, a way
/// to send a datagram and to count a rejection. <see cref="IpHost"/> is the real one; a transport's tests can hand
/// it a few lines of their own instead, with no Ethernet, ARP or neighbour discovery beneath.
/// </summary>
public interface IIpNetwork
{
    /// <summary>The interface MTU (what an MSS announcement is made from).</summary>
    int Mtu { get; }

    /// <summary>The path MTU to <paramref name="destination"/> as learned from ICMP (RFC 1191, RFC 8201).</summary>
    int PathMtu(IpAddress destination, Instant now);

    /// <summary>
    /// A too-big error the transport matched to a datagram of its own: lowers the path MTU towards
    /// <paramref name="destination"/> to <paramref name="mtu"/> (within the family's floor) and returns the path MTU
    /// now in force.
    /// </summary>
    int LowerPathMtu(IpAddress destination, int mtu, Instant now);

    /// <summary>The metrics of the route to <paramref name="destination"/> (advmss, a locked MTU, initcwnd); none by default.</summary>
    Routing.RouteMetrics RouteMetrics(IpAddress destination) => default;

    /// <summary>
    /// Changes when what a transport may have cached of a route changes: its metrics (<see cref="Routing.RouteTable.Generation"/>)
    /// or, on an <see cref="IpHost"/>, a path MTU it lowered; 0 by default.
    /// </summary>
    int RouteGeneration => 0;

    /// <summary>
    /// True when the link finishes TCP checksums: TCP writes only the pseudo-header sum (see
    /// <see cref="IpHost.TcpChecksumOffload"/>). False by default.
    /// </summary>
    bool TcpChecksumOffload => false;

    /// <summary>True when <paramref name="address"/> is one of ours.</summary>
    bool IsLocal(IpAddress address);

    /// <summary>True when <paramref name="destination"/> can be reached (a route or an on-link prefix).</summary>
    bool CanReach(IpAddress destination);

    /// <summary>The source address for a datagram to <paramref name="destination"/>, or null when there is none.</summary>
    IpAddress? SelectSource(IpAddress destination);

    /// <summary>
    /// Sends one datagram; the result says why it could not leave, if it could not. <paramref name="trafficClass"/>
    /// is the IPv4 TOS / IPv6 traffic class byte, whose low two bits are the ECN field (RFC 3168 §5).
    /// </summary>
    SendResult Send(IpAddress source, IpAddress destination, IpProtocol protocol, ReadOnlySpan<byte> payload,
        Instant now, byte? hopLimit = null, bool dontFragment = false, byte trafficClass = 0);

    /// <summary>Counts a datagram the transport turned away.</summary>
    Stack.Link.Diagnostics.RejectCounters Rejects { get; }

    /// <summary>Hands datagrams of <paramref name="protocol"/> to <paramref name="transport"/>.</summary>
    void Register(IpProtocol protocol, IIpTransport transport);
}
