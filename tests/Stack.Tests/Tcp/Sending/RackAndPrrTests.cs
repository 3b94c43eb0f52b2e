using Stack.Link.Time;
using Stack.Tcp;
using Stack.Tcp.Sending;
using Stack.Tests.Support;

namespace Stack.Tests.Tcp.Sending;

public sealed class RackAndPrrTests
{
    private static readonly Instant T0 = Instant.FromMilliseconds(1000);
    private static readonly TimeSpan Rtt = TimeSpan.FromMilliseconds(100);

    [Fact]
    public void Rack_marks_what_was_sent_before_a_delivered_segment_once_its_reordering_window_passed()
    {
        var s = new SentSegments();
        for (int i = 0; i < 4; i++)
        {
            s.Append(new SeqNum((uint)(1 + i * 1000)), new SeqNum((uint)(1001 + i * 1000)), fin: false, T0);
        }
        var rack = new Rack();
        rack.OnRttSample(Rtt, T0);
        Instant now = T0 + Rtt;
        var sample = default(AckSample);
        s.Sack(new SeqNum(3001), new SeqNum(4001), ref sample); // The fourth arrived.
        rack.Update(sample, echoedSendTime: null, now);
        TimeSpan window = rack.ReorderWindow(inRecovery: false, sackedSegments: 1, dupThresh: 3, srtt: Rtt);
        Assert.Equal(Rtt / 4, window); // min_RTT / 4 while fewer than DupThresh are SACKed.

        Instant deadline = rack.DetectLoss(s, window, now, out int lost);
        Assert.Equal(0, lost);
        Assert.Equal(T0 + Rtt + window, deadline); // Sent at T0, RACK.rtt 100 ms, plus the window.

        rack.DetectLoss(s, window, deadline, out lost);
        Assert.Equal(3000, lost);
        Assert.True(s[0].NeedsRetransmission && s[2].NeedsRetransmission);
    }

    [Fact]
    public void Rack_ignores_an_ack_of_a_resend_that_may_be_for_the_original()
    {
        var s = new SentSegments();
        s.Append(new SeqNum(1), new SeqNum(1001), fin: false, T0);
        var rack = new Rack();
        rack.OnRttSample(Rtt, T0);
        s.MarkLost(0);
        s.MarkRetransmitted(0, T0 + Rtt * 2);
        var sample = default(AckSample);
        s.AckTo(new SeqNum(1001), ref sample);
        rack.Update(sample, echoedSendTime: null, T0 + Rtt * 2 + TimeSpan.FromMilliseconds(1)); // 1 ms: under min_RTT.
        Assert.Equal(TimeSpan.Zero, rack.Rtt);
    }

    [Fact]
    public void A_reset_rack_equals_a_new_one_field_by_field()
    {
        // Its connection reuses the handshake's RACK when the handshake ends: a field Reset forgets would carry
        // state over. Dirty every part (min_RTT, a delivery, reordering, a DSACK round, a reorder deadline).
        var s = new SentSegments();
        for (int i = 0; i < 4; i++)
        {
            s.Append(new SeqNum((uint)(1 + i * 1000)), new SeqNum((uint)(1001 + i * 1000)), fin: false, T0);
        }
        var detection = new RackLossDetection();
        detection.OnRttSample(Rtt, T0);
        var sample = default(AckSample);
        s.Sack(new SeqNum(3001), new SeqNum(4001), ref sample);
        detection.OnAck(sample, echoedSendTime: null, new LossContext(s, false, 1000, Rtt, 0, false), T0 + Rtt);
        detection.OnDsack(new SeqNum(1), new SeqNum(4001));
        detection.OnSpuriousRetransmission();
        Assert.NotEqual(Instant.Never, detection.ReorderDeadline);
        Assert.NotEmpty(FieldComparer.Differences(new RackLossDetection(), detection));

        Assert.Same(detection, detection.Reset());

        Assert.Empty(FieldComparer.Differences(new RackLossDetection(), detection));
    }

    [Fact]
    public void Prr_sends_seven_for_every_ten_delivered_while_the_pipe_is_above_ssthresh()
    {
        const int mss = 1000;
        var prr = new Prr();
        prr.Start(20 * mss, mss);
        int pipe = 19 * mss;
        var sent = new List<int>();
        for (int ack = 0; ack < 10; ack++)
        {
            pipe -= mss; // One segment delivered by each ACK.
            int cwnd = prr.OnAck(1, newlyLost: 0, unaAdvanced: false, pipe, 14 * mss, mss)!.Value;
            int n = Math.Max(0, (cwnd - pipe) / mss);
            prr.OnSent(n);
            pipe += n * mss;
            sent.Add(n);
        }
        // ceil(14/20 · delivered) − sent: seven segments for every ten delivered while the pipe is above 14.
        Assert.Equal([1, 1, 1, 0, 1, 1, 0, 1, 1, 0], sent);
        Assert.Null(prr.OnAck(0, newlyLost: 0, unaAdvanced: false, pipe, 14 * mss, mss));
    }
}
