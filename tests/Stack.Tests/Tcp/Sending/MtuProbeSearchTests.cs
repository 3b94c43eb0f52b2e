using Stack.Link.Time;
using Stack.Tcp;
using Stack.Tcp.Sending;

namespace Stack.Tests.Tcp.Sending;

/// <summary>The RFC 4821 search as Linux's icsk_mtup keeps it: a binary search, one probe at a time.</summary>
public sealed class MtuProbeSearchTests
{
    private static readonly Instant Start = Instant.FromMilliseconds(1000);

    private static MtuProbeSearch Searching(int high = 1500, int low = 552)
    {
        var search = new MtuProbeSearch();
        search.Init(enabled: true, high, low, Start);
        return search;
    }

    [Fact]
    public void A_probe_is_the_middle_of_the_range_and_its_arrival_raises_the_low_end()
    {
        var search = Searching();
        Assert.Equal(1026, search.NextProbe); // Linux tcp_mtu_probe: (search_high + search_low) >> 1.

        search.ProbeSent(1026, new SeqNum(1), new SeqNum(987));
        Assert.Equal(1026, search.ProbeSize);
        Assert.Equal(new SeqNum(987), search.ProbeEnd);

        search.ProbeSucceeded();
        Assert.Equal(0, search.ProbeSize);
        Assert.Equal(1026, search.Low);
        Assert.Equal(1263, search.NextProbe);
    }

    [Fact]
    public void A_lost_probe_brings_the_top_below_its_size()
    {
        var search = Searching();
        search.ProbeSent(search.NextProbe, new SeqNum(1), new SeqNum(987));
        search.ProbeFailed();
        Assert.Equal(1025, search.High);
        Assert.Equal(552, search.Low);
        Assert.Equal(0, search.ProbeSize);
        Assert.Equal(788, search.NextProbe);
    }

    [Fact]
    public void A_smaller_path_mtu_caps_the_top_and_never_raises_it()
    {
        var search = Searching();
        search.CapHigh(1280);
        Assert.Equal(1280, search.High);
        search.CapHigh(1500);
        Assert.Equal(1280, search.High);
    }

    [Fact]
    public void A_new_search_is_due_an_interval_after_the_last_began()
    {
        var search = Searching();
        var interval = TimeSpan.FromSeconds(600);
        Assert.False(search.ReprobeDue(interval, Start + TimeSpan.FromSeconds(599)));
        Assert.True(search.ReprobeDue(interval, Start + interval));
    }

    [Fact]
    public void A_black_hole_turns_probing_on_then_lowers_the_floor()
    {
        var search = new MtuProbeSearch();
        search.Init(enabled: false, 1500, 1064, Start);
        Assert.False(search.Enabled);

        var later = Start + TimeSpan.FromSeconds(3);
        search.OnBlackHole(552, later);
        Assert.True(search.Enabled);
        Assert.Equal(1064, search.Low); // Linux tcp_mtu_probing: the first only enables.
        Assert.Equal(later, search.Started);

        search.OnBlackHole(552, later);
        Assert.Equal(552, search.Low);
    }

    [Fact]
    public void Probing_is_off_by_default_as_Linux_tcp_mtu_probing_0()
    {
        Assert.Equal(MtuProbing.Off, TcpConfig.Default.MtuProbing);
        Assert.Equal(1024, TcpConfig.Default.MtuProbeBaseMss);
        Assert.Equal(8, TcpConfig.Default.MtuProbeThreshold);
        Assert.Equal(TimeSpan.FromSeconds(600), TcpConfig.Default.MtuProbeInterval);
        Assert.Equal(48, TcpConfig.Default.MtuProbeFloor);
    }
}
