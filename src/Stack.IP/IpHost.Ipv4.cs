using Stack.IP.Wire;
using Stack.Link.Diagnostics;
using Stack.Link.Time;
using Stack.Link.Wire;

namespace Stack.IP;

public sealed partial class IpHost
{
    /// <summary>RFC 1812 §4.3.2.3: quote as much of the offending datagram as keeps the error within 576 bytes.</summary>
    private const int MaxIcmpv4Quote = 576 - 20 - Icmpv4Message.HeaderLength;

    private void OnIpv4(ReadOnlySpan<byte> packet, bool linkGroup, Instant now, int segmentSize)
    {
        Statistics.Ipv4Received++;
        if (!Ipv4Header.TryParse(packet, out var ip, out var reason))
        {
            CountIpv4HeaderError(packet, reason);
            Reject(Layer.Ipv4, reason);
            return;
        }
        var src = ip.Source;
        var dst = ip.Destination;
        if (src.IsBroadcast || src.IsMulticast || src.IsLoopback)
        {
            Reject(Layer.Ipv4, RejectReason.BadAddress); // RFC 1122 §3.2.1.3: never a valid source.
            return;
        }
        bool toGroup = linkGroup || dst.IsBroadcast || dst.IsMulticast || IsDirectedBroadcast(dst);
        if (dst.IsMulticast ? !Igmp.IsJoined(dst) : !toGroup && !IsLocal(dst))
        {
            if (!dst.IsMulticast) Statistics.Ipv4AddressErrors++; // Linux ip_error: EHOSTUNREACH on a host that does not forward.
            Rejects.Count(Layer.Ipv4, RejectReason.NotForUs); // A host does not forward, nor take groups it left.
            return;
        }
        if (ip.IsFragment)
        {
            OnIpv4Fragment(ip, now);
            return;
        }
        DeliverIpv4(ip, packet[..ip.TotalLength], toGroup, now, segmentSize);
    }

    /// <summary>Hands a whole datagram (received whole, or reassembled) to ICMP or its transport.</summary>
    private void DeliverIpv4(Ipv4Header ip, ReadOnlySpan<byte> whole, bool toGroup, Instant now, int segmentSize = 0)
    {
        Statistics.Ipv4Delivered++;
        if (ip.Protocol == IpProtocol.Icmp)
        {
            OnIcmpv4(ip.Payload, ip.Source, ip.Destination, toGroup, now);
            return;
        }
        if (ip.Protocol == IpProtocol.Igmp)
        {
            Igmp.OnMessage(ip.Payload, ip.Ttl, ip.HasRouterAlert, now);
            return;
        }
        if (_transports.TryGetValue(ip.Protocol, out var transport))
        {
            transport.OnDatagram(new IpDatagram(ip.Source, ip.Destination, ip.Protocol, ip.Ttl, ip.Payload, whole, toGroup, segmentSize), now);
            return;
        }
        Statistics.Ipv4UnknownProtocols++;
        Reject(Layer.Ipv4, RejectReason.UnsupportedType);
        SendIcmpv4Error(whole, Icmpv4Type.DestinationUnreachable, Icmpv4Code.ProtocolUnreachable, 0, now);
    }

