using Stack.Tcp;
using Stack.Tcp.Wire;

namespace Stack.Tests.Tcp.Harness;

/// <summary>
/// Every state of RFC 9293's diagram in one call, by the shortest path the diagram gives (no timestamps, so each
/// segment is as short as it can be), e.g. <c>var c = new TcpHarness(ipv6: true).InState(TcpState.Closing)</c>.
/// Each step checks what the stack sent and where it ended up, so a broken path fails where it breaks.
/// </summary>
internal static class HarnessStates
{
    /// <summary>The states a connection can be put in (LISTEN belongs to a listener).</summary>
    public static readonly TcpState[] ConnectionStates =
    [
        TcpState.SynSent, TcpState.SynReceived, TcpState.Established, TcpState.FinWait1, TcpState.FinWait2,
        TcpState.Closing, TcpState.TimeWait, TcpState.CloseWait, TcpState.LastAck, TcpState.Closed,
    ];

    /// <summary>
    /// Where SND.NXT and RCV.NXT stand in each state the helpers reach (relative: our SYN and the peer's SYN take
    /// sequence number 0, a FIN the number after the data, and there is no data).
    /// </summary>
    public static (uint SndNxt, uint RcvNxt) Edges(TcpState state) => state switch
    {
        TcpState.SynSent => (1, 0),
        TcpState.SynReceived or TcpState.Established => (1, 1),
        TcpState.FinWait1 or TcpState.FinWait2 => (2, 1),
        TcpState.CloseWait => (1, 2),
        _ => (2, 2),
    };

    public static TcpConnection InState(this TcpHarness h, TcpState state) => state switch
    {
        TcpState.SynSent => h.InSynSent(),
        TcpState.SynReceived => h.InSynReceived(),
        TcpState.Established => h.InEstablished(),
        TcpState.FinWait1 => h.InFinWait1(),
        TcpState.FinWait2 => h.InFinWait2(),
        TcpState.Closing => h.InClosing(),
        TcpState.TimeWait => h.InTimeWait(),
        TcpState.CloseWait => h.InCloseWait(),
        TcpState.LastAck => h.InLastAck(),
        TcpState.Closed => h.InClosedAfterLastAck(),
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "a listener's state, not a connection's"),
    };

    /// <summary>Active open: our SYN is out.</summary>
    public static TcpConnection InSynSent(this TcpHarness h)
    {
        var c = h.Connect();
        h.Expect("S 0:0(0) **");
        return In(c, TcpState.SynSent);
    }

    /// <summary>Simultaneous open (RFC 9293 Figure 8): the peer's SYN crosses ours and we answer with SYN-ACK.</summary>
    public static TcpConnection InSynReceived(this TcpHarness h)
    {
        var c = h.InSynSent();
        h.Inject(PeerSegment.Syn());
        h.Expect("S. 0:0(0) ack 1 **");
        return In(c, TcpState.SynReceived);
    }

    /// <summary>Passive open through a listener (<paramref name="active"/>: our SYN, the peer's SYN-ACK, our ACK).</summary>
    public static TcpConnection InEstablished(this TcpHarness h, bool active = false)
    {
        if (active)
        {
            var mine = h.InSynSent();
            h.Inject(PeerSegment.SynAck(0, 1));
            h.Expect(". 1:1(0) ack 1 **");
            return In(mine, TcpState.Established);
        }
        var listener = h.Listen();
        h.Inject(PeerSegment.Syn());
        h.Expect("S. 0:0(0) ack 1 **");
        h.Inject(PeerSegment.PureAck(1, 1));
        Assert.True(listener.TryAccept(out var c), "the listener should hold the connection the handshake made");
        return In(c, TcpState.Established);
    }

    /// <summary>We closed first: our FIN is out, unacknowledged.</summary>
    public static TcpConnection InFinWait1(this TcpHarness h)
    {
        var c = h.InEstablished();
        c.Close(h.Now);
        h.Expect("F. 1:1(0) ack 1 **");
        return In(c, TcpState.FinWait1);
    }

    /// <summary>Our FIN acknowledged; the peer has not closed yet.</summary>
    public static TcpConnection InFinWait2(this TcpHarness h)
    {
        var c = h.InFinWait1();
        h.Inject(PeerSegment.PureAck(1, 2));
        h.ExpectNothing();
        return In(c, TcpState.FinWait2);
    }

    /// <summary>Simultaneous close: the peer's FIN arrives before it acknowledged ours.</summary>
    public static TcpConnection InClosing(this TcpHarness h)
    {
        var c = h.InFinWait1();
        h.Inject(PeerSegment.Fin(1, 1));
        h.Expect(". 2:2(0) ack 2 **");
        return In(c, TcpState.Closing);
    }

    /// <summary>Active close completed: we acknowledged the peer's FIN after ours was acknowledged.</summary>
    public static TcpConnection InTimeWait(this TcpHarness h)
    {
        var c = h.InFinWait2();
        h.Inject(PeerSegment.Fin(1, 2));
        h.Expect(". 2:2(0) ack 2 **");
        return In(c, TcpState.TimeWait);
    }

    /// <summary>The peer closed first; we have not.</summary>
    public static TcpConnection InCloseWait(this TcpHarness h)
    {
        var c = h.InEstablished();
        h.Inject(PeerSegment.Fin(1, 1));
        h.Expect(". 1:1(0) ack 2 **");
        return In(c, TcpState.CloseWait);
    }

    /// <summary>Passive close: our FIN follows the peer's and waits for its ACK.</summary>
    public static TcpConnection InLastAck(this TcpHarness h)
    {
        var c = h.InCloseWait();
        c.Close(h.Now);
        h.Expect("F. 1:1(0) ack 2 **");
        return In(c, TcpState.LastAck);
    }

    /// <summary>The end of a passive close: LAST-ACK's FIN acknowledged.</summary>
    public static TcpConnection InClosedAfterLastAck(this TcpHarness h)
    {
        var c = h.InLastAck();
        h.Inject(PeerSegment.PureAck(2, 2));
        h.ExpectNothing();
        return In(c, TcpState.Closed);
    }

    /// <summary>Injects a segment built as a <see cref="PeerSegment"/>.</summary>
    public static void Inject(this TcpHarness h, PeerSegment s) =>
        h.Inject(s.Flags, s.Seq, s.Ack, s.Win, s.Options, s.Data);

    private static TcpConnection In(TcpConnection c, TcpState expected)
    {
        Assert.True(c.State == expected, $"expected the connection in {expected}, but it is in {c.State}");
        return c;
    }
}
