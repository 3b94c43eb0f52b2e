using Stack.Tcp;
using Stack.Tcp.Wire;
using static Stack.Tests.Tcp.TcpHarness;

namespace Stack.Tests.Tcp;

/// <summary>
/// Where PSH goes, as Linux puts it (RFC 9293 §3.9.1 leaves it to the implementation): on the segment that ends a
/// write, and on the last segment of each burst of new data Linux would send as one GSO packet of two segments or
/// more (2 MSS at connection start on a path of 100 ms), not on data sent one segment at a time.
/// </summary>
public sealed class TcpPushTests
{
    private static readonly TcpOptions NoTs = new() { Mss = 1000 };

    /// <summary>Active open with a 100 ms handshake (the RTT the chunk size is figured from), peer MSS 1000.</summary>
    private static (TcpHarness, TcpConnection) Established(ushort win = 65535, TcpConfig? config = null)
    {
        var h = new TcpHarness(config ?? TcpConfig.Default with { NoDelay = true });
        var c = h.Connect();
        h.Expect("S 0:0(0) **");
        h.Advance(TimeSpan.FromMilliseconds(100));
        h.Inject(TcpFlags.Syn | TcpFlags.Ack, 0, 1, win: win, options: NoTs);
        h.Expect(". 1:1(0) ack 1 **");
        return (h, c);
    }

    [Fact]
    public void A_burst_leaves_in_two_segment_packets_each_ending_with_PSH()
    {
        var (h, c) = Established();
        c.Send(Pattern(10_000), h.Now);
        for (uint seq = 1; seq < 10_001; seq += 1000)
        {
            string flags = (seq + 999) % 2000 == 0 ? "P." : ".";
            h.Expect($"{flags} {seq}:{seq + 1000}(1000) ack 1 **");
        }
        h.ExpectNothing();
    }

    [Fact]
    public void A_segment_sent_alone_carries_no_PSH_unless_it_ends_the_write()
    {
        var (h, c) = Established(win: 5000);
        c.Send(Pattern(8000), h.Now);
        h.Expect(". 1:1001(1000) ack 1 **");
        h.Expect("P. 1001:2001(1000) ack 1 **");
        h.Expect(". 2001:3001(1000) ack 1 **");
        h.Expect("P. 3001:4001(1000) ack 1 **");
        h.Expect(". 4001:5001(1000) ack 1 **"); // The window leaves room for one segment: no packet of two.
        h.ExpectNothing();
        h.Inject(TcpFlags.Ack, 1, 5001, win: 5000);
        h.Expect(". 5001:6001(1000) ack 1 **");
        h.Expect("P. 6001:7001(1000) ack 1 **");
        h.Expect("P. 7001:8001(1000) ack 1 **"); // Alone, but the end of the write.
    }

    [Fact]
    public void A_resend_carries_PSH_only_where_a_write_ended()
    {
        var (h, c) = Established();
        c.Send(Pattern(4000), h.Now);
        h.Expect(". 1:1001(1000) ack 1 **");
        h.Expect("P. 1001:2001(1000) ack 1 **");
        h.Expect(". 2001:3001(1000) ack 1 **");
        h.Expect("P. 3001:4001(1000) ack 1 **");
        h.Inject(TcpFlags.Ack, 1, 1001);
        h.Advance(TimeSpan.FromMilliseconds(500)); // Nothing more is acknowledged: the timer (~0.3 s) resends from SND.UNA.
        h.Expect(". 1001:2001(1000) ack 1 **"); // A chunk's end, not the write's: Linux resends it without PSH.
        h.Inject(TcpFlags.Ack, 1, 2001);
        h.Expect(". 2001:3001(1000) ack 1 **");
        h.Expect("P. 3001:4001(1000) ack 1 **"); // The write's end keeps it.
    }

    [Fact]
    public void A_write_fills_the_unsent_chunk_before_it_and_takes_its_push()
    {
        var (h, c) = Established(win: 0);
        c.Send(Pattern(500), h.Now);
        c.Send(Pattern(700), h.Now); // Nothing left (zero window): the first write's chunk grows to 1200.
        c.Send(Pattern(1500), h.Now); // Fills that chunk to 2 MSS, then a chunk of 700.
        h.ExpectNothing();
        h.Inject(TcpFlags.Ack, 1, 1, win: 65535);
        h.Expect(". 1:1001(1000) ack 1 **");
        h.Expect("P. 1001:2001(1000) ack 1 **");
        h.Expect("P. 2001:2701(700) ack 1 **");
    }
}
