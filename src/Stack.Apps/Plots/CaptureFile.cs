using System.Buffers.Binary;

namespace Stack.Apps.Plots;

/// <summary>One frame of a capture file: when (µs since 1970), its link type, and its bytes as captured.</summary>
internal readonly record struct CaptureFrame(long Microseconds, uint LinkType, byte[] Bytes, int OriginalLength);

/// <summary>A capture file that cannot be read at all: not pcap or pcapng, or a header cut short.</summary>
internal sealed class CaptureFormatException(string message) : Exception(message);

/// <summary>
/// Reads the two capture formats: classic pcap (microsecond or nanosecond magic, either byte order) and pcapng
/// (Section Header, Interface Description, Enhanced and Simple Packet blocks; any byte order, several sections,
/// if_tsresol and if_tsoffset). A file whose header is wrong is a <see cref="CaptureFormatException"/>; a record
/// cut short at the end, or one whose length is out of all proportion, ends the read and is counted in
/// <see cref="Truncated"/> — what came before is still good.
/// </summary>
internal sealed class CaptureFile
{
    /// <summary>No link layer in use carries frames this big; a larger length is a damaged file, not a frame.</summary>
    private const int MaxFrame = 1 << 18;

    private const uint PcapMicro = 0xA1B2C3D4, PcapNano = 0xA1B23C4D;
    private const uint BlockSectionHeader = 0x0A0D0D0A, BlockInterface = 1, BlockPacketObsolete = 2, BlockSimplePacket = 3,
        BlockEnhancedPacket = 6, ByteOrderMagic = 0x1A2B3C4D;
    private const ushort OptionEnd = 0, OptionTsResolution = 9, OptionTsOffset = 14;

    private readonly byte[] _data;

    private CaptureFile(byte[] data) => _data = data;

    /// <summary>Records cut short or damaged (the read stopped there).</summary>
    public int Truncated { get; private set; }

    /// <summary>pcapng blocks skipped: packets of an interface not described, Simple Packet blocks (no time).</summary>
    public int SkippedBlocks { get; private set; }

    public static CaptureFile Open(string path) => new(File.ReadAllBytes(path));

    public static CaptureFile FromBytes(byte[] data) => new(data);

    /// <summary>The frames in file order.</summary>
    public List<CaptureFrame> ReadFrames()
    {
        if (_data.Length < 4) throw new CaptureFormatException("too short to be a capture file");
        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(_data);
        if (magic == BlockSectionHeader) return ReadPcapng();
        uint big = BinaryPrimitives.ReadUInt32BigEndian(_data);
        if (magic is PcapMicro or PcapNano) return ReadPcap(littleEndian: true, nano: magic == PcapNano);
        if (big is PcapMicro or PcapNano) return ReadPcap(littleEndian: false, nano: big == PcapNano);
        throw new CaptureFormatException($"not a pcap or pcapng file (magic 0x{big:x8})");
    }

    private uint U32(int offset, bool little) => little
        ? BinaryPrimitives.ReadUInt32LittleEndian(_data.AsSpan(offset))
        : BinaryPrimitives.ReadUInt32BigEndian(_data.AsSpan(offset));

    private ushort U16(int offset, bool little) => little
        ? BinaryPrimitives.ReadUInt16LittleEndian(_data.AsSpan(offset))
        : BinaryPrimitives.ReadUInt16BigEndian(_data.AsSpan(offset));

    private List<CaptureFrame> ReadPcap(bool littleEndian, bool nano)
    {
        const int header = 24, record = 16;
        if (_data.Length < header) throw new CaptureFormatException("pcap global header cut short");
        // The upper bits of the link type field carry FCS information (pcap spec, LinkType and additional information).
        uint linkType = U32(20, littleEndian) & 0x0FFF_FFFF;
        var frames = new List<CaptureFrame>();
        int at = header;
        while (at < _data.Length)
        {
            if (_data.Length - at < record)
            {
                Truncated++;
                break;
            }
            long seconds = U32(at, littleEndian);
            long fraction = U32(at + 4, littleEndian);
            uint captured = U32(at + 8, littleEndian);
            uint original = U32(at + 12, littleEndian);
            if (captured > MaxFrame || captured > _data.Length - at - record)
            {
                Truncated++;
                break;
            }
            long micros = seconds * 1_000_000 + (nano ? fraction / 1000 : fraction);
            frames.Add(new CaptureFrame(micros, linkType, _data.AsSpan(at + record, (int)captured).ToArray(),
                (int)Math.Min(original, MaxFrame)));
            at += record + (int)captured;
        }
        return frames;
    }

