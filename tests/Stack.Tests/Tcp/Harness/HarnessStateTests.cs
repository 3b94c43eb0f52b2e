using Stack.Tcp;
using Stack.Tcp.Wire;

namespace Stack.Tests.Tcp.Harness;

/// <summary>
/// RFC 9293's rules that hold in every synchronized state, checked in each state and both families, with the
/// states reached by <see cref="HarnessStates"/>.
/// </summary>
public sealed class HarnessStateTests
{
    private static readonly TcpState[] Synchronized =
    [
        TcpState.SynReceived, TcpState.Established, TcpState.FinWait1, TcpState.FinWait2, TcpState.Closing,
        TcpState.TimeWait, TcpState.CloseWait, TcpState.LastAck,
    ];

    public static TheoryData<TcpState, bool> EveryState() => Pairs(HarnessStates.ConnectionStates);

    public static TheoryData<TcpState, bool> SynchronizedStates() => Pairs(Synchronized);

    private static TheoryData<TcpState, bool> Pairs(IEnumerable<TcpState> states)
    {
        var data = new TheoryData<TcpState, bool>();
        foreach (var state in states)
        {
            data.Add(state, false);
            data.Add(state, true);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(EveryState))]
    public void Every_state_is_reached_in_one_call_with_the_edges_the_diagram_gives(TcpState state, bool ipv6)
    {
        var h = new TcpHarness(ipv6: ipv6);
        var c = h.InState(state);
        Assert.Equal(state, c.State);
        Assert.Equal(ipv6, c.RemoteEndPoint.Address.IsIpv6);
        var (sndNxt, rcvNxt) = HarnessStates.Edges(state);
        Assert.Equal(sndNxt, unchecked(c.SndNxt.Value - h.OurIsn));
        if (state is not TcpState.SynSent)
        {
            Assert.Equal(rcvNxt, unchecked(c.RcvNxt.Value - TcpHarness.PeerIsn));
        }
        h.ExpectNothing();
    }

    [Theory]
    [MemberData(nameof(SynchronizedStates))]
    public void An_unacceptable_segment_gets_an_ack_of_rcv_nxt_from_snd_nxt_and_changes_nothing(TcpState state, bool ipv6)
    {
        // RFC 9293 §3.10.7.4 first check: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, and the segment is dropped.
        var h = new TcpHarness(ipv6: ipv6);
        var c = h.InState(state);
        var (sndNxt, rcvNxt) = HarnessStates.Edges(state);
        h.Inject(PeerSegment.Push(rcvNxt + 5_000_000, sndNxt, [1, 2, 3]));
        h.Expect($". {sndNxt}:{sndNxt}(0) ack {rcvNxt} **");
        h.ExpectNothing();
        Assert.Equal(state, c.State);
        Assert.Equal(0, c.Readable);
    }

    [Theory]
    [MemberData(nameof(SynchronizedStates))]
    public void A_reset_at_rcv_nxt_closes_every_synchronized_state_unanswered(TcpState state, bool ipv6)
    {
        // RFC 9293 §3.10.7.4 second check with RFC 5961 §3.2: a RST exactly at RCV.NXT is taken.
        var h = new TcpHarness(ipv6: ipv6);
        var c = h.InState(state);
        h.Inject(PeerSegment.Rst(HarnessStates.Edges(state).RcvNxt));
        h.ExpectNothing();
        Assert.Equal(TcpState.Closed, c.State);
        Assert.Equal(0, h.Tcp.ConnectionCount);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Segments_built_with_with_reach_the_stack_as_written(bool ipv6)
    {
        var h = new TcpHarness(ipv6: ipv6);
        var c = h.InState(TcpState.Established);
        h.Inject(PeerSegment.Push(1, 1, TcpHarness.Pattern(10)) with { Win = 0 });
        h.Expect(". 1:1(0) ack 11 **");
        Assert.Equal(10, c.Readable);
        Assert.Equal(5, c.Send(TcpHarness.Pattern(5), h.Now));
        h.ExpectNothing(); // The peer's window is closed: the data waits.
        h.Inject(PeerSegment.PureAck(11, 1) with { Win = 1000 });
        h.Expect("P. 1:6(5) ack 11 **");
    }
}
