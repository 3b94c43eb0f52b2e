using Stack.Tcp;
using Stack.Tcp.Diagnostics;
using Stack.Tcp.Wire;
using static Stack.Tests.Tcp.TcpHarness;

namespace Stack.Tests.Tcp.Sending;

public sealed class LossCountersTests
{
    private static readonly TcpOptions SackSyn = new() { Mss = 1000, SackPermitted = true };

    [Fact]
    public void A_tail_loss_probe_is_counted_for_its_connection_and_for_the_layer()
    {
        var h = new TcpHarness(TcpConfig.Default with { NoDelay = true });
        var c = h.AcceptOne(h.Listen(), SackSyn);
        h.Inject(TcpFlags.Ack, 1, 1, win: 65535); // AcceptOne's handshake offers a 502-byte window.
        c.Send(Pattern(2000), h.Now);
        h.Expect(". 1:1001(1000) ack 1 **");
        h.Expect("P. 1001:2001(1000) ack 1 **");
        h.Inject(TcpFlags.Ack, 1, 1001);
        // The handshake's RTT is 0 here: PTO = 2·SRTT + 200 ms with one segment out, as long as the RTO (200 ms):
        // the probe goes in the timeout's place.
        h.Advance(TimeSpan.FromMilliseconds(250));
        h.Expect("P. 1001:2001(1000) ack 1 **");
        Assert.Equal(1, c.LossCounters[LossEvent.LossProbe]);
        Assert.Equal(1, h.Tcp.Statistics.LossProbes);
        Assert.Equal(0, c.LossCounters[LossEvent.RetransmissionTimeout]);
        Assert.Equal(RecoveryState.Open, c.RecoveryState);
    }
}
