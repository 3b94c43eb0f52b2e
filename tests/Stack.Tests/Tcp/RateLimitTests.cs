using Stack.Tcp;
using Stack.Tcp.Wire;
using static Stack.Tests.Tcp.TcpHarness;

namespace Stack.Tests.Tcp;

/// <summary>
/// Replies to segments we will not take, thinned (TcpRateLimits): RSTs to closed ports (FreeBSD's 200/s), ACKs
/// to invalid segments and challenge ACKs per connection (Linux tcp_invalid_ratelimit, 500 ms), and challenge ACKs
/// across the layer (Linux tcp_challenge_ack_limit). Floods run on the virtual clock.
/// </summary>
public sealed class RateLimitTests
{
    private static readonly TcpOptions NoTs = new() { Mss = 1460 };
    private static readonly TimeSpan HalfMs = TimeSpan.FromTicks(TimeSpan.TicksPerMillisecond / 2);

    private static List<Seg> Drain(TcpHarness h)
    {
        var sent = new List<Seg>();
        while (h.SentCount > 0)
        {
            sent.Add(h.Next());
        }
        return sent;
    }

    /// <summary>The connection still carries data both ways: 5 bytes in (acknowledged, readable) and 5 out.</summary>
    private static void AssertStillWorks(TcpHarness h, TcpConnection c, uint peerSeq, uint ourSeq)
    {
        h.Inject(TcpFlags.Psh | TcpFlags.Ack, peerSeq, ourSeq, data: Pattern(5));
        if (peerSeq == 1)
        {
            // The first data is acknowledged at once (Linux's quick-ACK mode); the reply within the ATO makes the
            // exchange interactive, so later data waits for the reply to carry its ACK.
            h.Expect($". {ourSeq}:{ourSeq}(0) ack {peerSeq + 5} **");
        }
        var read = new byte[16];
        Assert.Equal(5, c.Receive(read, h.Now));
        Assert.Equal(Pattern(5), read[..5]);
        Assert.Equal(5, c.Send(Pattern(5, seed: 1), h.Now));
        h.ExpectAfterAcks($"P. {ourSeq}:{ourSeq + 5}(5) ack {peerSeq + 5} **");
        h.Inject(TcpFlags.Ack, peerSeq + 5, ourSeq + 5);
        Assert.Equal(TcpState.Established, c.State);
    }

    [Fact]
    public void Two_thousand_blind_rsts_in_a_second_draw_one_challenge_ack_per_500_ms()
    {
        var h = new TcpHarness();
        var c = h.AcceptOne(h.Listen(), NoTs);

        var acks = new List<(Seg Seg, TimeSpan At)>();
        var start = h.Now;
        for (int i = 0; i < 2000; i++)
        {
            h.Advance(HalfMs);
            h.Inject(TcpFlags.Rst, 100 + (uint)i); // In the window, not RCV.NXT: RFC 5961 §3.2.
            acks.AddRange(Drain(h).Select(s => (s, h.Now - start)));
        }

        // Sent at 0.5 ms and 500.5 ms; the next would be due at 1000.5 ms, after the flood.
        Assert.Equal([TimeSpan.FromMilliseconds(0.5), TimeSpan.FromMilliseconds(500.5)], acks.Select(a => a.At));
        Assert.All(acks, a => Assert.Equal(". 1:1(0) ack 1 win 65535", a.Seg.ToString()));
        Assert.Equal(2, h.Tcp.Statistics.ChallengeAcks);
        Assert.Equal(1998, h.Tcp.Statistics.AckSkippedChallenge);
        AssertStillWorks(h, c, 1, 1);

        h.Advance(TimeSpan.FromMilliseconds(500));
        h.Inject(TcpFlags.Rst, 100);
        h.Expect(". 6:6(0) ack 6 **"); // The interval is over: the next one goes.
        Assert.Equal(TcpState.Established, c.State);
    }

