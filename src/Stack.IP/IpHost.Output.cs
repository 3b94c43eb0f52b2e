using System.Buffers.Binary;
using Stack.IP.Fragments;
using Stack.IP.Wire;
using Stack.Link.Devices;
using Stack.Link.Time;
using Stack.Link.Wire;

namespace Stack.IP;

public sealed partial class IpHost
{
    /// <summary>RFC 791: the total length field's limit.</summary>
    private const int MaxIpv4Datagram = 65535;

    /// <summary>RFC 8200 §3: the payload length field's limit (no jumbograms).</summary>
    private const int MaxIpv6Payload = 65535;

    /// <summary>65535 bytes of payload in 8-byte steps over the smallest MTUs: 65535 / 48 + 1 fragments at most.</summary>
    private const int MaxFragments = 1400;

    private readonly byte[] _icmpScratch = new byte[65536];
    private readonly FragmentSlice[] _slices = new FragmentSlice[MaxFragments];
    private readonly FragmentIdentifiers _identifiers;
    private byte[]? _completedTcp; // A TCP segment about to be fragmented, its partial checksum completed.

    /// <summary>
    /// The link finishes TCP checksums (<see cref="ILinkDevice.TryEnableChecksumOffload"/>, a TAP with offloads):
    /// TCP writes only the pseudo-header sum into its segments. A segment that must be fragmented gets its checksum
    /// completed here first, since the link fills in checksums of whole segments only.
    /// </summary>
    public bool TcpChecksumOffload { get; }

    /// <summary>
    /// Sends one datagram from <paramref name="source"/> (one of ours; unspecified picks one) to
    /// <paramref name="destination"/>, resolving the next hop's link address first when needed. A datagram larger
    /// than the path MTU is fragmented (IPv4 only when <paramref name="dontFragment"/> is clear; IPv6 always, by
    /// the source, RFC 8200 §4.5); one that cannot be sent whole fails with nothing sent.
    /// <paramref name="trafficClass"/> is the IPv4 TOS / IPv6 traffic class byte (DSCP and the RFC 3168 ECN field).
    /// </summary>
    public SendResult Send(IpAddress source, IpAddress destination, IpProtocol protocol, ReadOnlySpan<byte> payload,
        Instant now, byte? hopLimit = null, bool dontFragment = false, byte trafficClass = 0)
    {
        if (source.IsUnspecified && SelectSource(destination) is { } chosen) source = chosen;
        if (source.IsIpv6 != destination.IsIpv6 || !(IsLocal(source) || IsUnconfiguredBroadcast(source, destination)))
            return SendResult.BadSource;
        if (!Routes.TryGetNextHop(destination, out var nextHop))
        {
            if (destination.IsIpv6) Statistics.Ipv6NoRoutes++;
            else Statistics.Ipv4NoRoutes++;
            return SendResult.NoRoute;
        }
        CountOutput(destination.IsIpv6, protocol, payload);
        byte ttl = hopLimit ?? (destination.IsIpv6 ? Ipv6HopLimit : DefaultTtl);
        bool locked = false;
        int mtu = destination.IsMulticast ? (destination.IsIpv6 ? Ipv6Mtu : Mtu)
            : destination.IsIpv6 ? Math.Min(Pmtu6.Get(destination.V6, now), Ipv6Mtu) : Pmtu4.Get(destination.V4, now, out locked);
        if (!destination.IsMulticast && Routes.Metrics(destination) is { Mtu: { } routeMtu } route)
        {
            mtu = route.MtuLocked ? routeMtu : Math.Min(mtu, routeMtu);
            locked |= route.MtuLocked;
        }
        // Linux (ip_dont_fragment): a path an error reported below the floor is locked there and sent without
        // DF, so that the routers of a path that small fragment what the floor lets through; so is a route whose
        // MTU was locked (ip route … mtu lock M).
        dontFragment &= !locked;
        return destination.IsIpv6
            ? SendIpv6(source.V6, destination.V6, protocol, payload, ttl, mtu, nextHop, now, trafficClass)
            : SendIpv4(source.V4, destination.V4, protocol, payload, ttl, mtu, dontFragment, nextHop, now, trafficClass);
    }

