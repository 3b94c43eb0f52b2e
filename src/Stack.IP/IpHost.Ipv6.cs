using Stack.IP.Wire;
using Stack.Link.Diagnostics;
using Stack.Link.Time;
using Stack.Link.Wire;

namespace Stack.IP;

public sealed partial class IpHost
{
    /// <summary>RFC 4443 §2.4(c): an error must not exceed the minimum IPv6 MTU.</summary>
    private const int MaxIcmpv6Quote = 1280 - Ipv6Header.Length - Icmpv6Message.HeaderLength;

    private void OnIpv6(ReadOnlySpan<byte> packet, Instant now, bool reassembled = false, int segmentSize = 0)
    {
        if (!reassembled) Statistics.Ipv6Received++;
        if (!Ipv6Header.TryParse(packet, out var ip, out var reason))
        {
            // Linux ip6_rcv_core: a payload length beyond the packet is a truncated packet, the rest header errors.
            if (reason == RejectReason.BadTotalLength) Statistics.Ipv6Truncated++;
            else Statistics.Ipv6HeaderErrors++;
            Reject(Layer.Ipv6, reason);
            return;
        }
        var src = ip.Source;
        var dst = ip.Destination;
        if (src.IsMulticast || src.IsLoopback)
        {
            Reject(Layer.Ipv6, RejectReason.BadAddress); // RFC 4291 §2.7, §2.5.3
            return;
        }
        bool toGroup = dst.IsMulticast;
        if (toGroup ? !IsJoinedGroup(dst) : !IsLocal(dst))
        {
            if (!toGroup) Statistics.Ipv6AddressErrors++; // Linux ip6_forward with forwarding off.
            Rejects.Count(Layer.Ipv6, RejectReason.NotForUs);
            return;
        }
        var whole = packet[..(Ipv6Header.Length + ip.PayloadLength)];
        if (!Ipv6Chain.TryWalk(ip.Payload, ip.NextHeader, toGroup, out var chain, out reason, out int pointer, out byte code))
        {
            Statistics.Ipv6HeaderErrors++;
            Reject(Layer.Ipv6, reason);
            if (pointer >= 0)
                SendIcmpv6Error(whole, Icmpv6Type.ParameterProblem, code, (uint)pointer, now, toGroupAllowed: code == Icmpv6Code.UnrecognizedOption);
            return;
        }
        if (chain.FragmentHeaderOffset >= 0)
        {
            if (!Ipv6FragmentHeader.TryParse(ip.Payload[chain.FragmentHeaderOffset..], out var fragment, out reason))
            {
                Reject(Layer.Ipv6, reason);
                return;
            }
            bool atomic = fragment.FragmentOffset == 0 && !fragment.MoreFragments; // RFC 6946: process in place
            if (reassembled && !atomic)
            {
                Reject(Layer.Ipv6, RejectReason.BadFragment); // a fragment inside a reassembled datagram
                return;
            }
            if (!atomic)
            {
                OnIpv6Fragment(whole, ip, chain, fragment, now);
                return;
            }
        }
        Statistics.Ipv6Delivered++;
        var upper = ip.Payload[chain.UpperOffset..];
        switch (chain.UpperProtocol)
        {
            case IpProtocol.Icmpv6:
                OnIcmpv6(upper, src, dst, ip.HopLimit, toGroup, chain.RouterAlert, now);
                return;
            case IpProtocol.Ipv6NoNext:
                return;
        }
        if (_transports.TryGetValue(chain.UpperProtocol, out var transport))
        {
            transport.OnDatagram(new IpDatagram(src, dst, chain.UpperProtocol, ip.HopLimit, upper, whole, toGroup, segmentSize), now);
            return;
        }
        // RFC 8200 §4: an unrecognized next header gets a parameter problem pointing at its next-header field.
        Statistics.Ipv6UnknownProtocols++;
        Reject(Layer.Ipv6, RejectReason.UnsupportedType);
        SendIcmpv6Error(whole, Icmpv6Type.ParameterProblem, Icmpv6Code.UnrecognizedNextHeader, (uint)chain.NextHeaderPointer, now);
    }

