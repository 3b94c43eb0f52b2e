using Stack.Tcp;
using Stack.Tcp.Wire;
using static Stack.Tests.Tcp.TcpHarness;

namespace Stack.Tests.Tcp;

/// <summary>
/// The peer's segment size as the receiver estimates it (Linux tcp_measure_rcv_mss), for plain segments and for
/// receive-offload aggregates (GRO) that the link hands over with their segment size (a virtio-net gso_size).
/// </summary>
public sealed class TcpReceiveMssTests
{
    private static readonly TcpOptions NoTs = new() { Mss = 1460 };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_plain_segment_longer_than_our_mss_counts_as_our_mss(bool ipv6)
    {
        var h = new TcpHarness(ipv6: ipv6);
        var c = h.AcceptOne(h.Listen(), NoTs);
        Assert.Equal(536, c.ReceiveMss); // Linux tcp_initialize_rcv_mss.
        h.Inject(TcpFlags.Ack, 1, 1, data: Pattern(10000));
        Assert.Equal(ipv6 ? 1440 : 1460, c.ReceiveMss); // Capped by the MSS we announced (advmss).
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void An_aggregate_counts_as_its_segment_size_not_its_length(bool ipv6)
    {
        var h = new TcpHarness(ipv6: ipv6);
        var c = h.AcceptOne(h.Listen(), NoTs);
        h.Inject(TcpFlags.Ack, 1, 1, data: Pattern(10000), segmentSize: 1000);
        Assert.Equal(1000, c.ReceiveMss); // Linux: len = skb_shinfo(skb)->gso_size ?: skb->len.
        h.Expect(". 1:1(0) ack 10001 **");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_packet_no_longer_than_its_segment_size_is_no_aggregate(bool ipv6)
    {
        // Linux virtio_net_hdr_to_skb: "too small packets are not really GSO ones"; 590 bytes after the fixed TCP
        // header are not more than 600, so the packet's own length counts.
        var h = new TcpHarness(ipv6: ipv6);
        var c = h.AcceptOne(h.Listen(), NoTs);
        h.Inject(TcpFlags.Ack, 1, 1, data: Pattern(590), segmentSize: 600);
        Assert.Equal(590, c.ReceiveMss);
        h.Inject(TcpFlags.Ack, 591, 1, data: Pattern(601), segmentSize: 600);
        Assert.Equal(600, c.ReceiveMss);
    }
}