    [Fact]
    public void Syns_to_a_synchronized_connection_share_the_interval_with_rsts()
    {
        var h = new TcpHarness();
        var c = h.AcceptOne(h.Listen(), NoTs);

        h.Inject(TcpFlags.Syn, 50, options: NoTs);
        h.Expect(". 1:1(0) ack 1 **");
        h.Advance(TimeSpan.FromMilliseconds(100));
        h.Inject(TcpFlags.Rst, 5);
        h.Inject(TcpFlags.Syn, 5000000, options: NoTs); // Out of the window: challenged too (Linux syn_challenge).
        h.ExpectNothing();
        Assert.Equal(2, h.Tcp.Statistics.AckSkippedChallenge);
        Assert.Equal(TcpState.Established, c.State);
    }

    [Fact]
    public void Without_rfc5961_an_out_of_window_syn_gets_a_dupack_within_the_interval()
    {
        var h = new TcpHarness(TcpConfig.Default with { ChallengeAcks = false });
        var c = h.AcceptOne(h.Listen(), NoTs);
        h.Inject(TcpFlags.Syn, 5000000, options: NoTs);
        h.Expect(". 1:1(0) ack 1 **");
        h.Inject(TcpFlags.Syn, 5000000, options: NoTs);
        h.ExpectNothing();
        Assert.Equal(0, h.Tcp.Statistics.ChallengeAcks);
        Assert.Equal(1, h.Tcp.Statistics.AckSkippedSeq);
        Assert.Equal(TcpState.Established, c.State);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(10)]
    public void Challenge_acks_across_connections_stay_within_the_layer_budget(int? limit)
    {
        var h = new TcpHarness(limits: TcpRateLimits.Default with { ChallengeAcksPerSecond = limit });
        var listener = h.Listen(backlog: 64);
        const int Connections = 40;
        for (ushort i = 0; i < Connections; i++)
        {
            h.Inject(TcpFlags.Syn, 0, options: NoTs, from: (ushort)(PeerPort + i));
            h.Expect("S. 0:0(0) ack 1 **");
            h.Inject(TcpFlags.Ack, 1, 1, from: (ushort)(PeerPort + i));
        }
        Assert.Equal(Connections, listener.CompletedCount);

        int[] perSecond = new int[3];
        for (int second = 0; second < 3; second++)
        {
            h.Advance(TimeSpan.FromSeconds(1)); // Each round in a second of its own, past every connection's interval.
            for (ushort i = 0; i < Connections; i++)
            {
                h.Inject(TcpFlags.Rst, 100, from: (ushort)(PeerPort + i));
            }
            perSecond[second] = Drain(h).Count;
        }

        if (limit is null)
        {
            Assert.Equal([Connections, Connections, Connections], perSecond); // Linux 6.0 on: no layer budget.
        }
        else
        {
            // Linux draws each second's budget from [limit/2, limit·3/2): here 5 to 14.
            Assert.All(perSecond, n => Assert.InRange(n, 5, 14));
            Assert.Equal(3 * Connections - perSecond.Sum(), h.Tcp.Statistics.ChallengeAcksOverLimit);
        }
        Assert.Equal(perSecond.Sum(), h.Tcp.Statistics.ChallengeAcks);
        Assert.Equal(0, h.Tcp.Statistics.AckSkippedChallenge);
    }

