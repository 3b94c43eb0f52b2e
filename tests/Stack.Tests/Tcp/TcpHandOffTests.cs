using Stack.IP;
using Stack.Tcp.Wire;

namespace Stack.Tests.Tcp;

/// <summary>
/// A multi-queue stack's hand-off (<see cref="Stack.Tcp.TcpLayer.HandOff"/>): a segment no connection here claims is
/// offered to another shard before a RST answers it; a SYN a listener here takes never is.
/// </summary>
public sealed class TcpHandOffTests
{
    private readonly List<(int Length, int SegmentSize)> _offered = [];

    private TcpHarness Harness(bool takes, Stack.Tcp.SynCookieMode cookies = Stack.Tcp.SynCookieMode.WhenFull)
    {
        var h = new TcpHarness(cookies: cookies);
        h.Tcp.HandOff = (in IpDatagram d) =>
        {
            _offered.Add((d.Packet.Length, d.SegmentSize));
            return takes;
        };
        return h;
    }

    [Fact]
    public void A_stray_ack_is_handed_off_and_answers_nothing()
    {
        var h = Harness(takes: true);
        h.Inject(TcpFlags.Ack, seq: 1, ack: 1, data: new byte[100], absolute: false);
        h.ExpectNothing();
        Assert.Equal([(20 + 20 + 100, 0)], _offered);
        Assert.Equal(1, h.Tcp.Statistics.HandedOff);
        Assert.Equal(0, h.Tcp.Statistics.ResetsSent);
    }

    [Fact]
    public void A_syn_with_no_listener_here_is_handed_off_and_one_a_listener_takes_is_not()
    {
        var h = Harness(takes: true);
        h.Inject(TcpFlags.Syn, seq: 0, options: TcpHarness.LinuxSyn());
        h.ExpectNothing();
        Assert.Single(_offered);

        h.Listen();
        h.Inject(TcpFlags.Syn, seq: 0, options: TcpHarness.LinuxSyn(), from: TcpHarness.PeerPort + 1);
        h.Expect("S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,TS val * ecr 100,nop,wscale 7>");
        Assert.Single(_offered);
    }

    [Fact]
    public void When_every_shard_has_declined_the_last_answers_as_one_stack_does()
    {
        var h = Harness(takes: false);
        h.Inject(TcpFlags.Ack, seq: 1, ack: 1);
        h.Expect("R 1:1(0) win 0");
        Assert.Single(_offered);
        Assert.Equal(0, h.Tcp.Statistics.HandedOff);
    }

    [Fact]
    public void A_segment_of_a_connection_here_is_never_offered()
    {
        var h = Harness(takes: true);
        var listener = h.Listen();
        h.AcceptOne(listener);
        h.Inject(TcpFlags.Ack | TcpFlags.Psh, seq: 1, ack: 1, data: new byte[10]);
        h.Advance(TimeSpan.FromMilliseconds(500)); // past the delayed ACK
        var ack = h.Next();
        Assert.False(ack.Has(TcpFlags.Rst), ack.ToString());
        Assert.Equal(11u, ack.RelAck);
        Assert.Empty(_offered);
    }

    [Fact]
    public void The_ack_of_a_syn_cookie_this_shard_sent_completes_here_and_is_not_offered()
    {
        var h = Harness(takes: true, Stack.Tcp.SynCookieMode.Always);
        var listener = h.Listen();
        h.Inject(TcpFlags.Syn, 0, options: TcpHarness.LinuxSyn(tsVal: 100));
        var synAck = h.Expect("S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,TS val * ecr 100,nop,wscale 7>");
        h.Inject(TcpFlags.Ack, 1, 1, win: 502, options: TcpHarness.Ts(101, synAck.Options.TsVal));
        Assert.True(listener.TryAccept(out _));
        Assert.Empty(_offered);

        // An ACK no cookie of this shard's explains may be another shard's connection: offered, counted once.
        h.Inject(TcpFlags.Ack, 1, 1, options: TcpHarness.Ts(102, 5), from: TcpHarness.PeerPort + 1);
        Assert.Single(_offered);
        Assert.Equal(1, h.Tcp.Statistics.SynCookiesInvalid);
    }
}
