using System.Buffers.Binary;
using Stack.Link.Diagnostics;

namespace Stack.Link.Wire;

/// <summary>
/// A view of an Ethernet II frame (no FCS). Checked once by <see cref="TryParse"/>; the getters then never fail.
/// </summary>
public readonly ref struct EthernetFrame
{
    public const int HeaderLength = 14;
    private const int DestinationOffset = 0;
    private const int SourceOffset = 6;
    private const int EtherTypeOffset = 12;

    /// <summary>Values below this in the type field are 802.3 lengths, not EtherTypes.</summary>
    private const ushort MinEtherType = 0x0600;

    private readonly ReadOnlySpan<byte> _bytes;

    private EthernetFrame(ReadOnlySpan<byte> bytes) => _bytes = bytes;

    public static bool TryParse(ReadOnlySpan<byte> bytes, out EthernetFrame frame, out RejectReason reason)
    {
        frame = default;
        if (bytes.Length < HeaderLength)
        {
            reason = RejectReason.Truncated;
            return false;
        }
        if (BinaryPrimitives.ReadUInt16BigEndian(bytes[EtherTypeOffset..]) < MinEtherType)
        {
            reason = RejectReason.UnsupportedType;
            return false;
        }
        frame = new EthernetFrame(bytes);
        reason = RejectReason.None;
        return true;
    }

    public MacAddress Destination => MacAddress.Read(_bytes[DestinationOffset..]);
    public MacAddress Source => MacAddress.Read(_bytes[SourceOffset..]);
    public EtherType EtherType => (EtherType)BinaryPrimitives.ReadUInt16BigEndian(_bytes[EtherTypeOffset..]);

    /// <summary>Everything after the header; may carry trailing padding up to the 60-byte minimum frame.</summary>
    public ReadOnlySpan<byte> Payload => _bytes[HeaderLength..];

    /// <summary>Writes a header; the payload goes at <see cref="HeaderLength"/>.</summary>
    public static void WriteHeader(Span<byte> frame, MacAddress destination, MacAddress source, EtherType type)
    {
        destination.Write(frame[DestinationOffset..]);
        source.Write(frame[SourceOffset..]);
        BinaryPrimitives.WriteUInt16BigEndian(frame[EtherTypeOffset..], (ushort)type);
    }
}
