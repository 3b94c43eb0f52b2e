using Stack.IP.Wire;
using Stack.Link.Wire;

namespace Stack.Tests.Wire;

/// <summary>Builders for the packets the wire tests feed in, named like the lines of a packet trace.</summary>
internal static class Trace
{
    public static readonly MacAddress MacA = new(0x02_00_00_00_00_01);
    public static readonly MacAddress MacB = new(0x02_00_00_00_00_02);
    public static readonly Ipv4Address HostA = Ipv4Address.Parse("192.0.2.1");
    public static readonly Ipv4Address HostB = Ipv4Address.Parse("198.51.100.7");
    public static readonly Ipv6Address Host6A = Ipv6Address.Parse("2001:db8::1");
    public static readonly Ipv6Address Host6B = Ipv6Address.Parse("2001:db8::2");

    /// <summary>IPv4 header + ICMP echo request.</summary>
    public static byte[] Ipv4Echo(ushort id = 0x1234, ushort seq = 1, int dataLength = 8,
        Ipv4Address? src = null, Ipv4Address? dst = null, ReadOnlySpan<byte> options = default)
    {
        var repr = new Ipv4Repr(src ?? HostA, dst ?? HostB, IpProtocol.Icmp, Icmpv4Message.HeaderLength + dataLength,
            Ttl: 64, Identification: 7, DontFragment: true);
        var buffer = new byte[repr.HeaderLength(options.Length) + repr.PayloadLength];
        int h = repr.Write(buffer, options);
        Icmpv4Message.WriteEcho(buffer.AsSpan(h), Icmpv4Type.EchoRequest, id, seq, Pattern(dataLength));
        return buffer;
    }

    /// <summary>IPv6 header + whatever payload (extension headers and upper layer) the caller gives.</summary>
    public static byte[] Ipv6(IpProtocol next, ReadOnlySpan<byte> payload, Ipv6Address? src = null, Ipv6Address? dst = null)
    {
        var buffer = new byte[Ipv6Header.Length + payload.Length];
        new Ipv6Repr(src ?? Host6A, dst ?? Host6B, next, payload.Length).Write(buffer);
        payload.CopyTo(buffer.AsSpan(Ipv6Header.Length));
        return buffer;
    }

    /// <summary>IPv6 header + ICMPv6 echo request.</summary>
    public static byte[] Ipv6Echo(ushort id = 0x1234, ushort seq = 1, int dataLength = 8)
    {
        var icmp = new byte[Icmpv6Message.HeaderLength + dataLength];
        Icmpv6Message.WriteEcho(icmp, Host6A, Host6B, Icmpv6Type.EchoRequest, id, seq, Pattern(dataLength));
        return Ipv6(IpProtocol.Icmpv6, icmp);
    }

    public static byte[] Arp(ArpOperation op = ArpOperation.Request)
    {
        var buffer = new byte[ArpPacket.Length];
        ArpPacket.Write(buffer, op, MacA, HostA, MacAddress.Zero, HostB);
        return buffer;
    }

    public static byte[] Ethernet(EtherType type, ReadOnlySpan<byte> payload, MacAddress? dst = null)
    {
        var frame = new byte[EthernetFrame.HeaderLength + payload.Length];
        EthernetFrame.WriteHeader(frame, dst ?? MacB, MacA, type);
        payload.CopyTo(frame.AsSpan(EthernetFrame.HeaderLength));
        return frame;
    }

    /// <summary>An extension header with next header, length in 8-octet units beyond the first, and a body.</summary>
    public static byte[] Extension(IpProtocol next, params byte[] body)
    {
        int length = (2 + body.Length + 7) / 8 * 8;
        var header = new byte[length];
        header[0] = (byte)next;
        header[1] = (byte)(length / 8 - 1);
        body.CopyTo(header, 2);
        return header;
    }

    /// <summary>A hop-by-hop or destination options header holding exactly one option (padded with PadN).</summary>
    public static byte[] OptionsHeader(IpProtocol next, byte optionType, int optionDataLength = 2)
    {
        var body = new List<byte> { optionType, (byte)optionDataLength };
        body.AddRange(new byte[optionDataLength]);
        int pad = (8 - (2 + body.Count) % 8) % 8;
        if (pad == 1)
            body.Add(0);
        else if (pad >= 2)
        {
            body.Add(1);
            body.Add((byte)(pad - 2));
            body.AddRange(new byte[pad - 2]);
        }
        return Extension(next, [.. body]);
    }

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    public static byte[] Pattern(int length) => Enumerable.Range(0, length).Select(i => (byte)(i * 7 + 1)).ToArray();
}