    [Fact]
    public void Ten_thousand_syns_to_a_closed_port_in_a_second_draw_at_most_the_rst_budget()
    {
        var h = new TcpHarness();
        var listener = h.Listen();
        var c = h.AcceptOne(listener, NoTs);
        uint peerSeq = 1, ourSeq = 1;

        int resets = 0;
        for (int i = 0; i < 10_000; i++)
        {
            h.Advance(TimeSpan.FromTicks(TimeSpan.TicksPerMillisecond / 10));
            h.Inject(TcpFlags.Syn, (uint)i, options: NoTs, from: (ushort)(1024 + i), to: 9);
            h.OurIsn = 0; // A RST to a closed port has sequence number 0.
            foreach (var seg in Drain(h))
            {
                Assert.Equal($"R. 0:0(0) ack {i + 1} win 0", seg.ToString());
                resets++;
            }
            if (i % 2500 == 0)
            {
                h.OurIsn = c.Iss.Value;
                AssertStillWorks(h, c, peerSeq, ourSeq); // The connection carries data through the flood.
                peerSeq += 5;
                ourSeq += 5;
            }
        }

        // A full bucket of 200, then 200 a second: at most 400 in the flood's second.
        Assert.InRange(resets, 395, 400);
        Assert.Equal(resets, h.Tcp.Statistics.ResetsSent);
        Assert.Equal(10_000 - resets, h.Tcp.Statistics.ResetsRateLimited);

        // The listener still answers: SYNs to it are never limited.
        h.Inject(TcpFlags.Syn, 0, options: NoTs, from: 60000);
        h.Expect("S. 0:0(0) ack 1 **");
        h.Inject(TcpFlags.Ack, 1, 1, from: 60000);
        Assert.True(listener.TryAccept(out var second));
        Assert.Equal(TcpState.Established, second.State);

        // After a quiet second, a closed port is answered again at once.
        h.Advance(TimeSpan.FromSeconds(1));
        h.Inject(TcpFlags.Syn, 0, options: NoTs, from: 60001, to: 9);
        h.OurIsn = 0;
        h.Expect("R. 0:0(0) ack 1 win 0");
        Assert.Equal(TcpState.Established, c.State);
    }

    [Fact]
    public void Reset_limit_can_be_turned_off()
    {
        var h = new TcpHarness(limits: TcpRateLimits.Default with { ResetsPerSecond = null });
        for (int i = 0; i < 1000; i++)
        {
            h.Inject(TcpFlags.Ack, 1, 1, from: (ushort)(1024 + i), to: 9);
        }
        Assert.Equal(1000, Drain(h).Count(s => s.Has(TcpFlags.Rst)));
        Assert.Equal(0, h.Tcp.Statistics.ResetsRateLimited);
    }

    [Fact]
    public void Out_of_window_acks_are_answered_once_per_500_ms_and_data_always()
    {
        var h = new TcpHarness();
        var c = h.AcceptOne(h.Listen(), NoTs);

        for (int i = 0; i < 100; i++)
        {
            h.Inject(TcpFlags.Ack, 5_000_000, 1); // Far beyond the window.
            h.Advance(TimeSpan.FromMilliseconds(4));
        }
        Assert.Single(Drain(h));
        Assert.Equal(99, h.Tcp.Statistics.AckSkippedSeq);

        // Old data (below RCV.NXT) is not an ACK loop: every copy is acknowledged, with a D-SACK when on.
        h.Inject(TcpFlags.Psh | TcpFlags.Ack, 1, 1, data: Pattern(10));
        h.Advance(TimeSpan.FromMilliseconds(40));
        h.Expect(". 1:1(0) ack 11 **");
        for (int i = 0; i < 3; i++)
        {
            h.Inject(TcpFlags.Psh | TcpFlags.Ack, 1, 1, data: Pattern(10));
            h.Expect(". 1:1(0) ack 11 **");
        }
        Assert.Equal(99, h.Tcp.Statistics.AckSkippedSeq);

        h.Advance(TimeSpan.FromMilliseconds(500));
        h.Inject(TcpFlags.Ack, 5_000_000, 1);
        h.Expect(". 1:1(0) ack 11 **");
        Assert.Equal(TcpState.Established, c.State);
    }

