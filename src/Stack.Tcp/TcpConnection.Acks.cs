using Stack.Link.Time;
using Stack.Tcp.Diagnostics;
using Stack.Tcp.Receiving;
using Stack.Tcp.Timers;

namespace Stack.Tcp;

// Delayed acknowledgments (RFC 9293 §3.8.6.3, RFC 5681 §4.2, RFC 1122 §4.2.3.2), as Linux does them:
// in-order data is acknowledged at least every second full-sized segment, at once in quick-ack mode (the first
// data, data after a silence, AckTiming says when), else within the ACK timeout (Linux's ato: 40 ms at first, then
// following the gaps between segments; the RFCs allow up to 500 ms). Out-of-order data, data that fills a gap, a
// duplicate, a FIN and a window update after a read are acknowledged at once (they set _ackPending directly).
public sealed partial class TcpConnection
{
    /// <summary>How long an ACK for in-order data waits at first for a second segment or outgoing data to ride on.</summary>
    public static readonly TimeSpan DelayedAckTimeout = AckTiming.AtoMin;

    private AckTiming _ackTiming; // A mutable struct: not readonly, or every call would work on a copy.

    /// <summary>The receive window as last advertised, in bytes (Linux's rcv_wnd).</summary>
    private int AdvertisedWindow => Math.Max(0, _rcv.Edge - _rcv.LastAckSent);

    /// <summary>Decides between an ACK now and a delayed one for a segment that carried data.</summary>
    /// <param name="inOrder">It advanced RCV.NXT (Linux calls tcp_event_data_recv for these only).</param>
    /// <param name="noGap">Nothing is held out of order before or after it.</param>
    private void OnDataReceived(int length, bool inOrder, bool noGap, Instant now)
    {
        // Linux tcp_measure_rcv_mss: a receive-offload aggregate counts as its segment size (gso_size), not its
        // length, and the estimate never passes the MSS we announced.
        int size = _layer.ReceivedSegmentSize is > 0 and var gso ? gso : length;
        _rcv.Mss = Math.Clamp(size, _rcv.Mss, Math.Max(_rcv.Mss, AnnouncedMss));
        if (inOrder)
        {
            _ackTiming.OnData(now, Rto, AdvertisedWindow, _rcv.Mss);
        }
        if (!(inOrder && noGap) || _config.QuickAck || _ackTiming.InQuickAckMode || _rcv.Nxt - _rcv.LastAckSent > _rcv.Mss)
        {
            // Out of order, filling a gap, a duplicate, quick-ack mode, or a second full segment unacknowledged.
            _ackPending = true;
            return;
        }
        _timers.ArmIfIdle(TimerKind.DelayedAck, now + _ackTiming.Delay(SmoothedRtt));
    }

    private void OnDelayedAckTimeout()
    {
        if (_rcv.Nxt != _rcv.LastAckSent)
        {
            _ackTiming.OnTimerFired(Rto);
            _ackPending = true;
        }
    }

    // A duplicate received, to report in the first SACK block of the next segment (RFC 2883 §4), once.
    private SeqRange? _dsackToSend;

    /// <summary>This file's fields as a new connection has them (called by <see cref="Open"/>).</summary>
    private void ResetAcks()
    {
        _ackTiming = default;
        _dsackToSend = null;
    }

    /// <summary>
    /// Data we already had arrived again: the next ACK goes at once and, with SACK, reports it as a D-SACK
    /// (RFC 2883; Linux tcp_dsack_set), so that the sender can tell a needless retransmission from a loss.
    /// </summary>
    private void ReportDuplicate(SeqNum start, SeqNum end)
    {
        _ackPending = true;
        _ackTiming.EnterQuickAckMode(AdvertisedWindow, _rcv.Mss); // Our ACK was lost: Linux's tcp_data_queue.
        if (_opt.Sack && _config.Dsack && end > start)
        {
            _dsackToSend = new SeqRange(start, end);
            Count(LossEvent.DsackSent);
        }
    }

    /// <summary>Every segment we send carries the ACK: nothing is owed any more and the delayed ACK is off.</summary>
    private void OnAckSent()
    {
        _ackTiming.OnAckSent(acknowledgedNewData: _rcv.Nxt != _rcv.LastAckSent);
        _dsackToSend = null;
        _rcv.LastAckSent = _rcv.Nxt;
        _ackPending = false;
        _timers.Cancel(TimerKind.DelayedAck);
    }
}
