using Stack.Link.Time;

namespace Stack.Tcp.Receiving;

/// <summary>
/// When a receiver acknowledges, as Linux decides it (tcp_input.c tcp_event_data_recv, tcp_incr_quickack,
/// tcp_in_quickack_mode; tcp_output.c tcp_event_data_sent, tcp_send_delayed_ack; tcp_timer.c
/// tcp_delack_timer_handler). RFC 1122 §4.2.3.2 and RFC 9293 §3.8.6.3 only bound the delay (at most 500 ms,
/// at least every second full segment); Linux adds two modes, followed here because the peers this stack meets
/// are tuned against them:
/// <list type="bullet">
/// <item><b>Quick-ack</b>: the first data of a connection, data after a silence longer than the RTO, and data
/// that was already here (a retransmission whose ACK was lost) are acknowledged at once, for up to
/// <see cref="MaxQuickAcks"/> ACKs (fewer when the window holds fewer than that many pairs of segments), so that
/// a sender in slow start is not held back by delayed ACKs.</item>
/// <item><b>Ping-pong</b> (interactive): once the application answers within the ACK timeout of the data it
/// received, ACKs wait for the answer to ride on, and quick-acks stop; a delayed-ACK timer that fires ends it.</item>
/// </list>
/// The ACK timeout (Linux's ato) starts at 40 ms and follows the gaps between arriving segments.
/// A mutable struct held in its connection's field (never copied), so a connection carries no object for it.
/// </summary>
internal struct AckTiming
{
    /// <summary>Linux's TCP_MAX_QUICKACKS.</summary>
    public const int MaxQuickAcks = 16;

    /// <summary>Linux's TCP_ATO_MIN and TCP_DELACK_MIN (HZ/25).</summary>
    public static readonly TimeSpan AtoMin = TimeSpan.FromMilliseconds(40);

    /// <summary>Linux's TCP_DELACK_MAX (HZ/5): the longest an interactive connection's ACK waits.</summary>
    public static readonly TimeSpan DelayMaxInteractive = TimeSpan.FromMilliseconds(200);

    /// <summary>HZ/2: the longest any delayed ACK waits (RFC 1122's 500 ms).</summary>
    public static readonly TimeSpan DelayMax = TimeSpan.FromMilliseconds(500);

    private TimeSpan _ato; // Zero until the first data arrives.
    private Instant _lastReceived;

    /// <summary>ACKs still to send at once (Linux icsk_ack.quick).</summary>
    public int QuickAcks { get; private set; }

    /// <summary>The connection is interactive: ACKs wait for the answer.</summary>
    public bool PingPong { get; private set; }

    /// <summary>The current ACK timeout (zero before any data).</summary>
    public TimeSpan Ato => _ato;

    /// <summary>Linux's tcp_in_quickack_mode.</summary>
    public bool InQuickAckMode => QuickAcks > 0 && !PingPong;

    /// <summary>In-order data arrived (tcp_event_data_recv): adapt the timeout, start quick-acks where due.</summary>
    /// <param name="window">The receive window last advertised, in bytes.</param>
    /// <param name="receiveMss">The largest segment received so far (Linux rcv_mss), this one included.</param>
    public void OnData(Instant now, TimeSpan rto, int window, int receiveMss)
    {
        if (_ato == TimeSpan.Zero)
        {
            // The first data: quick-acks for the sender's slow start.
            AddQuickAcks(MaxQuickAcks, window, receiveMss);
            _ato = AtoMin;
        }
        else
        {
            TimeSpan gap = now - _lastReceived;
            if (gap <= AtoMin / 2)
            {
                _ato = _ato / 2 + AtoMin / 2;
            }
            else if (gap < _ato)
            {
                _ato = Min(_ato / 2 + gap, rto);
            }
            else if (gap > rto)
            {
                // A silence longer than the RTO: the sender restarts from a small window; do not slow it.
                AddQuickAcks(MaxQuickAcks, window, receiveMss);
            }
        }
        _lastReceived = now;
    }

    /// <summary>Linux's tcp_enter_quickack_mode: data we already had, or a hole the peer must hear of at once.</summary>
    public void EnterQuickAckMode(int window, int receiveMss)
    {
        AddQuickAcks(MaxQuickAcks, window, receiveMss);
        PingPong = false;
        _ato = AtoMin;
    }

    /// <summary>The handshake ended (Linux tcp_finish_connect sets lrcvtime): a reply timed from here can be interactive.</summary>
    public void OnConnected(Instant now) => _lastReceived = now;

    /// <summary>An ACK left (tcp_dec_quickack_mode): one quick-ack used if it acknowledged data waiting for one.</summary>
    public void OnAckSent(bool acknowledgedNewData)
    {
        if (QuickAcks == 0 || !acknowledgedNewData) return;
        if (--QuickAcks == 0) _ato = AtoMin;
    }

    /// <summary>Data left (tcp_event_data_sent): an answer within the ACK timeout makes the connection interactive.</summary>
    public void OnDataSent(Instant now)
    {
        if (_ato > TimeSpan.Zero && now - _lastReceived < _ato) PingPong = true;
    }

    /// <summary>How long an ACK may wait now (tcp_send_delayed_ack): the timeout, bounded by the RTT once known.</summary>
    public TimeSpan Delay(TimeSpan? smoothedRtt)
    {
        TimeSpan ato = _ato == TimeSpan.Zero ? AtoMin : _ato;
        if (ato <= AtoMin) return ato;
        TimeSpan max = PingPong ? DelayMaxInteractive : DelayMax;
        if (smoothedRtt is { } srtt && srtt > TimeSpan.Zero) max = Min(max, Max(srtt, AtoMin));
        return Min(ato, max);
    }

    /// <summary>The delayed-ACK timer fired with data unacknowledged (tcp_delack_timer_handler).</summary>
    public void OnTimerFired(TimeSpan rto)
    {
        if (!PingPong)
        {
            _ato = Min(2 * (_ato == TimeSpan.Zero ? AtoMin : _ato), rto); // Missed: the sender is slower than we thought.
        }
        else
        {
            PingPong = false; // Missed while waiting for an answer: not interactive after all.
            _ato = AtoMin;
        }
    }

    /// <summary>Linux's tcp_incr_quickack: one quick-ack per two segments the window holds (at least 2), at most <paramref name="max"/>.</summary>
    private void AddQuickAcks(int max, int window, int receiveMss)
    {
        int quick = window / (2 * Math.Max(receiveMss, 1));
        if (quick == 0) quick = 2;
        quick = Math.Min(quick, max);
        if (quick > QuickAcks) QuickAcks = quick;
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
