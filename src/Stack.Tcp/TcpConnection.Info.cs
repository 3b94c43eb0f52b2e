using Stack.Link.Time;

namespace Stack.Tcp;

// The counters behind Linux's struct tcp_info (tcp_get_info) that the rest of the connection does not keep for
// its own use: segments delivered, reordering events, zero-window probes, the last times data and ACKs moved,
// and byte totals. Each is kept where Linux keeps its own, so that a reading means what Linux's does.
public sealed partial class TcpConnection
{
    private long _deliveredSegments;
    private int _reorderSeen;
    private int _probesOut;
    private Instant _lastDataReceivedAt;
    private Instant _lastDataSentAt;
    private Instant _lastAckReceivedAt;
    private long _bytesAcked;
    private long _bytesReceived;
    private long _bytesSent;
    private long _bytesRetransmitted;
    private long _dataSegmentsOut;
    private long _dataSegmentsIn;
    private TimeSpan? _minRtt;
    private Instant _minRttAt;

    /// <summary>This file's fields as a new connection has them (called by <see cref="Open"/>).</summary>
    private void ResetInfo()
    {
        (_deliveredSegments, _reorderSeen, _probesOut) = (0, 0, 0);
        (_lastDataReceivedAt, _lastDataSentAt, _lastAckReceivedAt) = (default, default, default);
        (_bytesAcked, _bytesReceived, _bytesSent, _bytesRetransmitted) = (0, 0, 0, 0);
        (_dataSegmentsOut, _dataSegmentsIn, _minRtt, _minRttAt) = (0, 0, null, default);
    }

    /// <summary>
    /// Linux tp->reordering: how many segments deep the path has been seen to reorder (3 until it has), which
    /// also sets how many duplicate ACKs or SACKed segments it takes to call a segment lost without RACK.
    /// </summary>
    public int Reordering => _reordering;

    /// <summary>Linux tp->reord_seen: ACKs that showed the network reordering (tcp_check_sack_reordering).</summary>
    public int ReorderingEvents => _reorderSeen;

    /// <summary>
    /// Linux tp->delivered: segments the peer received, by cumulative ACK or SACK, the SYN or SYN-ACK included
    /// (each duplicate ACK counts one without SACK).
    /// </summary>
    public long DeliveredSegments => _deliveredSegments;

    /// <summary>Linux icsk_probes_out: zero-window probes sent since the peer last acknowledged anything.</summary>
    public int ProbesOut => _probesOut;

    /// <summary>When data last arrived (Linux icsk_ack.lrcvtime; the handshake's end before any).</summary>
    public Instant LastDataReceivedAt => _lastDataReceivedAt;

    /// <summary>When data last left, resent or not (Linux tp->lsndtime).</summary>
    public Instant LastDataSentAt => _lastDataSentAt;

    /// <summary>When an acceptable ACK last arrived (Linux tp->rcv_tstamp).</summary>
    public Instant LastAckReceivedAt => _lastAckReceivedAt;

    /// <summary>Linux tp->bytes_acked: bytes of ours the peer acknowledged cumulatively.</summary>
    public long BytesAcked => _bytesAcked;

    /// <summary>Linux tp->bytes_received: bytes of the peer's that advanced RCV.NXT.</summary>
    public long BytesReceived => _bytesReceived;

    /// <summary>Linux tp->bytes_sent: payload bytes sent, resends included.</summary>
    public long BytesSent => _bytesSent;

    /// <summary>Linux tp->bytes_retrans: payload bytes resent.</summary>
    public long BytesRetransmitted => _bytesRetransmitted;

    /// <summary>Linux tp->data_segs_out: segments sent with payload, resends included.</summary>
    public long DataSegmentsOut => _dataSegmentsOut;

    /// <summary>Linux tp->data_segs_in: segments received with payload.</summary>
    public long DataSegmentsIn => _dataSegmentsIn;

    /// <summary>Linux tp->packets_out: segments sent and not cumulatively acknowledged, SACKed or lost ones included.</summary>
    public int SegmentsOut => _segments.Count;

    /// <summary>Linux tp->dsack_dups: segments the peer reported received twice (D-SACK).</summary>
    public long DsackSegments => _dsackSegments;

    /// <summary>Bytes written and not yet sent (Linux tcpi_notsent_bytes: write_seq − snd_nxt).</summary>
    public int NotSentBytes => Math.Max(0, _snd.BufStart + _send.Count - _snd.Nxt);

    /// <summary>The smallest RTT seen in the last 300 s (Linux tcp_min_rtt, tcp_update_rtt_min); null before a sample.</summary>
    public TimeSpan? MinRtt => _minRtt;

