using Stack.IP.Routing;
using Stack.Tcp;
using Stack.Tcp.Sending;
using Stack.Tcp.Wire;
using static Stack.Tests.Tcp.TcpHarness;

namespace Stack.Tests.Tcp;

/// <summary>
/// Packetization-layer path MTU discovery (RFC 4821, Linux tcp_mtu_probing) on a connection; the probes themselves
/// are traced by the corpus script mtu-probing.pkt and by Linux's mtu_probe scripts.
/// </summary>
public sealed class MtuProbingTests
{
    /// <summary>
    /// A segment is sent and never acknowledged, as through a path that drops large packets without a word
    /// (a black hole); returns the payload sizes of what went again over 30 s, and the MSS at the end.
    /// </summary>
    private static (List<int> Resent, int Mss) BlackHole(MtuProbing probing)
    {
        var h = new TcpHarness(TcpConfig.Default with { MtuProbing = probing, MtuProbeBaseMss = 512, NoDelay = true });
        var c = h.AcceptOne(h.Listen(), LinuxSyn(mss: 1460));
        c.Send(Pattern(1448), h.Now);
        Assert.Equal(1448, h.Next().Payload.Length);
        var resent = new List<int>();
        for (int i = 0; i < 300; i++)
        {
            h.Advance(TimeSpan.FromMilliseconds(100));
            while (h.SentCount > 0)
            {
                resent.Add(h.Next().Payload.Length);
            }
        }
        return (resent, c.EffectiveMss);
    }

    [Fact]
    public void With_probing_after_a_black_hole_timeouts_past_tcp_retries1_bring_the_mss_down_to_tcp_base_mss()
    {
        var (resent, mss) = BlackHole(MtuProbing.AfterBlackHole);
        // The timeouts of the first 3 s of backoff (tcp_retries1's worth) are no black hole yet; the next turns
        // probing on, and the MSS drops to the search's low end, tcp_base_mss; each later one halves it.
        Assert.Equal("1448,1448,1448,1448,512,256,128,64", string.Join(",", resent));
        Assert.Equal(64, mss);
    }

    [Fact]
    public void Without_probing_a_black_hole_leaves_the_mss_alone()
    {
        var (resent, mss) = BlackHole(MtuProbing.Off);
        Assert.Equal(1448, mss);
        Assert.All(resent, length => Assert.Equal(1448, length));
    }

    [Fact]
    public void A_route_mtu_and_advmss_set_what_the_syn_ack_announces_and_what_is_sent()
    {
        var h = new TcpHarness(TcpConfig.Default with { NoDelay = true });
        h.Host.Routes.SetMetrics(h.Peer, new RouteMetrics(Mtu: 640, MtuLocked: true, AdvertisedMss: 600));
        var listener = h.Listen();
        h.Inject(TcpFlags.Syn, 0, win: 65535, options: LinuxSyn(mss: 1460));
        var synAck = h.Expect("S. 0:0(0) ack 1 **");
        Assert.Equal((ushort)600, synAck.Options.Mss);
        h.Inject(TcpFlags.Ack, 1, 1, win: 502, options: Ts(101, synAck.Options.TsVal));
        Assert.True(listener.TryAccept(out var c));
        Assert.Equal(640 - 40 - 12, c.EffectiveMss);

        // A locked route MTU is not lowered by a too-big error.
        c.Send(Pattern(588), h.Now);
        var sent = h.Next();
        Assert.Equal(588, sent.Payload.Length);
        h.InjectFragmentationNeeded(sent.Packet, 576);
        Assert.Equal(640, h.Host.PathMtu(h.Peer, h.Now));
        Assert.Equal(588, c.EffectiveMss);
    }
}
