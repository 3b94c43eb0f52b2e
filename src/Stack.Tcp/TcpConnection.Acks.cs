using Stack.Link.Time;
using Stack.Tcp.Timers;

namespace Stack.Tcp;

// Delayed acknowledgments (RFC 9293 §3.8.6.3, RFC 5681 §4.2, RFC 1122 §4.2.3.2), as Linux does them:
// in-order data is acknowledged at least every second full-sized segment, else within DelayedAckTimeout
// (Linux's 40 ms minimum ATO; the RFCs allow up to 500 ms). Out-of-order data, data that fills a gap, a
// duplicate, a FIN and a window update after a read are acknowledged at once (they set _ackPending directly).
public sealed partial class TcpConnection
{
    /// <summary>How long an ACK for in-order data may wait for a second segment or outgoing data to ride on.</summary>
    public static readonly TimeSpan DelayedAckTimeout = TimeSpan.FromMilliseconds(40);

    // The largest payload received so far (Linux rcv_mss): "full-sized" in the every-second-segment rule.
    // Starts at 536, RFC 9293's default MSS, as Linux's tcp_initialize_rcv_mss does.
    private int _rcvMss = 536;

    /// <summary>Decides between an ACK now and a delayed one for a segment that carried data.</summary>
    private void OnDataReceived(int length, bool inOrderNoGap, Instant now)
    {
        _rcvMss = Math.Clamp(length, _rcvMss, Math.Max(_rcvMss, AnnouncedMss));
        if (!inOrderNoGap || _config.QuickAck || _rcvNxt - _lastAckSent > _rcvMss)
        {
            _ackPending = true; // Out of order, filling a gap, a duplicate, or a second full segment unacknowledged.
            return;
        }
        _timers.ArmIfIdle(TimerKind.DelayedAck, now + DelayedAckTimeout);
    }

    private void OnDelayedAckTimeout()
    {
        if (_rcvNxt != _lastAckSent)
        {
            _ackPending = true;
        }
    }

    /// <summary>Every segment we send carries the ACK: nothing is owed any more and the delayed ACK is off.</summary>
    private void OnAckSent()
    {
        _lastAckSent = _rcvNxt;
        _ackPending = false;
        _timers.Cancel(TimerKind.DelayedAck);
    }
}