    private void OnIcmpv6(ReadOnlySpan<byte> message, Ipv6Address src, Ipv6Address dst, byte hopLimit, bool toGroup,
        ushort? routerAlert, Instant now)
    {
        if (!Icmpv6Message.TryParse(message, src, dst, out var icmp, out var reason))
        {
            Statistics.Icmpv6.CountMalformed(reason == RejectReason.BadChecksum);
            Reject(Layer.Icmpv6, reason);
            return;
        }
        Statistics.Icmpv6.CountIn((byte)icmp.Type);
        switch (icmp.Type)
        {
            case Icmpv6Type.EchoRequest:
            {
                // RFC 4443 §4.2: a reply to a multicast request comes from a unicast address of ours.
                var replySource = toGroup ? (SelectSource(src) ?? LinkLocal) : (IpAddress)dst;
                int length = Icmpv6Message.HeaderLength + icmp.Body.Length;
                Icmpv6Message.WriteEcho(_icmpScratch, replySource.V6, src, Icmpv6Type.EchoReply, icmp.Identifier, icmp.SequenceNumber, icmp.Body);
                if (Send(replySource, src, IpProtocol.Icmpv6, _icmpScratch.AsSpan(0, length), now) is SendResult.Sent or SendResult.Queued)
                    Statistics.EchoRepliesSent++;
                return;
            }
            case Icmpv6Type.EchoReply:
                if (!toGroup) RaiseEchoReply(src, icmp.Identifier, icmp.SequenceNumber, icmp.Body, now);
                return;
            case < Icmpv6Type.EchoRequest:
                OnIcmpv6Error(icmp, src, now);
                return;
            case Icmpv6Type.NeighborSolicitation:
            case Icmpv6Type.NeighborAdvertisement:
            case Icmpv6Type.RouterAdvertisement:
            case Icmpv6Type.Redirect:
                Ndp.OnMessage(icmp.Message, src, dst, hopLimit, now);
                return;
            case Icmpv6Type.MulticastListenerQuery:
            case Icmpv6Type.MulticastListenerReport:
            case Icmpv6Type.MulticastListenerDone:
            case Icmpv6Type.MulticastListenerReportV2:
                Mld.OnMessage(icmp.Message, src, hopLimit, routerAlert, now);
                return;
        }
    }

    private bool IsJoinedGroup(Ipv6Address group) => Mld.IsJoined(group) || IsTentativeGroup(group);

    /// <summary>
    /// Sends an ICMPv6 error about <paramref name="offending"/> unless RFC 4443 §2.4(e) forbids it: an error
    /// about an error, a packet to a multicast group (but for the stated exceptions), or from an unspecified or
    /// multicast source. Rate-limited (§2.4(f)).
    /// </summary>
    public void SendIcmpv6Error(ReadOnlySpan<byte> offending, Icmpv6Type type, byte code, uint restOfHeader, Instant now,
        bool toGroupAllowed = false)
    {
        // The offending packet may be a quote (of a first fragment, say): read the fixed header leniently.
        if (offending.Length < Ipv6Header.Length || offending[0] >> 4 != 6) return;
        var src = Ipv6Address.Read(offending[8..]);
        var dst = Ipv6Address.Read(offending[24..]);
        if (src.IsUnspecified || src.IsMulticast) return;
        if (dst.IsMulticast && !toGroupAllowed && type != Icmpv6Type.PacketTooBig) return;
        if (IsIcmpv6Error(offending)) return;
        if (!_icmpLimiter.TryTake(now))
        {
            Statistics.IcmpErrorsSuppressed++;
            return;
        }
        var source = IsLocal(dst) ? (IpAddress)dst : SelectSource(src) ?? LinkLocal;
        var quoted = offending[..Math.Min(offending.Length, MaxIcmpv6Quote)];
        int length = Icmpv6Message.WriteError(_icmpScratch, source.V6, src, type, code, restOfHeader, quoted);
        if (Send(source, src, IpProtocol.Icmpv6, _icmpScratch.AsSpan(0, length), now) is SendResult.Sent or SendResult.Queued)
            Statistics.IcmpErrorsSent++;
    }

    private static bool IsIcmpv6Error(ReadOnlySpan<byte> packet)
    {
        var payload = packet[Ipv6Header.Length..];
        if (!Ipv6Chain.TryWalk(payload, (IpProtocol)packet[Ipv6Header.NextHeaderFieldOffset], false, out var chain, out _, out _, out _))
            return false;
        if (chain.UpperProtocol != IpProtocol.Icmpv6 || chain.UpperOffset >= payload.Length) return false;
        // RFC 4443 §2.4(e.1), and §2.4(e.2): no error about a redirect either. Types below 128 are errors.
        byte type = payload[chain.UpperOffset];
        return type < 128 || type == (byte)Icmpv6Type.Redirect;
    }
}
