using Stack.Link.Time;
using Stack.Tcp.Diagnostics;
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


    /// <summary>Decides between an ACK now and a delayed one for a segment that carried data.</summary>
    private void OnDataReceived(int length, bool inOrderNoGap, Instant now)
    {
        _rcv.Mss = Math.Clamp(length, _rcv.Mss, Math.Max(_rcv.Mss, AnnouncedMss));
        _dataAckScheduled = true;
        if (!inOrderNoGap || _config.QuickAck || _rcv.Nxt - _rcv.LastAckSent > _rcv.Mss || InQuickAckMode)
        {
            // Out of order, filling a gap, a duplicate, a second full segment unacknowledged, or quick-ACK mode.
            _ackPending = true;
            return;
        }
        _timers.ArmIfIdle(TimerKind.DelayedAck, now + DelayedAckTimeout);
    }

    private void OnDelayedAckTimeout()
    {
        if (_rcv.Nxt != _rcv.LastAckSent)
        {
            _ackPending = true;
            OnDelayedAckMissed();
        }
    }

    // A duplicate received, to report in the first SACK block of the next segment (RFC 2883 §4), once.
    private SeqRange? _dsackToSend;

    /// <summary>
    /// Data we already had arrived again: the next ACK goes at once and, with SACK, reports it as a D-SACK
    /// (RFC 2883; Linux tcp_dsack_set), so that the sender can tell a needless retransmission from a loss.
    /// </summary>
    private void ReportDuplicate(SeqNum start, SeqNum end)
    {
        _ackPending = true;
        if (_opt.Sack && _config.Dsack && end > start)
        {
            _dsackToSend = new SeqRange(start, end);
            Count(LossEvent.DsackSent);
        }
    }

    /// <summary>Every segment we send carries the ACK: nothing is owed any more and the delayed ACK is off.</summary>
    private void OnAckSent()
    {
        _dsackToSend = null;
        OnAckSentForQuickAck();
        _rcv.LastAckSent = _rcv.Nxt;
        _ackPending = false;
        _timers.Cancel(TimerKind.DelayedAck);
    }
}