    /// <summary>
    /// This connection's <c>struct tcp_info</c> at <paramref name="now"/> (Linux tcp_get_info): what <c>ss -i</c>
    /// and getsockopt(TCP_INFO) report. Loop thread only.
    /// </summary>
    public TcpInfo GetInfo(Instant now)
    {
        int mss = Math.Max(1, _mss);
        var (sacked, lost, retransmitted) = Scoreboard;
        int cwnd = CongestionWindow;
        int ssthresh = SlowStartThreshold;
        return new TcpInfo
        {
            State = _state,
            CaState = RecoveryState,
            Options = (TimestampsEnabled ? TcpInfo.OptTimestamps : 0) | (SackEnabled ? TcpInfo.OptSack : 0)
                | (_snd.Wscale > 0 || _rcv.Wscale > 0 ? TcpInfo.OptWscale : 0)
                | (SynDataAccepted ? TcpInfo.OptSynData : 0) | (IsFastOpenChild ? TcpInfo.OptTfoChild : 0),
            SndWscale = _snd.Wscale,
            RcvWscale = _rcv.Wscale,
            Rto = Microseconds(Rto),
            SndMss = _mss,
            RcvMss = ReceiveMss,
            AdvMss = AdvertisedMss,
            Unacked = SegmentsOut,
            Sacked = Segments(sacked, mss),
            Lost = Segments(lost, mss),
            Retrans = Segments(retransmitted, mss),
            SndSsthresh = ssthresh >= 1 << 30 ? TcpInfo.InfiniteSsthresh : ssthresh / mss,
            SndCwnd = Math.Min(cwnd, int.MaxValue / 2) / mss,
            CwndUnbounded = cwnd >= int.MaxValue / 2,
            TotalRetrans = TotalRetransmissions,
            Rtt = Microseconds(SmoothedRtt ?? TimeSpan.Zero),
            RttVar = Microseconds(RttVariance ?? TimeSpan.Zero),
            Backoff = RtoBackoffs,
            Reordering = _reordering,
            ReordSeen = _reorderSeen,
            Delivered = _deliveredSegments,
            Probes = _probesOut,
            MinRtt = _minRtt is { } min ? Microseconds(min) : TcpInfo.NoMinRtt,
            // Milliseconds since, as Linux's jiffies_to_msecs(now - stamp).
            LastDataRecv = MillisecondsSince(_lastDataReceivedAt, now),
            LastDataSent = MillisecondsSince(_lastDataSentAt, now),
            LastAckRecv = MillisecondsSince(_lastAckReceivedAt, now),
            SndWnd = Math.Min(SendWindow, uint.MaxValue),
            BytesAcked = _bytesAcked,
            BytesReceived = _bytesReceived,
            BytesSent = _bytesSent,
            BytesRetrans = _bytesRetransmitted,
            DataSegsOut = _dataSegmentsOut,
            DataSegsIn = _dataSegmentsIn,
            DsackDups = DsackSegments,
            NotsentBytes = NotSentBytes,
            BusyTime = Microseconds(BusyTime(now)),
            RwndLimited = Microseconds(RwndLimitedTime(now)),
            SndbufLimited = Microseconds(SndbufLimitedTime(now)),
            DeliveryRate = DeliveryRate,
            DeliveryRateAppLimited = DeliveryRateAppLimited,
            PacingRate = PacingRate,
        };

        static long Microseconds(TimeSpan t) => t.Ticks / TimeSpan.TicksPerMicrosecond;
        static long MillisecondsSince(Instant then, Instant now) => Math.Max(0, (now - then).Ticks / TimeSpan.TicksPerMillisecond);
        static long Segments(int bytes, int mss) => (bytes + mss - 1) / mss;
    }

    private void OnRttSampleForInfo(TimeSpan rtt, Instant now)
    {
        if (_minRtt is not { } min || rtt <= min || now - _minRttAt > Sending.Rack.MinRttWindow)
        {
            _minRtt = rtt;
            _minRttAt = now;
        }
    }

    /// <summary>
    /// What one ACK delivered, for tp->delivered: Linux counts segments (tcp_skb_pcount) of each record ACKed or
    /// SACKed, which for full segments is the bytes over the MSS rounded up.
    /// </summary>
    private void CountDelivered(int bytes)
    {
        if (bytes > 0)
        {
            _deliveredSegments += (bytes + _mss - 1) / _mss;
        }
    }

    /// <summary>
    /// Linux tcp_check_sack_reordering: each ACK that shows a segment arriving after one sent later is an event
    /// (tp->reord_seen), and the depth, in segments, raises tp->reordering up to tcp_max_reordering.
    /// </summary>
    private void NoteReordering(int distance)
    {
        if (distance <= 0)
        {
            return;
        }
        _reorderSeen++;
        _reordering = Math.Min(MaxReordering, Math.Max(_reordering, (distance + _mss - 1) / _mss));
    }

    private void CountSent(int len, bool resend, Instant now)
    {
        if (len <= 0)
        {
            return;
        }
        _bytesSent += len;
        _layer.Statistics.BytesSent += len;
        _dataSegmentsOut++;
        if (resend)
        {
            _bytesRetransmitted += len;
            _layer.Statistics.BytesRetransmitted += len;
        }
        // Linux tcp_event_data_sent, for every segment with data, resends included: CA_EVENT_TX_START when
        // nothing was in flight, and lsndtime (its pingpong test is AckTiming.OnDataSent, in TransmitSegment).
        if (Pipe == 0)
        {
            _cc?.OnTransmitStart(now - _lastDataSentAt, now);
        }
        _lastDataSentAt = now;
    }
}
