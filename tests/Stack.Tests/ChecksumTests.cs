using CsCheck;
using Stack.Link.Wire;

namespace Stack.Tests;

public sealed class ChecksumTests
{
    /// <summary>The textbook definition: 16-bit big-endian words, an odd last byte padded, end-around carry.</summary>
    internal static ushort NaiveChecksum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        for (int i = 0; i < data.Length; i += 2)
        {
            uint word = (uint)data[i] << 8;
            if (i + 1 < data.Length) word |= data[i + 1];
            sum += word;
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        return (ushort)~sum;
    }

    [Fact]
    public void Rfc1071_example_sums_to_the_documented_value()
    {
        // RFC 1071 §3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2 (before complement).
        byte[] data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        Assert.Equal((ushort)(0xddf2 ^ 0xFFFF), InternetChecksum.Compute(data));
    }

    [Fact]
    public void Odd_length_pads_with_a_zero_byte()
    {
        byte[] odd = [0x12, 0x34, 0x56];
        byte[] even = [0x12, 0x34, 0x56, 0x00];
        Assert.Equal(InternetChecksum.Compute(even), InternetChecksum.Compute(odd));
    }

    [Fact]
    public void Matches_the_naive_sum_for_random_lengths_and_unaligned_offsets()
    {
        Gen.Select(Gen.Int[0, 9000], Gen.Int[0, 63], Gen.UInt)
            .Sample(seed: FixedSeedSampling.Seed, (length, offset, seed) =>
            {
                var bytes = new byte[offset + length];
                new Random((int)seed).NextBytes(bytes);
                var data = bytes.AsSpan(offset, length);
                Assert.Equal(NaiveChecksum(data), InternetChecksum.Compute(data));
            }, iter: 2000);
    }

    [Fact]
    public void Matches_the_naive_sum_for_every_length_up_to_300_of_all_ones()
    {
        // All-ones words maximise carries in every lane of the vector accumulators.
        var bytes = new byte[301];
        bytes.AsSpan().Fill(0xFF);
        for (int offset = 0; offset < 2; offset++)
            for (int length = 0; length + offset <= 300; length++)
                Assert.Equal(NaiveChecksum(bytes.AsSpan(offset, length)), InternetChecksum.Compute(bytes.AsSpan(offset, length)));
    }

    [Fact]
    public void A_large_all_ones_buffer_does_not_lose_carries()
    {
        var bytes = new byte[1 << 20];
        bytes.AsSpan().Fill(0xFF);
        bytes[12345] = 0x12;
        Assert.Equal(NaiveChecksum(bytes), InternetChecksum.Compute(bytes));
    }

    [Fact]
    public void Even_chunks_summed_separately_equal_the_whole()
    {
        Gen.Select(Gen.Int[0, 3000], Gen.Int[0, 1500], Gen.UInt)
            .Sample(seed: FixedSeedSampling.Seed, (length, cut, seed) =>
            {
                var bytes = new byte[length];
                new Random((int)seed).NextBytes(bytes);
                int split = Math.Min(cut * 2, length);
                ulong sum = InternetChecksum.Add(InternetChecksum.Add(0, bytes.AsSpan(0, split)), bytes.AsSpan(split));
                Assert.Equal(NaiveChecksum(bytes), InternetChecksum.Finish(sum));
            }, iter: 1000);
    }

    [Fact]
    public void Ipv4_pseudo_header_matches_a_hand_computed_sum()
    {
        // 192.0.2.1 → 198.51.100.2, UDP (17), length 20:
        // c000 + 0201 + c633 + 6402 + 0011 + 0014 = 1ec5b → ec5c after the end-around carry; complement 13a3.
        ulong sum = InternetChecksum.PseudoHeader(Ipv4Address.Parse("192.0.2.1"), Ipv4Address.Parse("198.51.100.2"), 17, 20);
        Assert.Equal((ushort)0x13A3, InternetChecksum.Finish(sum));

        byte[] explicitHeader = [192, 0, 2, 1, 198, 51, 100, 2, 0, 17, 0, 20];
        Assert.Equal(NaiveChecksum(explicitHeader), InternetChecksum.Finish(sum));
    }

    [Fact]
    public void Ipv6_pseudo_header_matches_hand_computed_sums()
    {
        // 2001:db8::1 → 2001:db8::2, TCP (6), length 1000:
        // (2001 + 0db8 + 0001) + (2001 + 0db8 + 0002) + 0000 + 03e8 + 0000 + 0006 = 5f63; complement a09c.
        ulong sum = InternetChecksum.PseudoHeader(Ipv6Address.Parse("2001:db8::1"), Ipv6Address.Parse("2001:db8::2"), 6, 1000);
        Assert.Equal((ushort)0xA09C, InternetChecksum.Finish(sum));

        // fe80::1 → ff02::1:ff00:1, ICMPv6 (58), length 32, with carries:
        // fe80 + 0001 + ff02 + 0001 + ff00 + 0001 + 0020 + 003a = 2fcdf → fce1; complement 031e.
        sum = InternetChecksum.PseudoHeader(Ipv6Address.Parse("fe80::1"), Ipv6Address.Parse("ff02::1:ff00:1"), 58, 32);
        Assert.Equal((ushort)0x031E, InternetChecksum.Finish(sum));

        var explicitHeader = new byte[40];
        Ipv6Address.Parse("fe80::1").Write(explicitHeader);
        Ipv6Address.Parse("ff02::1:ff00:1").Write(explicitHeader.AsSpan(16));
        explicitHeader[35] = 32;
        explicitHeader[39] = 58;
        Assert.Equal(NaiveChecksum(explicitHeader), InternetChecksum.Finish(sum));
    }
}
