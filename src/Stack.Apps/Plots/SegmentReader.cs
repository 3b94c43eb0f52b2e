using System.Buffers.Binary;
using Stack.IP;
using Stack.IP.Wire;
using Stack.Link.Wire;
using Stack.Tcp;
using Stack.Tcp.Wire;

namespace Stack.Apps.Plots;

/// <summary>
/// Turns capture frames into TCP segments with the stack's own wire parsers (Ethernet with one VLAN tag, Linux
/// cooked v1 and v2, BSD loopback, raw IPv4/IPv6). Frames that are not TCP are counted in <see cref="NotTcp"/>;
/// frames that do not parse are counted by reason in <see cref="Malformed"/> and skipped. TCP checksums are not
/// checked: a capture on the sending host sees them before the NIC fills them in (checksum offload).
/// </summary>
internal sealed class SegmentReader
{
    public const uint LinkNull = 0, LinkEthernet = 1, LinkRaw = 101, LinkLinuxSll = 113, LinkIpv4 = 228, LinkIpv6 = 229,
        LinkLinuxSll2 = 276;

    public int NotTcp { get; private set; }

    /// <summary>Frames cut by the capture's snap length: padded back to their original length, the payload as zeros.</summary>
    public int CutBySnapLength { get; private set; }

    public SortedDictionary<string, int> Malformed { get; } = new(StringComparer.Ordinal);

    public List<CapturedSegment> Read(IEnumerable<CaptureFrame> frames)
    {
        var segments = new List<CapturedSegment>();
        foreach (var frame in frames)
        {
            if (Parse(frame) is { } segment) segments.Add(segment);
        }
        return segments;
    }

    private void Reject(string why) => Malformed[why] = Malformed.GetValueOrDefault(why) + 1;

    private CapturedSegment? Parse(CaptureFrame frame)
    {
        byte[] bytes = frame.Bytes;
        if (frame.OriginalLength > bytes.Length)
        {
            // A snap length cut the frame: the headers are there, the lengths in them are believed, and the
            // missing payload (which the picture does not need) reads as zeros.
            CutBySnapLength++;
            Array.Resize(ref bytes, frame.OriginalLength);
        }
        ReadOnlySpan<byte> span = bytes;
        int network; // 4 or 6, or 0 for not IP
        switch (frame.LinkType)
        {
            case LinkEthernet:
                if (!EthernetFrame.TryParse(span, out var eth, out var reason))
                {
                    Reject($"Ethernet: {reason}");
                    return null;
                }
                var type = eth.EtherType;
                span = eth.Payload;
                if (type == EtherType.Vlan)
                {
                    if (span.Length < 4)
                    {
                        Reject("Ethernet: VLAN tag cut short");
                        return null;
                    }
                    type = (EtherType)BinaryPrimitives.ReadUInt16BigEndian(span[2..]);
                    span = span[4..];
                }
                network = type switch { EtherType.Ipv4 => 4, EtherType.Ipv6 => 6, _ => 0 };
                break;
            case LinkLinuxSll or LinkLinuxSll2:
                // SLL: 16 bytes, protocol last; SLL2: 20 bytes, protocol first (pcap-linktype(7)).
                int header = frame.LinkType == LinkLinuxSll ? 16 : 20;
                if (span.Length < header)
                {
                    Reject("Linux cooked header cut short");
                    return null;
                }
                ushort protocol = BinaryPrimitives.ReadUInt16BigEndian(frame.LinkType == LinkLinuxSll ? span[14..] : span);
                span = span[header..];
                network = protocol switch { (ushort)EtherType.Ipv4 => 4, (ushort)EtherType.Ipv6 => 6, _ => 0 };
                break;
            case LinkNull:
                if (span.Length < 4)
                {
                    Reject("loopback header cut short");
                    return null;
                }
                // The family is in the capturing host's byte order: AF_INET is 2 everywhere, AF_INET6 24, 28 or 30.
                uint family = Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(span), BinaryPrimitives.ReadUInt32BigEndian(span));
                span = span[4..];
                network = family == 2 ? 4 : family is 24 or 28 or 30 ? 6 : 0;
                break;
            case LinkRaw or LinkIpv4 or LinkIpv6:
                network = span.Length > 0 ? span[0] >> 4 : 0;
                if (network is not (4 or 6))
                {
                    Reject("raw IP: no IP version");
                    return null;
                }
                break;
            default:
                Reject($"link type {frame.LinkType} not supported");
                return null;
        }
        return network switch
        {
            4 => ParseIpv4(frame.Microseconds, span),
            6 => ParseIpv6(frame.Microseconds, span),
            _ => NotTcpFrame(),
        };
    }

    private CapturedSegment? NotTcpFrame()
    {
        NotTcp++;
        return null;
    }

    private CapturedSegment? ParseIpv4(long micros, ReadOnlySpan<byte> span)
    {
        if (!Ipv4Header.TryParse(span, out var ip, out var reason))
        {
            Reject($"IPv4: {reason}");
            return null;
        }
        if (ip.Protocol != IpProtocol.Tcp) return NotTcpFrame();
        if (ip.IsFragment)
        {
            Reject("IPv4: fragment (not reassembled)");
            return null;
        }
        return ParseTcp(micros, ip.Source, ip.Destination, ip.Payload);
    }

    private CapturedSegment? ParseIpv6(long micros, ReadOnlySpan<byte> span)
    {
        if (!Ipv6Header.TryParse(span, out var ip, out var reason))
        {
            Reject($"IPv6: {reason}");
            return null;
        }
        if (!Ipv6Chain.TryWalk(ip.Payload, ip.NextHeader, ip.Destination.IsMulticast, out var chain, out reason, out _, out _))
        {
            Reject($"IPv6 extension headers: {reason}");
            return null;
        }
        if (chain.UpperProtocol != IpProtocol.Tcp) return NotTcpFrame();
        if (chain.FragmentHeaderOffset >= 0)
        {
            Reject("IPv6: fragment (not reassembled)");
            return null;
        }
        return ParseTcp(micros, ip.Source, ip.Destination, ip.Payload[chain.UpperOffset..]);
    }

    private CapturedSegment? ParseTcp(long micros, IpAddress source, IpAddress destination, ReadOnlySpan<byte> segment)
    {
        if (!TcpHeader.TryParseUnchecked(segment, out var tcp, out var reason))
        {
            Reject($"TCP: {reason}");
            return null;
        }
        return new CapturedSegment(micros, new TcpEndPoint(source, tcp.SourcePort), new TcpEndPoint(destination, tcp.DestinationPort),
            tcp.SequenceNumber, tcp.AcknowledgmentNumber, tcp.Flags, tcp.Window, tcp.Payload.Length, tcp.ParseOptions());
    }
}