    /// <summary>An interface of the current pcapng section: link type and how to turn its timestamps into µs.</summary>
    private sealed record Interface(uint LinkType, int Snap, int DecimalResolution, int BinaryResolution, long OffsetSeconds)
    {
        /// <summary>Ticks to µs: in whole numbers for a power of ten (nanosecond times past 2^53 stay exact).</summary>
        public long Microseconds(ulong ticks) => BinaryResolution > 0
            ? (long)(ticks / Math.Pow(2, BinaryResolution) * 1e6)
            : DecimalResolution >= 6 ? (long)(ticks / (ulong)Math.Pow(10, DecimalResolution - 6)) : (long)ticks * (long)Math.Pow(10, 6 - DecimalResolution);
    }

    private List<CaptureFrame> ReadPcapng()
    {
        var frames = new List<CaptureFrame>();
        var interfaces = new List<Interface>();
        bool little = true;
        int at = 0;
        while (at < _data.Length)
        {
            if (_data.Length - at < 12)
            {
                Truncated++;
                break;
            }
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(_data.AsSpan(at));
            if (type == BlockSectionHeader)
            {
                // The byte-order magic says how this section (this block's length included) is written.
                uint bom = BinaryPrimitives.ReadUInt32LittleEndian(_data.AsSpan(at + 8));
                if (bom == ByteOrderMagic) little = true;
                else if (BinaryPrimitives.ReverseEndianness(bom) == ByteOrderMagic) little = false;
                else throw new CaptureFormatException($"pcapng section at byte {at} has no byte-order magic");
                interfaces.Clear();
            }
            else
            {
                type = U32(at, little);
            }
            uint length = U32(at + 4, little);
            if (length < 12 || length % 4 != 0 || length > _data.Length - at)
            {
                if (at == 0) throw new CaptureFormatException("pcapng section header block cut short");
                Truncated++;
                break;
            }
            var body = (Start: at + 8, End: at + (int)length - 4);
            switch (type)
            {
                case BlockInterface:
                    interfaces.Add(ReadInterface(body.Start, body.End, little));
                    break;
                case BlockEnhancedPacket or BlockPacketObsolete:
                    if (!ReadPacket(type, body.Start, body.End, little, interfaces, frames)) Truncated++;
                    break;
                case BlockSimplePacket:
                    SkippedBlocks++; // No timestamp: it cannot go on a time axis.
                    break;
            }
            at += (int)length;
        }
        return frames;
    }

    private Interface ReadInterface(int start, int end, bool little)
    {
        if (end - start < 8) return new Interface(0, 0, 6, 0, 0);
        uint linkType = U16(start, little);
        int snap = (int)U32(start + 4, little);
        int decimalResolution = 6, binaryResolution = 0;
        long offset = 0;
        int at = start + 8;
        while (end - at >= 4)
        {
            ushort code = U16(at, little), length = U16(at + 2, little);
            if (code == OptionEnd || length > end - at - 4) break;
            if (code == OptionTsResolution && length >= 1)
            {
                // Bit 7 set: a negative power of two; clear: of ten. The default is 10^-6 (microseconds).
                byte r = _data[at + 4];
                if ((r & 0x80) != 0) binaryResolution = Math.Clamp(r & 0x7F, 1, 63);
                else decimalResolution = Math.Min((int)r, 18);
            }
            else if (code == OptionTsOffset && length >= 8)
            {
                offset = little ? BinaryPrimitives.ReadInt64LittleEndian(_data.AsSpan(at + 4)) : BinaryPrimitives.ReadInt64BigEndian(_data.AsSpan(at + 4));
            }
            at += 4 + ((length + 3) & ~3);
        }
        return new Interface(linkType, snap, decimalResolution, binaryResolution, offset);
    }

    private bool ReadPacket(uint type, int start, int end, bool little, List<Interface> interfaces, List<CaptureFrame> frames)
    {
        if (end - start < 20) return false;
        int id = type == BlockEnhancedPacket ? (int)U32(start, little) : U16(start, little);
        if (id >= interfaces.Count)
        {
            SkippedBlocks++;
            return true;
        }
        var iface = interfaces[id];
        ulong ticks = ((ulong)U32(start + 4, little) << 32) | U32(start + 8, little);
        uint captured = U32(start + 12, little), original = U32(start + 16, little);
        if (captured > MaxFrame || captured > end - start - 20) return false;
        long micros = iface.Microseconds(ticks) + iface.OffsetSeconds * 1_000_000;
        frames.Add(new CaptureFrame(micros, iface.LinkType, _data.AsSpan(start + 20, (int)captured).ToArray(),
            (int)Math.Min(original, MaxFrame)));
        return true;
    }
}