    private SendResult SendIpv4(Ipv4Address source, Ipv4Address destination, IpProtocol protocol, ReadOnlySpan<byte> payload,
        byte ttl, int mtu, bool dontFragment, IpAddress nextHop, Instant now, byte tos = 0)
    {
        const int header = Ipv4Header.MinLength;
        if (header + payload.Length > MaxIpv4Datagram) return SendResult.MessageTooLong;
        if (header + payload.Length > mtu && dontFragment)
        {
            Statistics.Ipv4FragmentFails++;
            return SendResult.MessageTooLong;
        }
        var id = (ushort)NextIdentification(destination, protocol);
        if (header + payload.Length <= mtu)
        {
            var packet = TxPacket(header + payload.Length);
            payload.CopyTo(packet[header..]);
            new Ipv4Repr(source, destination, protocol, payload.Length, ttl, id, dontFragment, TypeOfService: tos).Write(packet);
            return Transmit(TxFrame(packet.Length), nextHop, now);
        }
        // RFC 791 §3.2: fragments share the identification; offsets in 8-byte units; all but the last have MF.
        if (protocol == IpProtocol.Tcp) payload = CompleteTcpChecksum(payload);
        int count = Fragmenter.Plan(payload.Length, Fragmenter.MaxFragmentPayload(mtu, header, ipv6: false), _slices);
        var result = SendResult.Sent;
        foreach (var slice in _slices.AsSpan(0, count))
        {
            var packet = TxPacket(header + slice.Length);
            payload.Slice(slice.Offset, slice.Length).CopyTo(packet[header..]);
            new Ipv4Repr(source, destination, protocol, slice.Length, ttl, id, MoreFragments: slice.More,
                FragmentOffset: slice.Offset, TypeOfService: tos).Write(packet);
            result = Worst(result, Transmit(TxFrame(packet.Length), nextHop, now));
        }
        Statistics.FragmentsSent += count;
        Statistics.Ipv4Fragmented++;
        Statistics.Ipv4FragmentsCreated += count;
        return result;
    }

    private SendResult SendIpv6(Ipv6Address source, Ipv6Address destination, IpProtocol protocol, ReadOnlySpan<byte> payload,
        byte hopLimit, int mtu, IpAddress nextHop, Instant now, byte trafficClass = 0)
    {
        const int header = Ipv6Header.Length;
        if (payload.Length > MaxIpv6Payload) return SendResult.MessageTooLong;
        if (header + payload.Length <= mtu)
        {
            var packet = TxPacket(header + payload.Length);
            payload.CopyTo(packet[header..]);
            new Ipv6Repr(source, destination, protocol, payload.Length, hopLimit, trafficClass).Write(packet);
            return Transmit(TxFrame(packet.Length), nextHop, now);
        }
        // RFC 8200 §4.5: only the source fragments; each fragment is the header, a Fragment header, and a slice.
        if (protocol == IpProtocol.Tcp) payload = CompleteTcpChecksum(payload);
        uint id = NextIdentification(destination);
        int count = Fragmenter.Plan(payload.Length, Fragmenter.MaxFragmentPayload(mtu, header, ipv6: true), _slices);
        var result = SendResult.Sent;
        foreach (var slice in _slices.AsSpan(0, count))
        {
            int fragmentPayload = Ipv6FragmentHeader.Length + slice.Length;
            var packet = TxPacket(header + fragmentPayload);
            new Ipv6Repr(source, destination, IpProtocol.Ipv6Fragment, fragmentPayload, hopLimit, trafficClass).Write(packet);
            Ipv6FragmentHeader.Write(packet[header..], protocol, slice.Offset, slice.More, id);
            payload.Slice(slice.Offset, slice.Length).CopyTo(packet[(header + Ipv6FragmentHeader.Length)..]);
            result = Worst(result, Transmit(TxFrame(packet.Length), nextHop, now));
        }
        Statistics.FragmentsSent += count;
        Statistics.Ipv6Fragmented++;
        Statistics.Ipv6FragmentsCreated += count;
        return result;
    }

    /// <summary>
    /// Counts a datagram handed to IP to send (OutRequests, whether it leaves whole or in fragments) and, for ICMP,
    /// its type (Linux icmp_out_count).
    /// </summary>
    private void CountOutput(bool ipv6, IpProtocol protocol, ReadOnlySpan<byte> payload)
    {
        if (ipv6)
        {
            Statistics.Ipv6OutRequests++;
            if (protocol == IpProtocol.Icmpv6 && !payload.IsEmpty) Statistics.Icmpv6.CountOut(payload[0]);
        }
        else
        {
            Statistics.Ipv4OutRequests++;
            if (protocol == IpProtocol.Icmp && !payload.IsEmpty) Statistics.Icmpv4.CountOut(payload[0]);
        }
    }

