using Stack.IP.Fragments;
using Stack.Link.Time;

namespace Stack.Tests.Fragments;

public sealed class PathMtuCacheTests
{
    private static readonly Instant T0 = Instant.FromMilliseconds(5_000);

    private static PathMtuCache<int> Ipv4(int capacity = 1024) => new(linkMtu: 1500, floor: 68, capacity);

    [Fact]
    public void Unknown_destination_uses_the_link_mtu()
    {
        Assert.Equal(1500, Ipv4().Get(1, T0));
    }

    [Fact]
    public void A_decrease_is_learned_and_reported_as_a_change()
    {
        var cache = Ipv4();

        Assert.True(cache.Update(1, 1400, T0));
        Assert.Equal(1400, cache.Get(1, T0));
        Assert.Equal(1500, cache.Get(2, T0));
        Assert.False(cache.Update(1, 1400, T0));
    }

    [Fact]
    public void Increases_are_ignored()
    {
        var cache = Ipv4();
        cache.Update(1, 1280, T0);

        Assert.False(cache.Update(1, 1400, T0));
        Assert.Equal(1280, cache.Get(1, T0));
        Assert.False(cache.Update(2, 9000, T0));
        Assert.Equal(0 + 1, cache.Count);
    }

    [Fact]
    public void Never_below_the_floor()
    {
        var v4 = Ipv4();
        var v6 = new PathMtuCache<int>(linkMtu: 1500, floor: 1280);

        Assert.True(v4.Update(1, 20, T0));
        Assert.Equal(68, v4.Get(1, T0));
        Assert.True(v6.Update(1, 600, T0));
        Assert.Equal(1280, v6.Get(1, T0));
        Assert.False(v6.Update(1, 500, T0));
    }

    [Fact]
    public void An_estimate_ages_out_ten_minutes_after_its_last_decrease()
    {
        var cache = Ipv4();
        cache.Update(1, 1400, T0);
        cache.Update(1, 1300, T0 + TimeSpan.FromMinutes(5));

        Assert.Equal(1300, cache.Get(1, T0 + TimeSpan.FromMinutes(14.9)));
        Assert.Equal(1500, cache.Get(1, T0 + TimeSpan.FromMinutes(15)));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void When_full_the_entry_updated_longest_ago_is_evicted()
    {
        var cache = Ipv4(capacity: 2);
        cache.Update(1, 1400, T0);
        cache.Update(2, 1400, T0 + TimeSpan.FromSeconds(1));
        cache.Update(1, 1300, T0 + TimeSpan.FromSeconds(2));

        cache.Update(3, 1400, T0 + TimeSpan.FromSeconds(3));

        Assert.Equal(2, cache.Count);
        Assert.Equal(1300, cache.Get(1, T0 + TimeSpan.FromSeconds(3)));
        Assert.Equal(1500, cache.Get(2, T0 + TimeSpan.FromSeconds(3)));
        Assert.Equal(1400, cache.Get(3, T0 + TimeSpan.FromSeconds(3)));
    }

    [Theory]
    [InlineData(1500, 1492)]
    [InlineData(1492, 1006)]
    [InlineData(576, 508)]
    [InlineData(4352, 2002)]
    [InlineData(70000, 65535)]
    [InlineData(68, 68)]
    public void Plateau_below_a_packet_length(int length, int plateau)
    {
        Assert.Equal(plateau, PathMtuCache<int>.PlateauBelow(length));
    }

    [Theory]
    [InlineData(0, 1500, 1492)] // RFC 1191 §5: no next-hop MTU, the plateau below the packet
    [InlineData(0, 1492, 1006)]
    [InlineData(600, 1006, 600)]
    [InlineData(1000, 1000, 1000)] // Not below the packet: taken as said (Linux), never a plateau guess lower
    public void Fragmentation_needed_reports_its_next_hop_mtu_or_a_plateau(int nextHopMtu, int tooBigLength, int reported)
    {
        Assert.Equal(reported, PathMtuCache<int>.ReportedMtu(nextHopMtu, tooBigLength));
    }

    [Fact]
    public void A_report_below_the_floor_locks_the_path_at_the_floor()
    {
        var cache = new PathMtuCache<int>(linkMtu: 1500, floor: 552);

        Assert.True(cache.Update(1, 1000, T0));
        Assert.Equal(1000, cache.Get(1, T0, out bool locked));
        Assert.False(locked);
        Assert.True(cache.Update(1, 300, T0));
        Assert.Equal(552, cache.Get(1, T0, out locked));
        Assert.True(locked);
        Assert.False(cache.Update(1, 552, T0));
        Assert.True(cache.Update(2, 552, T0));
        Assert.Equal(552, cache.Get(2, T0, out locked));
        Assert.False(locked);
    }
}
