using System.Buffers.Binary;
using Stack.Link.Wire;

namespace Stack.Udp.Wire;

/// <summary>Builds UDP datagrams (RFC 768). The checksum is always generated, over IPv4 too.</summary>
public static class UdpWriter
{
    /// <summary>The largest datagram the 16-bit length field can describe.</summary>
    public const int MaxLength = ushort.MaxValue;

    /// <summary>
    /// Writes header and payload into <paramref name="buffer"/> and returns the datagram length.
    /// <paramref name="pseudoHeaderSum"/> is <c>InternetChecksum.PseudoHeader(src, dst, 17, 8 + payload.Length)</c>.
    /// </summary>
    public static int Write(Span<byte> buffer, ushort sourcePort, ushort destinationPort, ReadOnlySpan<byte> payload,
        ulong pseudoHeaderSum)
    {
        int length = UdpHeader.HeaderLength + payload.Length;
        CheckLength(length);
        if (buffer.Length < length)
            throw new ArgumentException($"The buffer holds {buffer.Length} bytes; the datagram needs {length}.", nameof(buffer));
        payload.CopyTo(buffer[UdpHeader.HeaderLength..]);
        return WriteHeaderInPlace(buffer[..length], sourcePort, destinationPort, pseudoHeaderSum);
    }

    /// <summary>
    /// Writes the header of a datagram whose payload is already at <c>datagram[8..]</c>, so that callers can
    /// build the payload straight into a frame. <paramref name="datagram"/> must be exactly header plus
    /// payload. Returns its length.
    /// </summary>
    public static int WriteHeaderInPlace(Span<byte> datagram, ushort sourcePort, ushort destinationPort, ulong pseudoHeaderSum)
    {
        int length = datagram.Length;
        if (length < UdpHeader.HeaderLength)
            throw new ArgumentException($"A datagram is at least {UdpHeader.HeaderLength} bytes; got {length}.", nameof(datagram));
        CheckLength(length);
        BinaryPrimitives.WriteUInt16BigEndian(datagram[UdpHeader.SourcePortOffset..], sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(datagram[UdpHeader.DestinationPortOffset..], destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(datagram[UdpHeader.LengthOffset..], (ushort)length);
        BinaryPrimitives.WriteUInt16BigEndian(datagram[UdpHeader.ChecksumOffset..], 0);
        ushort checksum = InternetChecksum.Finish(InternetChecksum.Add(pseudoHeaderSum, datagram));
        // RFC 768: a computed zero is sent as all ones, since zero on the wire means "no checksum".
        BinaryPrimitives.WriteUInt16BigEndian(datagram[UdpHeader.ChecksumOffset..], checksum == 0 ? (ushort)0xFFFF : checksum);
        return length;
    }

    private static void CheckLength(int length)
    {
        if (length > MaxLength)
            throw new ArgumentException($"A UDP datagram is at most {MaxLength} bytes; this one would be {length}. Send less data.");
    }
}