    /// <summary>
    /// RFC 1122 §3.2.1.3 (a): 0.0.0.0 is a source only while a host learns its own address (BOOTP, DHCP), and then
    /// only to the limited broadcast: allowed while the host has no IPv4 address to send from.
    /// </summary>
    private bool IsUnconfiguredBroadcast(IpAddress source, IpAddress destination) =>
        source.IsIpv4 && source.IsUnspecified && destination.V4.IsBroadcast && SelectSource(destination) is null;

    /// <summary>Sends straight to a link-layer address, as neighbour discovery does when it probes a neighbour.</summary>
    internal void SendToNeighbor(Ipv6Address source, Ipv6Address destination, IpProtocol protocol, ReadOnlySpan<byte> payload,
        MacAddress mac, byte hopLimit)
    {
        var packet = TxPacket(Ipv6Header.Length + payload.Length);
        payload.CopyTo(packet[Ipv6Header.Length..]);
        new Ipv6Repr(source, destination, protocol, payload.Length, hopLimit).Write(packet);
        CountOutput(ipv6: true, protocol, payload);
        Statistics.PacketsSent++;
        _link.SendInPlace(TxFrame(packet.Length), mac, EtherType.Ipv6);
    }

    /// <summary>
    /// With <see cref="TcpChecksumOffload"/>, a copy of TCP segment <paramref name="segment"/> with its checksum
    /// finished: the field holds the folded pseudo-header sum, so the sum over the segment, field included, is the
    /// checksum (as Linux's skb_checksum_help does before it fragments a CHECKSUM_PARTIAL packet). Else the segment.
    /// </summary>
    private ReadOnlySpan<byte> CompleteTcpChecksum(ReadOnlySpan<byte> segment)
    {
        const int checksumOffset = 16;
        if (!TcpChecksumOffload || segment.Length < checksumOffset + 2) return segment;
        var copy = (_completedTcp ??= new byte[MaxIpv6Payload]).AsSpan(0, segment.Length);
        segment.CopyTo(copy);
        BinaryPrimitives.WriteUInt16BigEndian(copy[checksumOffset..], InternetChecksum.Compute(copy));
        return copy;
    }

    /// <summary>Room for one IP packet in the transmit buffer, after the Ethernet header's 14 bytes.</summary>
    private Span<byte> TxPacket(int length) => _tx.AsSpan(EthernetFrame.HeaderLength, length);

    private Span<byte> TxFrame(int packetLength) => _tx.AsSpan(0, EthernetFrame.HeaderLength + packetLength);

    private static SendResult Worst(SendResult a, SendResult b) => a == SendResult.Sent ? b : a;

    /// <summary>RFC 7739 §5.3 / Linux: the identification depends on destination and protocol, unpredictably.</summary>
    private uint NextIdentification(Ipv4Address destination, IpProtocol protocol)
    {
        Span<byte> key = stackalloc byte[Ipv4Address.Length + 1];
        destination.Write(key);
        key[Ipv4Address.Length] = (byte)protocol;
        return _identifiers.Next(key);
    }

    private uint NextIdentification(Ipv6Address destination)
    {
        Span<byte> key = stackalloc byte[Ipv6Address.Length];
        destination.Write(key);
        return _identifiers.Next(key);
    }

    private SendResult Transmit(Span<byte> frame, IpAddress nextHop, Instant now)
    {
        Statistics.PacketsSent++;
        var packet = frame[EthernetFrame.HeaderLength..];
        MacAddress mac;
        if (nextHop.IsIpv6)
        {
            if (nextHop.V6.IsMulticast) mac = MacAddress.ForIpv6Multicast(nextHop.V6);
            else if (!Ndp.Cache.TryResolve(nextHop.V6, packet, now, out mac)) return SendResult.Queued;
            return Sent(_link.SendInPlace(frame, mac, EtherType.Ipv6));
        }
        var v4 = nextHop.V4;
        if (v4.IsBroadcast || IsDirectedBroadcast(v4)) mac = MacAddress.Broadcast;
        else if (v4.IsMulticast) mac = MacAddress.ForIpv4Multicast(v4);
        else if (!Arp.Cache.TryResolve(v4, packet, now, out mac)) return SendResult.Queued;
        return Sent(_link.SendInPlace(frame, mac, EtherType.Ipv4));
    }

    /// <summary>A frame the link's local queue dropped fails the send (Linux: NET_XMIT_DROP from the qdisc).</summary>
    private static SendResult Sent(TransmitResult result) =>
        result == TransmitResult.Dropped ? SendResult.Dropped : SendResult.Sent;
}
