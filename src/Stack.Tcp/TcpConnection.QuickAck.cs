using Stack.Link.Time;

namespace Stack.Tcp;

// Linux's quick-ACK mode (tcp_event_data_recv, tcp_incr_quickack, tcp_dec_quickack_mode): the first data of a
// connection, and data after a silence longer than the RTO, are acknowledged at once for up to 16 ACKs, so the
// sender's slow start is not held back by delayed ACKs. An interactive connection (we answered data within the
// ATO: "pingpong") delays its ACKs anyway, to ride on the reply; a delayed ACK that had to go alone ends that.
// RFC 9293 §3.8.6.3 and RFC 1122 §4.2.3.2 allow an ACK at once at any time; this is Linux's choice of when.
// Linux also adapts the ATO to the gaps between segments; the stack keeps it at 40 ms (DelayedAckTimeout).
public sealed partial class TcpConnection
{
    private const int MaxQuickAcks = 16; // Linux TCP_MAX_QUICKACKS

    private int _quickAcks; // Linux icsk_ack.quick: ACKs still to send at once.
    private bool _ackEngineStarted; // Linux icsk_ack.ato != 0: data has arrived before.
    private bool _pingpong; // Linux inet_csk_in_pingpong_mode: an interactive exchange.
    private bool _dataAckScheduled; // Linux ICSK_ACK_SCHED: data arrived that an ACK has not yet covered.

    private bool InQuickAckMode => _quickAcks > 0 && !_pingpong;

    /// <summary>
    /// In-sequence data arrived (Linux tcp_event_data_recv): the first of the connection, or the first after a
    /// gap longer than the RTO since the last, starts quick ACKs. Call before the arrival time is recorded.
    /// </summary>
    private void OnInSequenceData(Instant now)
    {
        if (!_ackEngineStarted)
        {
            _ackEngineStarted = true;
            IncreaseQuickAcks();
        }
        else if (now - _lastDataReceivedAt > _rto.Rto)
        {
            IncreaseQuickAcks();
        }
    }

    /// <summary>Linux tcp_incr_quickack: half the receive window in segments, at least 2, at most 16.</summary>
    private void IncreaseQuickAcks()
    {
        int window = Math.Max(0, _rcv.Edge - _rcv.Nxt); // Linux rcv_wnd: what we last offered.
        int quick = Math.Clamp(window / (2 * Math.Max(1, _rcv.Mss)), 2, MaxQuickAcks);
        _quickAcks = Math.Max(_quickAcks, quick);
    }

    /// <summary>Linux tcp_dec_quickack_mode, as an ACK leaves: one quick ACK used if it covered data.</summary>
    private void OnAckSentForQuickAck()
    {
        if (_quickAcks > 0 && _dataAckScheduled)
        {
            _quickAcks--;
        }
        _dataAckScheduled = false;
    }

    /// <summary>
    /// Linux tcp_event_data_sent: data sent within the ATO of data received makes the exchange interactive. Before
    /// any data has arrived Linux's ATO is 0, so nothing sent then counts.
    /// </summary>
    private void OnDataSentForQuickAck(Instant now)
    {
        if (_ackEngineStarted && now - _lastDataReceivedAt < DelayedAckTimeout)
        {
            _pingpong = true;
        }
    }

    /// <summary>Linux tcp_delack_timer_handler: a delayed ACK that had to go alone ends the interactive mode.</summary>
    private void OnDelayedAckMissed() => _pingpong = false;
}
