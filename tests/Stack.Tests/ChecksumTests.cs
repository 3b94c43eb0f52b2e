using Stack.Link.Wire;

namespace Stack.Tests;

public sealed class ChecksumTests
{
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
}
