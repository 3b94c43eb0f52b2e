using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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
        int rest = 0;
        if (Vector256.IsHardwareAccelerated && data.Length >= 2 * Vector256<byte>.Count)
            rest = SumVector256(data, ref native);
        else if (Vector128.IsHardwareAccelerated && data.Length >= 2 * Vector128<byte>.Count)
            rest = SumVector128(data, ref native);

        var words = MemoryMarshal.Cast<byte, uint>(data[rest..]);
        int i = 0;
        for (; i + 4 <= words.Length; i += 4)
            native += (ulong)words[i] + words[i + 1] + words[i + 2] + words[i + 3];
        for (; i < words.Length; i++)
            native += words[i];
        rest += words.Length * 4;
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

    /// <summary>
    /// Sums whole 32-byte blocks of <paramref name="data"/> as native-order 32-bit words into
    /// <paramref name="native"/> and returns how many bytes it consumed (a multiple of 32).
    /// </summary>
    /// <remarks>
    /// Each 64-bit lane is split into its two 32-bit halves (mask and shift) and both are added to 64-bit lane
    /// accumulators, so no carry is ever lost and no periodic flush is needed. Four independent accumulators
    /// keep the adds from waiting on each other. Loads are unaligned; alignment does not change the sum.
    /// </remarks>
    private static int SumVector256(ReadOnlySpan<byte> data, ref ulong native)
    {
        ref byte start = ref MemoryMarshal.GetReference(data);
        var low32 = Vector256.Create(0xFFFF_FFFFUL);
        Vector256<ulong> a0 = default, a1 = default, a2 = default, a3 = default;
        int n = data.Length;
        int i = 0;
        for (; i + 4 * Vector256<byte>.Count <= n; i += 4 * Vector256<byte>.Count)
        {
            var v0 = Vector256.LoadUnsafe(ref start, (nuint)i).AsUInt64();
            var v1 = Vector256.LoadUnsafe(ref start, (nuint)(i + Vector256<byte>.Count)).AsUInt64();
            var v2 = Vector256.LoadUnsafe(ref start, (nuint)(i + 2 * Vector256<byte>.Count)).AsUInt64();
            var v3 = Vector256.LoadUnsafe(ref start, (nuint)(i + 3 * Vector256<byte>.Count)).AsUInt64();
            a0 += (v0 & low32) + Vector256.ShiftRightLogical(v0, 32);
            a1 += (v1 & low32) + Vector256.ShiftRightLogical(v1, 32);
            a2 += (v2 & low32) + Vector256.ShiftRightLogical(v2, 32);
            a3 += (v3 & low32) + Vector256.ShiftRightLogical(v3, 32);
        }
        for (; i + Vector256<byte>.Count <= n; i += Vector256<byte>.Count)
        {
            var v = Vector256.LoadUnsafe(ref start, (nuint)i).AsUInt64();
            a0 += (v & low32) + Vector256.ShiftRightLogical(v, 32);
        }
        // Every add is below 2^33 and there are n/8 of them (n < 2^31) across all lanes: the total is below
        // 2^61, so the lanes and their sum cannot overflow.
        native += Vector256.Sum(a0 + a1 + a2 + a3);
        return i;
    }

    /// <summary>The 128-bit twin of <see cref="SumVector256"/>, for machines without AVX2.</summary>
    private static int SumVector128(ReadOnlySpan<byte> data, ref ulong native)
    {
        ref byte start = ref MemoryMarshal.GetReference(data);
        var low32 = Vector128.Create(0xFFFF_FFFFUL);
        Vector128<ulong> a0 = default, a1 = default;
        int n = data.Length;
        int i = 0;
        for (; i + 2 * Vector128<byte>.Count <= n; i += 2 * Vector128<byte>.Count)
        {
            var v0 = Vector128.LoadUnsafe(ref start, (nuint)i).AsUInt64();
            var v1 = Vector128.LoadUnsafe(ref start, (nuint)(i + Vector128<byte>.Count)).AsUInt64();
            a0 += (v0 & low32) + Vector128.ShiftRightLogical(v0, 32);
            a1 += (v1 & low32) + Vector128.ShiftRightLogical(v1, 32);
        }
        native += Vector128.Sum(a0 + a1);
        return i;
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
