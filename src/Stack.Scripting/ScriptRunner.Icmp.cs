using System.Buffers.Binary;
using Stack.IP.Wire;
using Stack.Link.Wire;

namespace Stack.Scripting;

// Inbound ICMP error lines, built as packetdrill's new_icmp_packet and map_inbound_icmp_tcp_packet do: an error
// from the script's address quoting a segment of the stack's connection (its IP header, then the first 8 bytes of
// TCP: ports and the sequence number, the line's relative one plus the stack's ISN).
public sealed partial class ScriptRunner
{
    /// <summary>RFC 792 / RFC 4443: an error quotes the IP header and at least the first 8 bytes after it.</summary>
    private const int QuotedTransportBytes = 8;

    private void InjectIcmp(IcmpEvent e)
    {
        bool ipv6 = _family == ScriptIpVersion.Ipv6;
        if (!ScriptIcmp.TryResolve(e, ipv6, out var icmp, out string error)) throw Fail(error);
        _transcript.Add($"{Seconds(ScriptNow)} {e.FormatAction()}");
        _host.OnFrame(BuildIcmpFrame(e, icmp), _now);
        Settle();
    }

    private byte[] BuildIcmpFrame(IcmpEvent e, ScriptIcmpHeader icmp)
    {
        bool ipv6 = _family == ScriptIpVersion.Ipv6;
        int ipHeader = ipv6 ? Ipv6Header.Length : Ipv4Header.MinLength;
        // The quoted datagram claims its full length (IP + a bare TCP header + the line's payload), as
        // packetdrill's does; only its first 8 transport bytes are present.
        int quotedTotal = ipHeader + Stack.Tcp.Wire.TcpHeader.MinLength + (int)e.QuotedPayload;
        Span<byte> quoted = stackalloc byte[ipHeader + QuotedTransportBytes];
        if (ipv6) new Ipv6Repr(_stack6, _script6, IpProtocol.Tcp, quotedTotal - ipHeader).Write(quoted);
        else new Ipv4Repr(_stack4, _script4, IpProtocol.Tcp, quotedTotal - ipHeader, DontFragment: true).Write(quoted);
        var tcp = quoted[ipHeader..];
        BinaryPrimitives.WriteUInt16BigEndian(tcp, _stackPort);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], _scriptPort);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], unchecked(_stackIsn + e.QuotedSeq));

        const int icmpHeader = 8;
        int messageLength = icmpHeader + quoted.Length;
        var frame = new byte[EthernetFrame.HeaderLength + ipHeader + messageLength];
        EthernetFrame.WriteHeader(frame, StackMac, ScriptMac, ipv6 ? EtherType.Ipv6 : EtherType.Ipv4);
        var ip = frame.AsSpan(EthernetFrame.HeaderLength);
        var message = ip[ipHeader..];
        if (ipv6)
        {
            new Ipv6Repr(_script6, _stack6, IpProtocol.Icmpv6, messageLength, TrafficClass: e.Ip.TrafficClass).Write(ip);
            Icmpv6Message.WriteError(message, _script6, _stack6, (Icmpv6Type)icmp.Type, icmp.Code, icmp.RestOfHeader, quoted);
        }
        else
        {
            new Ipv4Repr(_script4, _stack4, IpProtocol.Icmp, messageLength, TypeOfService: e.Ip.TrafficClass).Write(ip);
            Icmpv4Message.WriteError(message, (Icmpv4Type)icmp.Type, icmp.Code, icmp.RestOfHeader, quoted);
        }
        return frame;
    }
}
