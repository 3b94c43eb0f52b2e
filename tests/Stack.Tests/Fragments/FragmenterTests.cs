using CsCheck;
using Stack.IP.Fragments;

namespace Stack.Tests.Fragments;

public sealed class FragmenterTests
{
    [Fact]
    public void Plan_for_a_4000_byte_payload_over_ethernet()
    {
        int max = Fragmenter.MaxFragmentPayload(mtu: 1500, headerLength: 20, ipv6: false);
        var slices = new FragmentSlice[Fragmenter.Count(4000, max)];

        Assert.Equal(1480, max);
        Assert.Equal(3, Fragmenter.Plan(4000, max, slices));
        Assert.Equal([new(0, 1480, true), new(1480, 1480, true), new(2960, 1040, false)], slices);
    }

    [Fact]
    public void Ipv6_leaves_room_for_the_fragment_header_and_rounds_down_to_8()
    {
        // 1280 - 40 - 8 = 1232, already a multiple of 8; with a 2-byte odd extra it rounds down.
        Assert.Equal(1232, Fragmenter.MaxFragmentPayload(1280, 40, ipv6: true));
        Assert.Equal(1224, Fragmenter.MaxFragmentPayload(1280, 42, ipv6: true));
        Assert.Equal(0, Fragmenter.MaxFragmentPayload(68, 60, ipv6: true));
    }

    [Fact]
    public void Plan_rounds_the_maximum_down_and_rejects_misuse()
    {
        var slices = new FragmentSlice[2];
        Assert.Equal(2, Fragmenter.Plan(16, 15, slices));
        Assert.Equal([new(0, 8, true), new(8, 8, false)], slices);
        Assert.Throws<ArgumentException>(() => Fragmenter.Plan(20, 15, slices));
        Assert.Throws<ArgumentOutOfRangeException>(() => Fragmenter.Plan(20, 7, new FragmentSlice[10]));
    }

    [Fact]
    public void A_payload_that_fits_is_one_slice_without_more()
    {
        var slices = new FragmentSlice[1];
        Assert.Equal(1, Fragmenter.Plan(100, 1480, slices));
        Assert.Equal(new FragmentSlice(0, 100, false), slices[0]);
    }

    [Fact]
    public void Plans_are_aligned_bounded_and_cover_the_payload_exactly()
    {
        Gen.Select(Gen.Int[0, 70000], Gen.Int[8, 9000]).Sample(seed: FixedSeedSampling.Seed, (length, max) =>
        {
            var slices = new FragmentSlice[Fragmenter.Count(length, max)];
            int n = Fragmenter.Plan(length, max, slices);
            int next = 0;
            for (int i = 0; i < n; i++)
            {
                FragmentSlice s = slices[i];
                if (s.Offset != next || s.Offset % 8 != 0 || s.Length > (max & ~7)) return false;
                if (s.More != (i < n - 1)) return false;
                if (s.More && s.Length % 8 != 0) return false;
                next += s.Length;
            }
            return n == slices.Length && next == length;
        });
    }
}

public sealed class FragmentIdentifiersTests
{
    private static readonly byte[] Secret = Enumerable.Range(0, 16).Select(i => (byte)i).ToArray();

    [Fact]
    public void The_same_destination_gets_distinct_consecutive_values_even_as_16_bits()
    {
        var ids = new FragmentIdentifiers(Secret);
        byte[] destination = [192, 0, 2, 1];

        uint[] values = Enumerable.Range(0, 1000).Select(_ => ids.Next(destination)).ToArray();

        Assert.Equal(values.Length, values.Distinct().Count());
        Assert.Equal(values.Length, values.Select(v => (ushort)v).Distinct().Count());
    }

    [Fact]
    public void Different_destinations_get_different_sequences()
    {
        var ids = new FragmentIdentifiers(Secret);
        byte[] a = [192, 0, 2, 1];
        byte[] b = [192, 0, 2, 2];

        uint[] first = [ids.Next(a), ids.Next(a), ids.Next(a)];
        uint[] second = [ids.Next(b), ids.Next(b), ids.Next(b)];

        Assert.NotEqual(first, second);
        // Not one global counter: b's values do not continue a's with a's step.
        Assert.NotEqual(first[2] + (first[1] - first[0]), second[0]);
        Assert.NotEqual(first[1] - first[0], second[1] - second[0]);
    }

    [Fact]
    public void Different_secrets_give_unrelated_values()
    {
        byte[] destination = [198, 51, 100, 7];
        var one = new FragmentIdentifiers(Secret);
        var other = new FragmentIdentifiers();

        Assert.NotEqual(one.Next(destination), other.Next(destination));
    }
}
