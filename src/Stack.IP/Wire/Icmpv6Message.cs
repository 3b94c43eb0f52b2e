using System.Buffers.Binary;
using Stack.Link.Diagnostics;
using Stack.Link.Wire;

namespace Stack.IP.Wire;

/// <summary>
/// A view of an ICMPv6 message (RFC 4443 §2.1): the upper-layer payload of an IPv6 packet. Checked once by
/// <see cref="TryParse"/>, including the checksum over the pseudo-header; the getters then never fail.
/// </summary>
public readonly ref struct Icmpv6Message
{
    public const int HeaderLength = 8;
    private const int TypeOffset = 0;
    private const int CodeOffset = 1;
    private const int ChecksumOffset = 2;
    private const int RestOfHeaderOffset = 4;
    private const int IdentifierOffset = 4;
    private const int SequenceOffset = 6;

    /// <summary>RFC 4443 §2.1: types below 128 are errors.</summary>
    private const byte FirstInformationalType = 128;

    private readonly ReadOnlySpan<byte> _bytes;

    private Icmpv6Message(ReadOnlySpan<byte> bytes) => _bytes = bytes;

    public static bool TryParse(ReadOnlySpan<byte> bytes, Ipv6Address source, Ipv6Address destination,
        out Icmpv6Message message, out RejectReason reason)
    {
        message = default;
        if (bytes.Length < HeaderLength)
        {
            reason = RejectReason.Truncated;
            return false;
        }
        // RFC 4443 §2.3: the checksum covers the IPv6 pseudo-header (RFC 8200 §8.1) and the whole message.
        if (Sum(bytes, source, destination) != 0)
        {
            reason = RejectReason.BadChecksum;
            return false;
        }
        message = new Icmpv6Message(bytes);
        reason = RejectReason.None;
        return true;
    }

    public Icmpv6Type Type => (Icmpv6Type)_bytes[TypeOffset];
    public byte Code => _bytes[CodeOffset];
    public ushort Checksum => BinaryPrimitives.ReadUInt16BigEndian(_bytes[ChecksumOffset..]);
    public ushort Identifier => BinaryPrimitives.ReadUInt16BigEndian(_bytes[IdentifierOffset..]);
    public ushort SequenceNumber => BinaryPrimitives.ReadUInt16BigEndian(_bytes[SequenceOffset..]);
    public uint RestOfHeader => BinaryPrimitives.ReadUInt32BigEndian(_bytes[RestOfHeaderOffset..]);

    /// <summary>RFC 4443 §3.2: the MTU of the next-hop link, in a packet too big.</summary>
    public uint Mtu => RestOfHeader;

    /// <summary>RFC 4443 §3.4: the offset into the quoted packet where the problem was found.</summary>
    public uint Pointer => RestOfHeader;

    /// <summary>Echo data, or as much of the offending packet as fits for errors.</summary>
    public ReadOnlySpan<byte> Body => _bytes[HeaderLength..];

    public bool IsError => _bytes[TypeOffset] < FirstInformationalType;

    /// <summary>The whole message, for neighbour discovery to parse (see <c>NdpMessage</c>).</summary>
    public ReadOnlySpan<byte> Message => _bytes;

    public static int WriteEcho(Span<byte> buffer, Ipv6Address source, Ipv6Address destination, Icmpv6Type type,
        ushort identifier, ushort sequence, ReadOnlySpan<byte> data) =>
        Write(buffer, source, destination, type, 0, ((uint)identifier << 16) | sequence, data);

    public static int WriteError(Span<byte> buffer, Ipv6Address source, Ipv6Address destination, Icmpv6Type type,
        byte code, uint restOfHeader, ReadOnlySpan<byte> quoted) =>
        Write(buffer, source, destination, type, code, restOfHeader, quoted);

    /// <summary>Computes and stores the checksum of a complete message (e.g. one from <c>NdpWriter</c>).</summary>
    public static void FillChecksum(Span<byte> icmp, Ipv6Address source, Ipv6Address destination)
    {
        BinaryPrimitives.WriteUInt16BigEndian(icmp[ChecksumOffset..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[ChecksumOffset..], Sum(icmp, source, destination));
    }

    private static ushort Sum(ReadOnlySpan<byte> icmp, Ipv6Address source, Ipv6Address destination) =>
        InternetChecksum.Finish(InternetChecksum.Add(
            InternetChecksum.PseudoHeader(source, destination, (byte)IpProtocol.Icmpv6, icmp.Length), icmp));

    private static int Write(Span<byte> buffer, Ipv6Address source, Ipv6Address destination, Icmpv6Type type,
        byte code, uint restOfHeader, ReadOnlySpan<byte> body)
    {
        var message = buffer[..(HeaderLength + body.Length)];
        message[TypeOffset] = (byte)type;
        message[CodeOffset] = code;
        BinaryPrimitives.WriteUInt32BigEndian(message[RestOfHeaderOffset..], restOfHeader);
        body.CopyTo(message[HeaderLength..]);
        FillChecksum(message, source, destination);
        return message.Length;
    }
}
