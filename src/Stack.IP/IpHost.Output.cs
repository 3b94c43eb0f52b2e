using Stack.IP.Wire;
using Stack.Link.Time;
using Stack.Link.Wire;

namespace Stack.IP;

public sealed partial class IpHost
{
    private readonly byte[] _icmpScratch = new byte[65536];

    /// <summary>
    /// Sends one datagram from <paramref name="source"/> (one of ours; unspecified picks one) to
    /// <paramref name="destination"/>, resolving the next hop's link address first when needed.
    /// </summary>
    public SendResult Send(IpAddress source, IpAddress destination, IpProtocol protocol, ReadOnlySpan<byte> payload,
        Instant now, byte? hopLimit = null)
    {
        if (source.IsUnspecified && SelectSource(destination) is { } chosen) source = chosen;
        if (source.IsIpv6 != destination.IsIpv6 || !IsLocal(source)) return SendResult.BadSource;
        if (!Routes.TryGetNextHop(destination, out var nextHop)) return SendResult.NoRoute;
        if (!TryBuild(source, destination, protocol, payload, hopLimit, out int length)) return SendResult.MessageTooLong;
        return Transmit(_tx.AsSpan(0, length), nextHop, now);
    }

    /// <summary>Sends straight to a link-layer address, as neighbour discovery does when it probes a neighbour.</summary>
    internal void SendToNeighbor(IpAddress source, IpAddress destination, IpProtocol protocol, ReadOnlySpan<byte> payload,
        MacAddress mac, byte hopLimit)
    {
        if (!TryBuild(source, destination, protocol, payload, hopLimit, out int length)) return;
        Statistics.PacketsSent++;
        _link.SendInPlace(_tx.AsSpan(0, length), mac, destination.IsIpv6 ? EtherType.Ipv6 : EtherType.Ipv4);
    }

    /// <summary>Writes the IP header and payload into the transmit buffer after room for the Ethernet header.</summary>
    private bool TryBuild(IpAddress source, IpAddress destination, IpProtocol protocol, ReadOnlySpan<byte> payload,
        byte? hopLimit, out int frameLength)
    {
        int headerLength = destination.IsIpv6 ? Ipv6Header.Length : Ipv4Header.MinLength;
        frameLength = EthernetFrame.HeaderLength + headerLength + payload.Length;
        if (headerLength + payload.Length > Mtu) return false; // Fragmentation comes with its own issue.
        var packet = _tx.AsSpan(EthernetFrame.HeaderLength, headerLength + payload.Length);
        payload.CopyTo(packet[headerLength..]);
        byte ttl = hopLimit ?? DefaultTtl;
        if (destination.IsIpv6)
        {
            new Ipv6Repr(source.V6, destination.V6, protocol, payload.Length, ttl).Write(packet);
        }
        else
        {
            var id = (ushort)_options.Random.Next(ushort.MaxValue + 1);
            new Ipv4Repr(source.V4, destination.V4, protocol, payload.Length, ttl, id).Write(packet);
        }
        return true;
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
            _link.SendInPlace(frame, mac, EtherType.Ipv6);
            return SendResult.Sent;
        }
        var v4 = nextHop.V4;
        if (v4.IsBroadcast || IsDirectedBroadcast(v4)) mac = MacAddress.Broadcast;
        else if (v4.IsMulticast) mac = new MacAddress(0x0100_5E00_0000UL | (v4.Value & 0x7F_FFFF)); // RFC 1112 §6.4
        else if (!Arp.Cache.TryResolve(v4, packet, now, out mac)) return SendResult.Queued;
        _link.SendInPlace(frame, mac, EtherType.Ipv4);
        return SendResult.Sent;
    }
}
