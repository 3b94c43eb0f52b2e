using System.Buffers.Binary;
using Stack.Link.Diagnostics;
using Stack.Link.Wire;

namespace Stack.Link.Devices.Tap;

/// <summary>
/// The header a TAP opened with IFF_VNET_HDR puts before every frame (struct virtio_net_hdr in
/// include/uapi/linux/virtio_net.h): how the kernel left the frame's checksum, and whether the frame is a GSO
/// super-frame that stands for several MSS-sized segments. We use the legacy 10-byte layout, the tun driver's
/// default size, rather than the 12-byte v1 one: its num_buffers field means nothing on a TAP, and with 10
/// bytes the IP header of a frame read to the start of a buffer lands 8-byte aligned (10 + 14 = 24), which the
/// checksum loops like. A legacy header is in the host's byte order; tun writes it little-endian unless told
/// otherwise (TUNSETVNETBE), and every machine we run on is little-endian.
/// </summary>
public readonly record struct VirtioNetHeader(byte Flags, byte GsoType, ushort HeaderLength, ushort GsoSize,
    ushort ChecksumStart, ushort ChecksumOffset)
{
    public const int Length = 10;
    private const int FlagsOffset = 0;
    private const int GsoTypeOffset = 1;
    private const int HeaderLengthOffset = 2;
    private const int GsoSizeOffset = 4;
    private const int ChecksumStartOffset = 6;
    private const int ChecksumOffsetOffset = 8;

    /// <summary>The checksum field holds only the pseudo-header sum: sum from ChecksumStart to the end, store at ChecksumStart + ChecksumOffset.</summary>
    public const byte FlagNeedsChecksum = 1;
    /// <summary>The kernel already checked the checksum (CHECKSUM_UNNECESSARY); the field is complete either way.</summary>
    public const byte FlagDataValid = 2;

    public const byte GsoNone = 0;
    public const byte GsoTcpV4 = 1;
    public const byte GsoTcpV6 = 4;
    /// <summary>Or'ed into the type when the segments carry CWR; we never ask for it (no TUN_F_TSO_ECN) but it does no harm.</summary>
    public const byte GsoEcn = 0x80;

    /// <summary>The TCP checksum field sits 16 bytes into the TCP header (RFC 9293 §3.1).</summary>
    private const int TcpChecksumOffset = 16;
    private const int TcpMinHeaderLength = 20;

    public bool NeedsChecksum => (Flags & FlagNeedsChecksum) != 0;

    public bool IsGso => (GsoType & ~GsoEcn) != GsoNone;

    /// <summary>
    /// Reads the header at the start of <paramref name="bytes"/> (what one read of the TAP returned) and checks it
    /// against the frame after it: known flags and GSO types only, a checksum range inside the frame, and a GSO
    /// frame long enough to hold the TCP header its offsets point at. False, with the reason, for anything else.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> bytes, out VirtioNetHeader header, out RejectReason reason)
    {
        header = default;
        if (bytes.Length < Length + EthernetFrame.HeaderLength)
        {
            reason = RejectReason.Truncated;
            return false;
        }
        var h = new VirtioNetHeader(
            bytes[FlagsOffset],
            bytes[GsoTypeOffset],
            BinaryPrimitives.ReadUInt16LittleEndian(bytes[HeaderLengthOffset..]),
            BinaryPrimitives.ReadUInt16LittleEndian(bytes[GsoSizeOffset..]),
            BinaryPrimitives.ReadUInt16LittleEndian(bytes[ChecksumStartOffset..]),
            BinaryPrimitives.ReadUInt16LittleEndian(bytes[ChecksumOffsetOffset..]));
        reason = h.Check(bytes.Length - Length);
        if (reason != RejectReason.None) return false;
        header = h;
        return true;
    }

    private RejectReason Check(int frameLength)
    {
        if ((Flags & ~(FlagNeedsChecksum | FlagDataValid)) != 0) return RejectReason.BadFlags;
        int gso = GsoType & ~GsoEcn;
        if (gso is not (GsoNone or GsoTcpV4 or GsoTcpV6)) return RejectReason.UnsupportedType;
        if (NeedsChecksum && (ChecksumStart < EthernetFrame.HeaderLength || ChecksumStart + ChecksumOffset + 2 > frameLength))
            return RejectReason.BadField;
        if (gso == GsoNone) return RejectReason.None;
        // A GSO frame's TCP checksum is always left partial, pointing at the TCP header the segments share.
        if (!NeedsChecksum) return RejectReason.BadFlags;
        if (ChecksumOffset != TcpChecksumOffset || GsoSize == 0) return RejectReason.BadField;
        if (ChecksumStart + TcpMinHeaderLength > frameLength) return RejectReason.Truncated;
        return RejectReason.None;
    }

    /// <summary>
    /// Finishes a checksum the kernel left partial (CHECKSUM_PARTIAL): the field at ChecksumStart +
    /// ChecksumOffset already holds the pseudo-header sum, so the Internet checksum of everything from
    /// ChecksumStart to the end of the frame, field included, is the value to store. Afterwards the frame
    /// verifies like any other. A frame that does not need it is left alone. The header must have come from
    /// <see cref="TryParse"/> on this frame, which checked the offsets.
    /// </summary>
    public void CompleteChecksum(Span<byte> frame)
    {
        if (!NeedsChecksum) return;
        var field = frame.Slice(ChecksumStart + ChecksumOffset, 2);
        ushort sum = InternetChecksum.Compute(frame[ChecksumStart..]);
        // As Linux's skb_checksum_help: a computed zero goes out as 0xFFFF, which UDP reads as "checksummed".
        BinaryPrimitives.WriteUInt16BigEndian(field, sum == 0 ? (ushort)0xFFFF : sum);
    }

    /// <summary>
    /// The header for a frame whose TCP checksum field holds only the pseudo-header sum: NEEDS_CSUM from the TCP
    /// header to the end. Only an unfragmented TCP segment (IPv4, or IPv6 with TCP right after the fixed header)
    /// gets one; anything else, a fragment included, carries complete checksums and gets the plain header.
    /// </summary>
    public static VirtioNetHeader ForPartialTcp(ReadOnlySpan<byte> frame)
    {
        const int l3 = EthernetFrame.HeaderLength;
        if (frame.Length < l3 + 20 + TcpMinHeaderLength) return default;
        int l4;
        switch (BinaryPrimitives.ReadUInt16BigEndian(frame[12..]))
        {
            case (ushort)EtherType.Ipv4:
                if ((frame[l3] >> 4) != 4 || frame[l3 + 9] != 6 || (BinaryPrimitives.ReadUInt16BigEndian(frame[(l3 + 6)..]) & 0x3FFF) != 0)
                    return default;
                l4 = l3 + (frame[l3] & 0x0F) * 4;
                break;
            case (ushort)EtherType.Ipv6:
                if ((frame[l3] >> 4) != 6 || frame[l3 + 6] != 6) return default;
                l4 = l3 + 40;
                break;
            default:
                return default;
        }
        if (l4 + TcpMinHeaderLength > frame.Length) return default;
        return new VirtioNetHeader(FlagNeedsChecksum, GsoNone, (ushort)(l4 + ((frame[l4 + 12] >> 4) * 4)), 0, (ushort)l4, TcpChecksumOffset);
    }

    /// <summary>Writes the header into the first <see cref="Length"/> bytes of <paramref name="buffer"/>.</summary>
    public void Write(Span<byte> buffer)
    {
        buffer[FlagsOffset] = Flags;
        buffer[GsoTypeOffset] = GsoType;
        BinaryPrimitives.WriteUInt16LittleEndian(buffer[HeaderLengthOffset..], HeaderLength);
        BinaryPrimitives.WriteUInt16LittleEndian(buffer[GsoSizeOffset..], GsoSize);
        BinaryPrimitives.WriteUInt16LittleEndian(buffer[ChecksumStartOffset..], ChecksumStart);
        BinaryPrimitives.WriteUInt16LittleEndian(buffer[ChecksumOffsetOffset..], ChecksumOffset);
    }
}
