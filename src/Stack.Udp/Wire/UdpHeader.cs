using System.Buffers.Binary;
using Stack.Link.Diagnostics;
using Stack.Link.Wire;

namespace Stack.Udp.Wire;

/// <summary>
/// A view of a UDP datagram (RFC 768). Checked once by <see cref="TryParse"/>, checksum included; the getters
/// then never fail.
/// </summary>
public readonly ref struct UdpHeader
{
    /// <summary>The fixed header size.</summary>
    /// <remarks>
    /// Named <c>HeaderLength</c>, not <c>Length</c>: a type cannot have both a constant and a property called
    /// <c>Length</c>, and the property is the RFC 768 field.
    /// </remarks>
    public const int HeaderLength = 8;
    internal const int SourcePortOffset = 0;
    internal const int DestinationPortOffset = 2;
    internal const int LengthOffset = 4;
    internal const int ChecksumOffset = 6;

    private readonly ReadOnlySpan<byte> _bytes;

    private UdpHeader(ReadOnlySpan<byte> bytes) => _bytes = bytes;

    /// <summary>
    /// Parses a datagram. <paramref name="pseudoHeaderSum"/> is
    /// <c>InternetChecksum.PseudoHeader(src, dst, 17, udpLength)</c>. <paramref name="checksumRequired"/> is
    /// true over IPv6, where a zero checksum is not allowed (RFC 8200 §8.1), and false over IPv4, where it
    /// means "no checksum" (RFC 768).
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> bytes, ulong pseudoHeaderSum, bool checksumRequired,
        out UdpHeader header, out RejectReason reason)
    {
        header = default;
        if (bytes.Length < HeaderLength)
        {
            reason = RejectReason.Truncated;
            return false;
        }
        // RFC 768: the length covers header and data. Bytes beyond it (link padding) are not part of the datagram.
        int length = BinaryPrimitives.ReadUInt16BigEndian(bytes[LengthOffset..]);
        if (length < HeaderLength || length > bytes.Length)
        {
            reason = RejectReason.BadTotalLength;
            return false;
        }
        var datagram = bytes[..length];
        if (BinaryPrimitives.ReadUInt16BigEndian(datagram[ChecksumOffset..]) == 0)
        {
            if (checksumRequired)
            {
                reason = RejectReason.BadChecksum;
                return false;
            }
        }
        else if (InternetChecksum.Finish(InternetChecksum.Add(pseudoHeaderSum, datagram)) != 0)
        {
            reason = RejectReason.BadChecksum;
            return false;
        }
        header = new UdpHeader(datagram);
        reason = RejectReason.None;
        return true;
    }

    public ushort SourcePort => BinaryPrimitives.ReadUInt16BigEndian(_bytes[SourcePortOffset..]);
    public ushort DestinationPort => BinaryPrimitives.ReadUInt16BigEndian(_bytes[DestinationPortOffset..]);

    /// <summary>The length field: header plus payload.</summary>
    public int Length => BinaryPrimitives.ReadUInt16BigEndian(_bytes[LengthOffset..]);

    /// <summary>The checksum field as received; 0 means the sender computed none (IPv4 only).</summary>
    public ushort Checksum => BinaryPrimitives.ReadUInt16BigEndian(_bytes[ChecksumOffset..]);

    /// <summary>The data, trimmed to the length field.</summary>
    public ReadOnlySpan<byte> Payload => _bytes[HeaderLength..];
}
