using CsCheck;
using Stack.Tcp;

namespace Stack.Tests.Tcp;

public sealed class SeqNumTests
{
    private static SeqNum S(uint v) => new(v);

    [Fact]
    public void Comparisons_hold_across_the_wrap()
    {
        SeqNum before = S(0xFFFF_FFF0);
        SeqNum after = S(0x0000_0010);
        Assert.True(before < after);
        Assert.True(before <= after);
        Assert.True(after > before);
        Assert.True(after >= before);
        Assert.False(after < before);
        Assert.Equal(0x20, after - before);
        Assert.Equal(-0x20, before - after);
        Assert.Equal(after, before + 0x20);
        Assert.Equal(before, after - 0x20);
        Assert.Equal(before, after + -0x20);
    }

    [Fact]
    public void Equal_numbers_are_neither_less_nor_greater()
    {
        Assert.False(S(7) < S(7));
        Assert.False(S(7) > S(7));
        Assert.True(S(7) <= S(7));
        Assert.True(S(7) >= S(7));
    }

    [Fact]
    public void Half_the_circle_ahead_is_the_boundary()
    {
        // (int)(a - b) decides: 2^31 - 1 ahead is greater; 2^31 ahead reads as behind.
        Assert.True(S(0x7FFF_FFFF) > S(0));
        Assert.True(S(0x8000_0000) < S(0));
    }

    [Fact]
    public void Max_and_min_use_the_modular_order()
    {
        Assert.Equal(S(5), SeqNum.Max(S(0xFFFF_FFFE), S(5)));
        Assert.Equal(S(0xFFFF_FFFE), SeqNum.Min(S(0xFFFF_FFFE), S(5)));
    }

    [Theory]
    [InlineData(0xFFFF_FFF0u, 0xFFFF_FFF0u, 0x20, true)]
    [InlineData(0xFFFF_FFF0u, 0x0000_000Fu, 0x20, true)]
    [InlineData(0xFFFF_FFF0u, 0x0000_0010u, 0x20, false)]
    [InlineData(0xFFFF_FFF0u, 0xFFFF_FFEFu, 0x20, false)]
    [InlineData(100u, 100u, 0, false)]
    [InlineData(100u, 100u, 1, true)]
    [InlineData(100u, 101u, 1, false)]
    public void InWindow_is_start_inclusive_end_exclusive(uint start, uint x, int length, bool expected) =>
        Assert.Equal(expected, S(x).InWindow(S(start), length));

    [Fact]
    public void Adding_a_distance_and_subtracting_give_it_back_everywhere_on_the_circle()
    {
        Gen.Select(Gen.UInt, Gen.Int[-0x7FFF_FFFF, 0x7FFF_FFFF]).Sample(seed: FixedSeedSampling.Seed, (a, d) =>
        {
            SeqNum x = S(a);
            SeqNum y = x + d;
            Assert.Equal(d, y - x);
            Assert.Equal(d > 0, y > x);
            Assert.Equal(d < 0, y < x);
            if (d > 0)
            {
                Assert.True(x.InWindow(x, d));
                Assert.True((y - 1).InWindow(x, d));
                Assert.False(y.InWindow(x, d));
                Assert.False((x - 1).InWindow(x, d));
            }
        }, threads: 1);
    }

    [Fact]
    public void Prints_the_number() => Assert.Equal("4294967295", S(uint.MaxValue).ToString());

    [Fact]
    public void SeqRange_length_spans_the_wrap() =>
        Assert.Equal(0x30, new SeqRange(S(0xFFFF_FFF0), S(0x20)).Length);
}
