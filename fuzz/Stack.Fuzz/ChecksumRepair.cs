using System.Buffers.Binary;
using Stack.Link.Wire;

namespace Stack.Fuzz;

/// <summary>
/// Rewrites the checksums of a mutated packet so that it gets past the checksum checks to the code behind them;
/// without this nearly every mutation would end at "bad checksum". Best effort: a packet too broken to find its
/// checksums in is left as it is (the parser then rejects it anyway). Never throws.
/// </summary>
public static class ChecksumRepair
{
    private const int EthernetHeader = 14;
    private const int Ipv6Header = 40;
    private const byte Icmp = 1, Tcp = 6, Udp = 17, Icmpv6 = 58;

    public static void Frame(Span<byte> frame)
    {
        if (frame.Length < EthernetHeader) return;
        switch (BinaryPrimitives.ReadUInt16BigEndian(frame[12..]))
        {
            case 0x0800: Ipv4(frame[EthernetHeader..]); break;
            case 0x86DD: Ipv6(frame[EthernetHeader..]); break;
        }
    }

    /// <summary>The header checksum, and the transport checksum of an unfragmented datagram.</summary>
    public static void Ipv4(Span<byte> ip)
    {
        if (ip.Length < 20 || ip[0] >> 4 != 4) return;
        int headerLength = (ip[0] & 0xF) * 4;
        if (headerLength < 20 || headerLength > ip.Length) return;
        Store(ip, 10, 0, headerLength);
        int total = BinaryPrimitives.ReadUInt16BigEndian(ip[2..]);
        if (total < headerLength || total > ip.Length) return;
        // A fragment's transport checksum covers the reassembled datagram: leave it.
        if ((BinaryPrimitives.ReadUInt16BigEndian(ip[6..]) & 0x3FFF) != 0) return;
        ulong addresses = InternetChecksum.Add(0, ip[12..20]);
        Transport(ip[headerLength..total], ip[9], addresses, v6: false);
    }

    /// <summary>The transport checksum after a chain of (well-formed) extension headers.</summary>
    public static void Ipv6(Span<byte> ip)
    {
        if (ip.Length < Ipv6Header || ip[0] >> 4 != 6) return;
        int payloadLength = BinaryPrimitives.ReadUInt16BigEndian(ip[4..]);
        if (payloadLength > ip.Length - Ipv6Header) return;
        var payload = ip.Slice(Ipv6Header, payloadLength);
        byte next = ip[6];
        int offset = 0;
        for (int i = 0; i < 10; i++)
        {
            if (next is 0 or 43 or 60)
            {
                if (payload.Length - offset < 8) return;
                int length = (payload[offset + 1] + 1) * 8;
                next = payload[offset];
                offset += length;
                if (offset > payload.Length) return;
            }
            else if (next == 44)
            {
                if (payload.Length - offset < 8) return;
                if ((BinaryPrimitives.ReadUInt16BigEndian(payload[(offset + 2)..]) & 0xFFF9) != 0) return;
                next = payload[offset];
                offset += 8;
            }
            else
            {
                break;
            }
        }
        ulong addresses = InternetChecksum.Add(0, ip[8..40]);
        Transport(payload[offset..], next, addresses, v6: true);
    }

    /// <summary>TCP, UDP, ICMP or ICMPv6 checksum; <paramref name="addresses"/> is the sum of source and destination.</summary>
    public static void Transport(Span<byte> segment, byte protocol, ulong addresses, bool v6)
    {
        ulong pseudo = InternetChecksum.Add(InternetChecksum.Add(addresses, (uint)segment.Length), (ushort)protocol);
        switch (protocol)
        {
            case Tcp when segment.Length >= 20:
                Store(segment, 16, pseudo, segment.Length);
                break;
            case Udp when segment.Length >= 8:
                int length = BinaryPrimitives.ReadUInt16BigEndian(segment[4..]);
                // Over IPv4 a zero checksum means "none" (RFC 768): keep the mutation's choice.
                if (length < 8 || length > segment.Length || (!v6 && segment[6] == 0 && segment[7] == 0)) return;
                ulong udpPseudo = InternetChecksum.Add(InternetChecksum.Add(addresses, (uint)length), (ushort)protocol);
                Store(segment, 6, udpPseudo, length);
                if (segment[6] == 0 && segment[7] == 0) segment[6] = segment[7] = 0xFF;
                break;
            case Icmp when !v6 && segment.Length >= 4:
                Store(segment, 2, 0, segment.Length);
                break;
            case Icmpv6 when v6 && segment.Length >= 4:
                Store(segment, 2, pseudo, segment.Length);
                break;
        }
    }

    /// <summary>Zeroes the checksum at <paramref name="at"/>, then stores the sum of <paramref name="initial"/> and the covered bytes.</summary>
    private static void Store(Span<byte> bytes, int at, ulong initial, int length)
    {
        bytes[at] = bytes[at + 1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(bytes[at..], InternetChecksum.Finish(InternetChecksum.Add(initial, bytes[..length])));
    }
}
