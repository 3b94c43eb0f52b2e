using System.Buffers.Binary;
using System.Text;
using Stack.Link.Wire;

namespace Stack.Tcp.Wire;

/// <summary>
/// A TCP header as a plain value (RFC 9293 §3.1): parse one from a <see cref="TcpHeader"/> with
/// <see cref="From"/>, emit one with <see cref="Write"/> or <see cref="WriteHeaderInPlace"/>.
/// </summary>
public readonly record struct TcpRepr(
    ushort SourcePort,
    ushort DestinationPort,
    uint SequenceNumber,
    uint AcknowledgmentNumber,
    TcpFlags Flags,
    ushort Window,
    TcpOptions Options = default,
    ushort UrgentPointer = 0)
{
    /// <summary>Fixed header plus encoded options: a multiple of 4 between 20 and 60.</summary>
    public int HeaderLength => TcpHeader.MinLength + Options.EncodedLength;

    public static TcpRepr From(in TcpHeader h) => new(h.SourcePort, h.DestinationPort, h.SequenceNumber,
        h.AcknowledgmentNumber, h.Flags, h.Window, h.ParseOptions(), h.UrgentPointer);

    /// <summary>
    /// Writes header, options and payload with the checksum and returns the segment length.
    /// <paramref name="pseudoHeaderSum"/> is <c>InternetChecksum.PseudoHeader(src, dst, 6, HeaderLength + payload.Length)</c>.
    /// </summary>
    public int Write(Span<byte> buffer, ReadOnlySpan<byte> payload, ulong pseudoHeaderSum)
    {
        int headerLength = HeaderLength;
        int length = headerLength + payload.Length;
        if (buffer.Length < length)
            throw new ArgumentException($"The buffer holds {buffer.Length} bytes; the segment needs {length}.", nameof(buffer));
        payload.CopyTo(buffer[headerLength..]);
        return WriteHeaderInPlace(buffer, payload.Length, pseudoHeaderSum);
    }

    /// <summary>
    /// Writes header and options in front of a payload already at <c>segment[HeaderLength..]</c>, then the
    /// checksum over both, and returns the segment length. Bytes of <paramref name="segment"/> past the payload
    /// are not touched. With <paramref name="partialChecksum"/> the field gets only the folded pseudo-header sum,
    /// for a link that finishes the checksum (Linux's CHECKSUM_PARTIAL; see IpHost.TcpChecksumOffload).
    /// </summary>
    public int WriteHeaderInPlace(Span<byte> segment, int payloadLength, ulong pseudoHeaderSum, bool partialChecksum = false)
    {
        int headerLength = HeaderLength;
        int length = headerLength + payloadLength;
        if (payloadLength < 0 || segment.Length < length)
            throw new ArgumentException($"The buffer holds {segment.Length} bytes; a {headerLength}-byte header and {payloadLength} bytes of payload need {length}.", nameof(segment));
        segment = segment[..length];
        WriteFixedHeader(segment, headerLength);
        Options.Write(segment[TcpHeader.MinLength..headerLength]);
        if (partialChecksum)
        {
            BinaryPrimitives.WriteUInt16BigEndian(segment[TcpHeader.ChecksumOffset..], (ushort)~InternetChecksum.Finish(pseudoHeaderSum));
        }
        else
        {
            WriteChecksum(segment, pseudoHeaderSum);
        }
        return length;
    }

    /// <summary>
    /// Writes the segment as <see cref="Write"/> does, but with <paramref name="optionBytes"/> as the option area,
    /// byte for byte, instead of <see cref="Options"/> (which is ignored): for tests that must send options in an
    /// order or with padding other than Linux's layout. The header is 20 + <c>optionBytes.Length</c> bytes, so
    /// <paramref name="pseudoHeaderSum"/> counts that length plus the payload. Returns the segment length.
    /// </summary>
    public int WriteWithOptionBytes(Span<byte> buffer, ReadOnlySpan<byte> optionBytes, ReadOnlySpan<byte> payload, ulong pseudoHeaderSum)
    {
        if (optionBytes.Length % 4 != 0 || optionBytes.Length > TcpOptions.MaxLength)
            throw new ArgumentException($"The option area must be a multiple of 4 bytes, at most {TcpOptions.MaxLength}; it is {optionBytes.Length}.", nameof(optionBytes));
        int headerLength = TcpHeader.MinLength + optionBytes.Length;
        int length = headerLength + payload.Length;
        if (buffer.Length < length)
            throw new ArgumentException($"The buffer holds {buffer.Length} bytes; the segment needs {length}.", nameof(buffer));
        var segment = buffer[..length];
        payload.CopyTo(segment[headerLength..]);
        optionBytes.CopyTo(segment[TcpHeader.MinLength..]);
        WriteFixedHeader(segment, headerLength);
        WriteChecksum(segment, pseudoHeaderSum);
        return length;
    }

    /// <summary>The 20 fixed bytes, with a zero checksum (options and payload are the callers' business).</summary>
    private void WriteFixedHeader(Span<byte> segment, int headerLength)
    {
        BinaryPrimitives.WriteUInt16BigEndian(segment[TcpHeader.SourcePortOffset..], SourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(segment[TcpHeader.DestinationPortOffset..], DestinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(segment[TcpHeader.SequenceNumberOffset..], SequenceNumber);
        BinaryPrimitives.WriteUInt32BigEndian(segment[TcpHeader.AcknowledgmentNumberOffset..], AcknowledgmentNumber);
        segment[TcpHeader.DataOffsetOffset] = (byte)(headerLength / 4 << 4);
        segment[TcpHeader.FlagsOffset] = (byte)Flags;
        BinaryPrimitives.WriteUInt16BigEndian(segment[TcpHeader.WindowOffset..], Window);
        BinaryPrimitives.WriteUInt16BigEndian(segment[TcpHeader.ChecksumOffset..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(segment[TcpHeader.UrgentPointerOffset..], UrgentPointer);
    }

    /// <summary>RFC 9293 §3.1: the checksum over the pseudo-header and the whole segment.</summary>
    private static void WriteChecksum(Span<byte> segment, ulong pseudoHeaderSum) =>
        BinaryPrimitives.WriteUInt16BigEndian(segment[TcpHeader.ChecksumOffset..],
            InternetChecksum.Finish(InternetChecksum.Add(pseudoHeaderSum, segment)));

    /// <summary>packetdrill notation with no payload, e.g. <c>S. 0:0(0) ack 1 win 65535 &lt;mss 1460&gt;</c>.</summary>
    public override string ToString() => ToString(0);

    /// <summary>packetdrill notation for a segment carrying <paramref name="payloadLength"/> bytes.</summary>
    public string ToString(int payloadLength)
    {
        var s = new StringBuilder();
        AppendFlags(s, Flags);
        s.Append(' ').Append(SequenceNumber).Append(':').Append(unchecked(SequenceNumber + (uint)payloadLength))
            .Append('(').Append(payloadLength).Append(')');
        if ((Flags & TcpFlags.Ack) != 0)
            s.Append(" ack ").Append(AcknowledgmentNumber);
        s.Append(" win ").Append(Window);
        if ((Flags & TcpFlags.Urg) != 0)
            s.Append(" urg ").Append(UrgentPointer);
        var options = Options.ToString();
        if (options.Length > 0)
            s.Append(' ').Append(options);
        return s.ToString();
    }

    /// <summary>packetdrill's flag letters, in its order: F S R P . (ACK) U E W (CWR).</summary>
    public static void AppendFlags(StringBuilder s, TcpFlags flags)
    {
        if ((flags & TcpFlags.Fin) != 0) s.Append('F');
        if ((flags & TcpFlags.Syn) != 0) s.Append('S');
        if ((flags & TcpFlags.Rst) != 0) s.Append('R');
        if ((flags & TcpFlags.Psh) != 0) s.Append('P');
        if ((flags & TcpFlags.Ack) != 0) s.Append('.');
        if ((flags & TcpFlags.Urg) != 0) s.Append('U');
        if ((flags & TcpFlags.Ece) != 0) s.Append('E');
        if ((flags & TcpFlags.Cwr) != 0) s.Append('W');
    }
}