    private void OnIcmpv4(ReadOnlySpan<byte> message, Ipv4Address src, Ipv4Address dst, bool toGroup, Instant now)
    {
        if (!Icmpv4Message.TryParse(message, out var icmp, out var reason))
        {
            Statistics.Icmpv4.CountMalformed(reason == RejectReason.BadChecksum);
            Reject(Layer.Icmpv4, reason);
            return;
        }
        Statistics.Icmpv4.CountIn((byte)icmp.Type);
        if (icmp.Type == Icmpv4Type.EchoRequest)
        {
            if (toGroup && !_options.AnswerBroadcastEcho) return;
            // RFC 1122 §3.2.2.6: the reply carries the request's identifier, sequence and data unchanged.
            var replySource = toGroup ? SourceFor(src) : dst;
            var reply = _icmpScratch.AsSpan(0, Icmpv4Message.HeaderLength + icmp.Body.Length);
            Icmpv4Message.WriteEcho(reply, Icmpv4Type.EchoReply, icmp.Identifier, icmp.SequenceNumber, icmp.Body);
            if (Send(replySource, src, IpProtocol.Icmp, reply, now) is SendResult.Sent or SendResult.Queued)
                Statistics.EchoRepliesSent++;
            return;
        }
        if (icmp.Type == Icmpv4Type.EchoReply)
        {
            if (!toGroup) RaiseEchoReply(src, icmp.Identifier, icmp.SequenceNumber, icmp.Body, now);
            return;
        }
        if (icmp.Type == Icmpv4Type.Redirect)
        {
            if (!toGroup) OnIcmpv4Redirect(icmp, src, now);
            return;
        }
        if (icmp.IsError && !toGroup) OnIcmpv4Error(icmp, src, now);
        // Timestamps and the like are not answered, as by most hosts today.
    }

    private bool IsDirectedBroadcast(Ipv4Address dst)
    {
        foreach (var a in _addresses)
            if (a.Address.IsIpv4 && a.PrefixLength < 31 && dst == Ipv4Address.DirectedBroadcast(a.Address.V4, a.PrefixLength))
                return true;
        return false;
    }

    /// <summary>
    /// Sends an ICMPv4 error about <paramref name="offending"/> (a whole datagram we received), unless RFC 1122
    /// §3.2.2 forbids it (an error about an error, a broadcast or multicast, a non-initial fragment, a source
    /// that names no single host) or the rate limit says no.
    /// </summary>
    public void SendIcmpv4Error(ReadOnlySpan<byte> offending, Icmpv4Type type, byte code, uint restOfHeader, Instant now)
    {
        // The offending datagram may be a quote of a fragment (header + 8 bytes), so read it leniently.
        if (!QuotedIpv4.TryRead(offending, out var quoted)) return;
        var src = quoted.Source;
        var dst = quoted.Destination;
        if (src.IsUnspecified || src.IsBroadcast || src.IsMulticast || dst.IsBroadcast || dst.IsMulticast ||
            IsDirectedBroadcast(dst) || quoted.FragmentOffset != 0)
            return;
        if (quoted.Protocol == IpProtocol.Icmp && (quoted.Transport.IsEmpty || IsIcmpv4ErrorType(quoted.Transport[0])))
            return;
        if (!_icmpLimiter.TryTake(now))
        {
            Statistics.IcmpErrorsSuppressed++;
            return;
        }
        var quote = offending[..Math.Min(offending.Length, MaxIcmpv4Quote)];
        int length = Icmpv4Message.WriteError(_icmpScratch, type, code, restOfHeader, quote);
        var source = IsLocal(dst) ? dst : SourceFor(src);
        if (Send(source, src, IpProtocol.Icmp, _icmpScratch.AsSpan(0, length), now) is SendResult.Sent or SendResult.Queued)
            Statistics.IcmpErrorsSent++;
    }

    /// <summary>
    /// Linux ip_rcv_core: a datagram shorter than its total length is a truncated packet (IpExtInTruncatedPkts),
    /// every other malformed header a header error, a bad checksum both a header and a checksum error.
    /// </summary>
    private void CountIpv4HeaderError(ReadOnlySpan<byte> packet, RejectReason reason)
    {
        if (reason == RejectReason.BadTotalLength && packet.Length >= 4 && (packet[2] << 8 | packet[3]) > packet.Length)
        {
            Statistics.Ipv4Truncated++;
            return;
        }
        Statistics.Ipv4HeaderErrors++;
        if (reason == RejectReason.BadChecksum) Statistics.Ipv4ChecksumErrors++;
    }

    /// <summary>RFC 1122 §3.2.2: destination unreachable, source quench, redirect, time exceeded, parameter problem.</summary>
    private static bool IsIcmpv4ErrorType(byte type) => type is 3 or 4 or 5 or 11 or 12;
}
