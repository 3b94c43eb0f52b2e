using System.Buffers.Binary;
using Stack.Link.Diagnostics;
using Stack.Link.Wire;

namespace Stack.IP.Wire;

/// <summary>
/// A view of the fixed IPv6 header and its payload (RFC 8200 §3). Checked once by <see cref="TryParse"/>; the
/// getters then never fail. The view ends at 40 + PayloadLength: link padding after it is not part of the packet.
/// </summary>
public readonly ref struct Ipv6Header
{
    public const int Length = 40;
    private const int VersionClassFlowOffset = 0;
    private const int PayloadLengthOffset = 4;
    private const int NextHeaderOffset = 6;
    private const int HopLimitOffset = 7;
    private const int SourceOffset = 8;
    private const int DestinationOffset = 24;

    private const uint FlowLabelMask = 0x000F_FFFF;

    private readonly ReadOnlySpan<byte> _bytes;

    private Ipv6Header(ReadOnlySpan<byte> bytes) => _bytes = bytes;

    public static bool TryParse(ReadOnlySpan<byte> bytes, out Ipv6Header header, out RejectReason reason)
    {
        header = default;
        if (bytes.Length < Length)
        {
            reason = RejectReason.Truncated;
            return false;
        }
        if (bytes[VersionClassFlowOffset] >> 4 != 6)
        {
            reason = RejectReason.BadVersion;
            return false;
        }
        int payloadLength = BinaryPrimitives.ReadUInt16BigEndian(bytes[PayloadLengthOffset..]);
        if (payloadLength > bytes.Length - Length)
        {
            reason = RejectReason.BadTotalLength;
            return false;
        }
        // RFC 2675: a zero payload length with a hop-by-hop header announces a jumbogram; we do not take them.
        if (payloadLength == 0 && bytes[NextHeaderOffset] == (byte)IpProtocol.HopByHop)
        {
            reason = RejectReason.UnsupportedType;
            return false;
        }
        header = new Ipv6Header(bytes[..(Length + payloadLength)]);
        reason = RejectReason.None;
        return true;
    }

    private uint VersionClassFlow => BinaryPrimitives.ReadUInt32BigEndian(_bytes[VersionClassFlowOffset..]);
    public byte TrafficClass => (byte)(VersionClassFlow >> 20);
    public uint FlowLabel => VersionClassFlow & FlowLabelMask;
    public int PayloadLength => _bytes.Length - Length;
    public IpProtocol NextHeader => (IpProtocol)_bytes[NextHeaderOffset];
    public byte HopLimit => _bytes[HopLimitOffset];
    public Ipv6Address Source => Ipv6Address.Read(_bytes[SourceOffset..]);
    public Ipv6Address Destination => Ipv6Address.Read(_bytes[DestinationOffset..]);
    public ReadOnlySpan<byte> Header => _bytes[..Length];
    public ReadOnlySpan<byte> Payload => _bytes[Length..];

    /// <summary>The offset of the next-header field, for ICMPv6 parameter-problem pointers.</summary>
    internal const int NextHeaderFieldOffset = NextHeaderOffset;

    internal static void Write(Span<byte> buffer, in Ipv6Repr repr)
    {
        uint first = (6u << 28) | ((uint)repr.TrafficClass << 20) | (repr.FlowLabel & FlowLabelMask);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[VersionClassFlowOffset..], first);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[PayloadLengthOffset..], (ushort)repr.PayloadLength);
        buffer[NextHeaderOffset] = (byte)repr.NextHeader;
        buffer[HopLimitOffset] = repr.HopLimit;
        repr.Source.Write(buffer[SourceOffset..]);
        repr.Destination.Write(buffer[DestinationOffset..]);
    }
}
