using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Stack.Link.Wire;

/// <summary>
/// The Internet checksum (RFC 1071): the one's complement of the one's complement sum of 16-bit words.
/// Partial sums are plain ulongs in big-endian word order, so a header, a pseudo-header and a payload can be
/// summed separately and combined with <see cref="Finish"/>. Every chunk but the last must have even length.
/// </summary>
public static class InternetChecksum
{
    /// <summary>Adds <paramref name="data"/> to a running sum; an odd trailing byte is padded with zero.</summary>
    public static ulong Add(ulong sum, ReadOnlySpan<byte> data)
    {
        // RFC 1071 §2(B): the sum is byte-order independent, so add native-order 32-bit words into a 64-bit
        // accumulator (no carries lost for any realistic length) and swap once at the end.
        ulong native = 0;
        var words = MemoryMarshal.Cast<byte, uint>(data);
        int i = 0;
        for (; i + 4 <= words.Length; i += 4)
            native += (ulong)words[i] + words[i + 1] + words[i + 2] + words[i + 3];
        for (; i < words.Length; i++)
            native += words[i];
        int rest = words.Length * 4;
        if (data.Length - rest >= 2)
        {
            native += MemoryMarshal.Read<ushort>(data[rest..]);
            rest += 2;
        }
        if (rest < data.Length)
        {
            // The odd byte is the high half of a big-endian word; in native little-endian that is the low byte.
            native += BitConverter.IsLittleEndian ? data[rest] : (ulong)data[rest] << 8;
        }
        ushort folded = FoldToUInt16(native);
        return sum + (BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(folded) : folded);
    }

    /// <summary>Adds one big-endian 16-bit word.</summary>
    public static ulong Add(ulong sum, ushort word) => sum + word;

    /// <summary>Adds a big-endian 32-bit quantity as two words.</summary>
    public static ulong Add(ulong sum, uint value) => sum + (value >> 16) + (value & 0xFFFF);

    /// <summary>Folds a running sum and returns its complement: the value to put in a checksum field.</summary>
    public static ushort Finish(ulong sum) => (ushort)~FoldToUInt16(sum);

    /// <summary>The checksum of one contiguous buffer.</summary>
    public static ushort Compute(ReadOnlySpan<byte> data) => Finish(Add(0, data));

    /// <summary>True when a buffer that contains its own checksum field sums to all ones.</summary>
    public static bool IsValid(ReadOnlySpan<byte> data) => Compute(data) == 0;

    /// <summary>RFC 768 / RFC 9293 §3.1: the IPv4 pseudo-header (source, destination, zero, protocol, length).</summary>
    public static ulong PseudoHeader(Ipv4Address source, Ipv4Address destination, byte protocol, int length) =>
        Add(Add(0, source.Value), destination.Value) + protocol + (uint)length;

    /// <summary>RFC 8200 §8.1: the IPv6 pseudo-header (source, destination, upper-layer length, next header).</summary>
    public static ulong PseudoHeader(Ipv6Address source, Ipv6Address destination, byte nextHeader, int length)
    {
        ulong sum = 0;
        foreach (var a in (ReadOnlySpan<UInt128>)[source.Value, destination.Value])
        {
            sum = Add(sum, (uint)(a >> 96));
            sum = Add(sum, (uint)(a >> 64));
            sum = Add(sum, (uint)(a >> 32));
            sum = Add(sum, (uint)a);
        }
        return Add(sum, (uint)length) + nextHeader;
    }

    private static ushort FoldToUInt16(ulong sum)
    {
        sum = (sum & 0xFFFF_FFFF) + (sum >> 32);
        sum = (sum & 0xFFFF_FFFF) + (sum >> 32);
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)sum;
    }
}
