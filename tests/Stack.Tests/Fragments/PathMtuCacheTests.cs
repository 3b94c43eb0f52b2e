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

    [Fact]
    public void Fragmentation_needed_without_a_next_hop_mtu_guesses_the_plateau_below_the_packet()
    {
        var cache = Ipv4();

        Assert.True(cache.UpdateFromFragmentationNeeded(1, nextHopMtu: 0, tooBigPacketLength: 1500, T0));
        Assert.Equal(1492, cache.Get(1, T0));
        Assert.True(cache.UpdateFromFragmentationNeeded(1, nextHopMtu: 0, tooBigPacketLength: 1492, T0));
        Assert.Equal(1006, cache.Get(1, T0));
        Assert.True(cache.UpdateFromFragmentationNeeded(1, nextHopMtu: 600, tooBigPacketLength: 1006, T0));
        Assert.Equal(600, cache.Get(1, T0));
    }
}
