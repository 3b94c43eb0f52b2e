using System.Buffers.Binary;
using Stack.Link.Diagnostics;

namespace Stack.IP.Wire;

/// <summary>A view of the IPv6 Fragment header (RFC 8200 §4.5).</summary>
public readonly ref struct Ipv6FragmentHeader
{
    public const int Length = 8;
    private const int NextHeaderOffset = 0;
    private const int ReservedOffset = 1;
    private const int OffsetFlagsOffset = 2;
    private const int IdentificationOffset = 4;

    private const ushort OffsetMask = 0xFFF8;
    private const ushort MoreFragmentsBit = 0x0001;
    private const int MaxFragmentOffset = 0xFFF8;

    private readonly ReadOnlySpan<byte> _bytes;

    private Ipv6FragmentHeader(ReadOnlySpan<byte> bytes) => _bytes = bytes;

    /// <summary>Reserved fields are ignored on receipt (RFC 8200 §4.5), so only the length can be wrong.</summary>
    public static bool TryParse(ReadOnlySpan<byte> bytes, out Ipv6FragmentHeader header, out RejectReason reason)
    {
        header = default;
        if (bytes.Length < Length)
        {
            reason = RejectReason.Truncated;
            return false;
        }
        header = new Ipv6FragmentHeader(bytes[..Length]);
        reason = RejectReason.None;
        return true;
    }

    public IpProtocol NextHeader => (IpProtocol)_bytes[NextHeaderOffset];
    private ushort OffsetAndFlags => BinaryPrimitives.ReadUInt16BigEndian(_bytes[OffsetFlagsOffset..]);

    /// <summary>The offset in bytes: the field counts 8-byte units in its top 13 bits.</summary>
    public int FragmentOffset => OffsetAndFlags & OffsetMask;

    public bool MoreFragments => (OffsetAndFlags & MoreFragmentsBit) != 0;
    public uint Identification => BinaryPrimitives.ReadUInt32BigEndian(_bytes[IdentificationOffset..]);

    /// <summary>Writes the 8-byte header. <paramref name="fragmentOffset"/> is in bytes, a multiple of 8.</summary>
    public static void Write(Span<byte> buffer, IpProtocol nextHeader, int fragmentOffset, bool moreFragments,
        uint identification)
    {
        if (fragmentOffset % 8 != 0 || fragmentOffset is < 0 or > MaxFragmentOffset)
            throw new ArgumentException(
                $"fragmentOffset is in bytes and must be a multiple of 8 in [0, {MaxFragmentOffset}]; got {fragmentOffset}.",
                nameof(fragmentOffset));
        buffer = buffer[..Length];
        buffer[NextHeaderOffset] = (byte)nextHeader;
        buffer[ReservedOffset] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(buffer[OffsetFlagsOffset..],
            (ushort)(fragmentOffset | (moreFragments ? MoreFragmentsBit : 0)));
        BinaryPrimitives.WriteUInt32BigEndian(buffer[IdentificationOffset..], identification);
    }
}
