using Stack.IP;
using Stack.Tcp;
using Stack.Tcp.Wire;
using static Stack.Tests.Tcp.TcpHarness;

namespace Stack.Tests.Tcp;

/// <summary>RFC 5927: too-big errors about segments in flight, believed within Linux's bounds, never stall a transfer.</summary>
public sealed class PathMtuTests
{
    /// <summary>
    /// A bulk transfer to a peer that receives everything and ACKs each segment (with a D-SACK for a duplicate),
    /// 1 ms a round. From round 50 on, every round an error quoting the newest segment arrives (late copies,
    /// or forgeries that guessed the window), reporting <paramref name="mtu"/>. Returns bytes acknowledged
    /// in the 2 s after the first error, and the MSS then.
    /// </summary>
    private static (long Acked, int Mss, long Sent) Transfer(bool ipv6, int mtu, bool dropLarge)
    {
        var h = new TcpHarness(TcpConfig.Default with { NoDelay = true }, ipv6: ipv6);
        var c = h.AcceptOne(h.Listen(), LinuxSyn(mss: (ushort)(ipv6 ? 1440 : 1460)));
        var chunk = new byte[65536];
        uint rcvNxt = 1, tsPeer = 200;
        long ackedAtError = 0, largest = 0;
        for (int round = 0; round < 2050; round++)
        {
            while (c.Send(chunk, h.Now) > 0) { }
            var segs = new List<Seg>();
            while (h.SentCount > 0) segs.Add(h.Next());
            if (round >= 50 && segs.Count > 0)
            {
                if (round == 50) ackedAtError = c.SndUna - c.Iss;
                h.InjectTooBig(segs[^1].Packet, mtu);
                while (h.SentCount > 0) segs.Add(h.Next());
            }
            foreach (var s in segs)
            {
                if (s.Payload.Length == 0) continue;
                if (round > 50) largest = Math.Max(largest, s.Payload.Length);
                if (dropLarge && round >= 50 && s.Packet.Length > Math.Max(mtu, ipv6 ? 1280 : 552)) continue;
                uint end = s.RelSeq + (uint)s.Payload.Length;
                TcpOptions o = Ts(tsPeer++, s.Options.TsVal);
                if ((int)(end - rcvNxt) <= 0)
                    o.AddSackBlock(s.Repr.SequenceNumber, s.Repr.SequenceNumber + (uint)s.Payload.Length);
                else if ((int)(s.RelSeq - rcvNxt) <= 0)
                    rcvNxt = end;
                h.Inject(TcpFlags.Ack, 1, rcvNxt, win: 502, options: o);
            }
            h.Advance(TimeSpan.FromMilliseconds(1));
        }
        return (c.SndUna - c.Iss - ackedAtError, c.EffectiveMss, largest);
    }

    [Theory]
    [InlineData(false, 1000, false, 948)]
    [InlineData(false, 1000, true, 948)]
    [InlineData(false, 68, false, 500)] // below Linux's min_pmtu: 552, DF off
    [InlineData(true, 1280, false, 1208)]
    [InlineData(true, 1280, true, 1208)]
    [InlineData(true, 1000, false, 1428)] // below IPv6's minimum: ignored, as Linux does
    public void Too_big_errors_about_segments_in_flight_never_stall_the_transfer(bool ipv6, int mtu, bool dropLarge, int mss)
    {
        var (acked, finalMss, largest) = Transfer(ipv6, mtu, dropLarge);
        Assert.Equal(mss, finalMss);
        Assert.True(largest <= mss, $"a {largest}-byte segment went after the MSS fell to {mss}");
        Assert.True(acked > 10 << 20, $"only {acked} bytes acknowledged in the 2 s after the error");
    }

    [Fact]
    public void An_error_quoting_a_sequence_number_not_in_flight_is_counted_and_ignored()
    {
        var h = new TcpHarness(TcpConfig.Default with { NoDelay = true });
        var c = h.AcceptOne(h.Listen());
        c.Send(Pattern(1000), h.Now);
        var first = h.Expect("P. 1:1001(1000) ack 1 **");
        h.Inject(TcpFlags.Ack, 1, 1001, win: 502, options: Ts(102, first.Options.TsVal));
        h.InjectFragmentationNeeded(first.Packet, 600); // acknowledged already: not in flight
        Assert.Equal(1448, c.EffectiveMss);
        Assert.Equal(1500, h.Host.PathMtu(h.Peer, h.Now));
        Assert.Equal(1, h.Tcp.Statistics.OutOfWindowIcmps);
    }

    /// <summary>
    /// One path MTU per destination, as Linux keeps it in the nexthop exception: what another connection's error
    /// taught the host (or another shard posted to it) reaches this connection as its next segment leaves, and its
    /// next sending pass uses the lower MSS, with no error of its own (IpHost.RouteGeneration moved).
    /// </summary>
    [Theory]
    [InlineData(false, 1000, 948)]
    [InlineData(true, 1280, 1208)]
    public void A_path_mtu_learned_for_the_peer_sizes_the_next_sending_pass_of_every_connection_to_it(bool ipv6, int mtu, int mss)
    {
        var h = new TcpHarness(TcpConfig.Default with { NoDelay = true }, ipv6: ipv6);
        var c = h.AcceptOne(h.Listen(), LinuxSyn(mss: (ushort)(ipv6 ? 1440 : 1460)));
        int before = c.EffectiveMss;
        h.Host.LowerPathMtu(h.Peer, mtu, h.Now); // As a too-big error matched to another connection to the peer does.

        c.Send(Pattern(100), h.Now);
        var first = h.Expect("P. 1:101(100) ack 1 **"); // This pass was sized before it looked at its route.
        h.Inject(TcpFlags.Ack, 1, 101, win: 502, options: Ts(102, first.Options.TsVal));
        c.Send(Pattern(5000), h.Now);
        var segments = new List<Seg>();
        while (h.SentCount > 0) segments.Add(h.Next());

        Assert.True(before > mss);
        Assert.Equal(mss, c.EffectiveMss);
        Assert.Equal(mss, segments[0].Payload.Length);
        Assert.All(segments, s => Assert.True(s.Payload.Length <= mss));
        Assert.Equal(0, h.Tcp.Statistics.OutOfWindowIcmps);
    }
}
