using System.Buffers.Binary;

namespace Stack.Tests.Plots;

/// <summary>Capture files written by the test itself, in the formats and link types <c>stack plot</c> reads.</summary>
internal static class PcapBuilder
{
    /// <summary>A pcap file; frames longer than <paramref name="snap"/> are cut there, their original length kept.</summary>
    public static byte[] Pcap(uint linkType, IEnumerable<(long Micros, byte[] Frame)> frames, bool bigEndianNanoseconds = false, int snap = 262144)
    {
        var s = new MemoryStream();
        var w = new Writer(s, bigEndianNanoseconds);
        w.U32(bigEndianNanoseconds ? 0xA1B23C4D : 0xA1B2C3D4);
        w.U16(2);
        w.U16(4);
        w.U32(0);
        w.U32(0);
        w.U32(262144);
        w.U32(linkType);
        foreach (var (micros, frame) in frames)
        {
            w.U32((uint)(micros / 1_000_000));
            w.U32((uint)(micros % 1_000_000 * (bigEndianNanoseconds ? 1000 : 1)));
            w.U32((uint)Math.Min(frame.Length, snap));
            w.U32((uint)frame.Length);
            s.Write(frame.AsSpan(0, Math.Min(frame.Length, snap)));
        }
        return s.ToArray();
    }

    /// <summary>One section, one Ethernet interface with if_tsresol 9 (nanoseconds), Enhanced Packet Blocks.</summary>
    public static byte[] Pcapng(IEnumerable<(long Micros, byte[] Frame)> frames, bool bigEndian)
    {
        var s = new MemoryStream();
        var w = new Writer(s, bigEndian);
        w.U32(0x0A0D0D0A);
        w.U32(28);
        w.U32(0x1A2B3C4D);
        w.U16(1);
        w.U16(0);
        w.U32(0xFFFFFFFF);
        w.U32(0xFFFFFFFF);
        w.U32(28);
        // Interface Description: link type 1, snap 262144, option if_tsresol = 9, then opt_endofopt.
        w.U32(1);
        w.U32(32);
        w.U16(1);
        w.U16(0);
        w.U32(262144);
        w.U16(9);
        w.U16(1);
        s.Write([9, 0, 0, 0]);
        w.U16(0);
        w.U16(0);
        w.U32(32);
        foreach (var (micros, frame) in frames)
        {
            int padded = (frame.Length + 3) & ~3;
            w.U32(6);
            w.U32((uint)(32 + padded));
            w.U32(0);
            ulong ns = (ulong)micros * 1000;
            w.U32((uint)(ns >> 32));
            w.U32((uint)ns);
            w.U32((uint)frame.Length);
            w.U32((uint)frame.Length);
            s.Write(frame);
            s.Write(new byte[padded - frame.Length]);
            w.U32((uint)(32 + padded));
        }
        return s.ToArray();
    }

    /// <summary>An Ethernet frame as Linux's cooked capture v1 has it: a 16-byte header ending in the EtherType.</summary>
    public static byte[] Sll(byte[] ethernet)
    {
        var frame = new byte[16 + ethernet.Length - 14];
        BinaryPrimitives.WriteUInt16BigEndian(frame, 4); // sent by us
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), 1);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(4), 6);
        ethernet.AsSpan(6, 6).CopyTo(frame.AsSpan(6));
        ethernet.AsSpan(12, 2).CopyTo(frame.AsSpan(14));
        ethernet.AsSpan(14).CopyTo(frame.AsSpan(16));
        return frame;
    }

    /// <summary>The same as Linux's cooked capture v2 (<c>tcpdump -i any</c>): a 20-byte header starting with the EtherType.</summary>
    public static byte[] Sll2(byte[] ethernet)
    {
        var frame = new byte[20 + ethernet.Length - 14];
        ethernet.AsSpan(12, 2).CopyTo(frame);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), 2); // interface index
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(8), 1); // ARPHRD_ETHER
        frame[10] = 4; // sent by us
        frame[11] = 6;
        ethernet.AsSpan(6, 6).CopyTo(frame.AsSpan(12));
        ethernet.AsSpan(14).CopyTo(frame.AsSpan(20));
        return frame;
    }

    /// <summary>The IP packet behind BSD loopback's 4-byte address family (AF_INET, 2, in little-endian host order).</summary>
    public static byte[] Null(byte[] ethernet)
    {
        var frame = new byte[4 + ethernet.Length - 14];
        BinaryPrimitives.WriteUInt32LittleEndian(frame, 2);
        ethernet.AsSpan(14).CopyTo(frame.AsSpan(4));
        return frame;
    }

    private sealed class Writer(Stream s, bool bigEndian)
    {
        public void U32(uint v)
        {
            Span<byte> b = stackalloc byte[4];
            if (bigEndian) BinaryPrimitives.WriteUInt32BigEndian(b, v);
            else BinaryPrimitives.WriteUInt32LittleEndian(b, v);
            s.Write(b);
        }

        public void U16(ushort v)
        {
            Span<byte> b = stackalloc byte[2];
            if (bigEndian) BinaryPrimitives.WriteUInt16BigEndian(b, v);
            else BinaryPrimitives.WriteUInt16LittleEndian(b, v);
            s.Write(b);
        }
    }
}