    [Fact]
    public void Paws_rejects_are_answered_once_per_500_ms()
    {
        var h = new TcpHarness();
        var c = h.AcceptOne(h.Listen()); // Timestamps on; the peer's TSval is 101.
        for (int i = 0; i < 10; i++)
        {
            h.Inject(TcpFlags.Ack, 1, 1, options: Ts(50, 0)); // Older than TS.Recent.
        }
        Assert.Single(Drain(h));
        Assert.Equal(10, h.Tcp.Statistics.PawsRejected);
        Assert.Equal(9, h.Tcp.Statistics.AckSkippedPaws);
        Assert.Equal(TcpState.Established, c.State);
    }

    [Fact]
    public void Acks_of_unsent_data_are_challenged_within_the_interval()
    {
        var h = new TcpHarness();
        var c = h.AcceptOne(h.Listen(), NoTs);
        h.Inject(TcpFlags.Ack, 1, 100);
        h.Expect(". 1:1(0) ack 1 **");
        h.Inject(TcpFlags.Ack, 1, 100);
        h.ExpectNothing();
        Assert.Equal(1, h.Tcp.Statistics.ChallengeAcks);
        Assert.Equal(1, h.Tcp.Statistics.AckSkippedChallenge);
        Assert.Equal(TcpState.Established, c.State);
    }

    [Fact]
    public void Repeated_syns_in_syn_received_get_a_syn_ack_once_per_500_ms()
    {
        var h = new TcpHarness();
        var listener = h.Listen();
        h.Inject(TcpFlags.Syn, 0, options: NoTs);
        h.Expect("S. 0:0(0) ack 1 **");
        h.Advance(TimeSpan.FromMilliseconds(100));
        h.Inject(TcpFlags.Syn, 0, options: NoTs);
        h.Expect("S. 0:0(0) ack 1 **"); // Our SYN-ACK was lost: resent.
        h.Advance(TimeSpan.FromMilliseconds(100));
        h.Inject(TcpFlags.Syn, 0, options: NoTs);
        h.ExpectNothing();
        Assert.Equal(1, h.Tcp.Statistics.AckSkippedSynRecv);
        h.Advance(TimeSpan.FromMilliseconds(400));
        h.Inject(TcpFlags.Syn, 0, options: NoTs);
        h.Expect("S. 0:0(0) ack 1 **");

        h.Inject(TcpFlags.Ack, 1, 1);
        Assert.True(listener.TryAccept(out var c));
        h.Inject(TcpFlags.Ack, 1, 100); // The new connection's interval starts afresh (as Linux's full socket).
        h.Expect(". 1:1(0) ack 1 **");
        Assert.Equal(TcpState.Established, c.State);
    }

    [Fact]
    public void Time_wait_answers_invalid_segments_once_per_500_ms_and_a_retransmitted_fin_always()
    {
        var h = new TcpHarness();
        var c = h.AcceptOne(h.Listen(), NoTs);
        c.Close(h.Now);
        h.Expect("F. 1:1(0) ack 1 **");
        h.Inject(TcpFlags.Fin | TcpFlags.Ack, 1, 2);
        h.Expect(". 2:2(0) ack 2 **");
        Assert.Equal(TcpState.TimeWait, c.State);

        for (int i = 0; i < 5; i++)
        {
            h.Inject(TcpFlags.Ack, 5_000_000, 2);
        }
        Assert.Single(Drain(h));
        Assert.Equal(4, h.Tcp.Statistics.AckSkippedTimeWait);
        h.Inject(TcpFlags.Fin | TcpFlags.Ack, 1, 2);
        h.Expect(". 2:2(0) ack 2 **");
    }

    [Fact]
    public void Invalid_interval_zero_answers_every_invalid_segment()
    {
        var h = new TcpHarness(limits: TcpRateLimits.Default with { InvalidInterval = TimeSpan.Zero });
        h.AcceptOne(h.Listen(), NoTs);
        for (int i = 0; i < 50; i++)
        {
            h.Inject(TcpFlags.Rst, 100);
        }
        Assert.Equal(50, Drain(h).Count);
        Assert.Equal(50, h.Tcp.Statistics.ChallengeAcks);
    }
}
