using Stack.Link.Hashing;

namespace Stack.Tests.Link;

public sealed class SipHashTests
{
    private static readonly byte[] Key = Enumerable.Range(0, 16).Select(i => (byte)i).ToArray();

    [Theory]
    [InlineData(0, 0x726fdb47dd0e0e31UL)]
    [InlineData(1, 0x74f839c593dc67fdUL)]
    [InlineData(7, 0xab0200f58b01d137UL)]
    [InlineData(8, 0x93f5f5799a932462UL)]
    [InlineData(15, 0xa129ca6149be45e5UL)]
    public void Matches_the_reference_vectors(int length, ulong expected)
    {
        // Aumasson & Bernstein, SipHash paper appendix A / vectors.h: key 00..0f, message 00..(length-1).
        byte[] message = Enumerable.Range(0, length).Select(i => (byte)i).ToArray();
        Assert.Equal(expected, new SipHash(Key).Hash(message));
    }
}
