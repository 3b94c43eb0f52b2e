using System.Buffers.Binary;
using System.Diagnostics;
using Stack.Link.Diagnostics;
using Stack.Link.Wire;

namespace Stack.Tcp.Wire;

/// <summary>
/// A view of a TCP segment (RFC 9293 §3.1). Checked once by <see cref="TryParse"/> — lengths, checksum and
/// option syntax — so the getters and <see cref="ParseOptions"/> never fail.
/// </summary>
public readonly ref struct TcpHeader
{
    public const int MinLength = 20;
    internal const int SourcePortOffset = 0;
    internal const int DestinationPortOffset = 2;
    internal const int SequenceNumberOffset = 4;
    internal const int AcknowledgmentNumberOffset = 8;
    internal const int DataOffsetOffset = 12;
    internal const int FlagsOffset = 13;
    internal const int WindowOffset = 14;
    internal const int ChecksumOffset = 16;
    internal const int UrgentPointerOffset = 18;

    /// <summary>The part of a segment an ICMP error must quote (RFC 792): ports and sequence number.</summary>
    public const int QuotedLength = 8;

    private readonly ReadOnlySpan<byte> _bytes;

    private TcpHeader(ReadOnlySpan<byte> bytes) => _bytes = bytes;

    /// <summary>
    /// Parses a received segment. <paramref name="pseudoHeaderSum"/> is
    /// <c>InternetChecksum.PseudoHeader(src, dst, 6, segment.Length)</c>. The checksum is verified right after
    /// the length check, before the data offset and options are believed, so that a corrupted header is counted
    /// as <see cref="RejectReason.BadChecksum"/> rather than as whatever its damaged fields look like.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> segment, ulong pseudoHeaderSum, out TcpHeader header, out RejectReason reason)
    {
        header = default;
        if (segment.Length < MinLength)
        {
            reason = RejectReason.Truncated;
            return false;
        }
        if (InternetChecksum.Finish(InternetChecksum.Add(pseudoHeaderSum, segment)) != 0)
        {
            reason = RejectReason.BadChecksum;
            return false;
        }
        return TryParseUnchecked(segment, out header, out reason);
    }

    /// <summary>
    /// Parses a segment without verifying its checksum: for segments whose checksum was checked elsewhere (or
    /// offloaded). A segment quoted in an ICMP error is usually cut short; read it with
    /// <see cref="TryReadPortsAndSeq"/>.
    /// </summary>
    public static bool TryParseUnchecked(ReadOnlySpan<byte> segment, out TcpHeader header, out RejectReason reason)
    {
        header = default;
        if (segment.Length < MinLength)
        {
            reason = RejectReason.Truncated;
            return false;
        }
        int headerLength = (segment[DataOffsetOffset] >> 4) * 4;
        if (headerLength < MinLength || headerLength > segment.Length)
        {
            reason = RejectReason.BadHeaderLength;
            return false;
        }
        if (!TcpOptions.TryParse(segment[MinLength..headerLength], out _, out reason))
            return false;
        header = new TcpHeader(segment);
        reason = RejectReason.None;
        return true;
    }

    /// <summary>
    /// Reads the first 8 bytes, all an ICMP error is sure to quote (RFC 792; RFC 1812 §4.3.2.3 allows more), to
    /// find the connection the error is about. False when fewer than 8 bytes are present.
    /// </summary>
    public static bool TryReadPortsAndSeq(ReadOnlySpan<byte> quoted, out ushort sourcePort, out ushort destinationPort, out uint sequenceNumber)
    {
        if (quoted.Length < QuotedLength)
        {
            sourcePort = destinationPort = 0;
            sequenceNumber = 0;
            return false;
        }
        sourcePort = BinaryPrimitives.ReadUInt16BigEndian(quoted[SourcePortOffset..]);
        destinationPort = BinaryPrimitives.ReadUInt16BigEndian(quoted[DestinationPortOffset..]);
        sequenceNumber = BinaryPrimitives.ReadUInt32BigEndian(quoted[SequenceNumberOffset..]);
        return true;
    }

    public ushort SourcePort => BinaryPrimitives.ReadUInt16BigEndian(_bytes[SourcePortOffset..]);
    public ushort DestinationPort => BinaryPrimitives.ReadUInt16BigEndian(_bytes[DestinationPortOffset..]);
    public uint SequenceNumber => BinaryPrimitives.ReadUInt32BigEndian(_bytes[SequenceNumberOffset..]);
    public uint AcknowledgmentNumber => BinaryPrimitives.ReadUInt32BigEndian(_bytes[AcknowledgmentNumberOffset..]);

    /// <summary>The data offset in bytes: fixed header plus options.</summary>
    public int HeaderLength => (_bytes[DataOffsetOffset] >> 4) * 4;

    /// <summary>The eight control bits; the reserved bits (and RFC 3540's historic NS bit) are not exposed.</summary>
    public TcpFlags Flags => (TcpFlags)_bytes[FlagsOffset];

    public ushort Window => BinaryPrimitives.ReadUInt16BigEndian(_bytes[WindowOffset..]);
    public ushort Checksum => BinaryPrimitives.ReadUInt16BigEndian(_bytes[ChecksumOffset..]);
    public ushort UrgentPointer => BinaryPrimitives.ReadUInt16BigEndian(_bytes[UrgentPointerOffset..]);
    public ReadOnlySpan<byte> OptionBytes => _bytes[MinLength..HeaderLength];
    public ReadOnlySpan<byte> Payload => _bytes[HeaderLength..];

    /// <summary>RFC 9293 §3.3.1 SEG.LEN: the sequence space the segment occupies, SYN and FIN included.</summary>
    public int SegmentLength =>
        Payload.Length + ((Flags & TcpFlags.Syn) != 0 ? 1 : 0) + ((Flags & TcpFlags.Fin) != 0 ? 1 : 0);

    /// <summary>The options; their syntax was checked by the parse that made this view.</summary>
    public TcpOptions ParseOptions()
    {
        bool wellFormed = TcpOptions.TryParse(OptionBytes, out var options, out _);
        Debug.Assert(wellFormed, "TryParse accepted a segment whose options do not parse.");
        return options;
    }
}
