namespace Stack.Tcp;

/// <summary>
/// One reading of a connection's <c>struct tcp_info</c>, as Linux's tcp_get_info fills it: each field has the
/// unit Linux gives it (microseconds for RTTs and the RTO, segments for windows and the scoreboard, milliseconds
/// since for the last_* times, bytes per second for rates) and its sentinels (<see cref="InfiniteSsthresh"/>,
/// <see cref="NoMinRtt"/>). Taken with <see cref="TcpConnection.GetInfo"/> on the loop; <c>ss -i</c> and the script
/// runner's getsockopt(TCP_INFO) and %{ }% blocks both read it, so the arithmetic is done once.
/// </summary>
public readonly record struct TcpInfo
{
    /// <summary>tcpi_snd_ssthresh while slow start has no threshold (Linux TCP_INFINITE_SSTHRESH).</summary>
    public const long InfiniteSsthresh = 0x7fffffff;

    /// <summary>tcpi_min_rtt before the first RTT sample (Linux ~0U).</summary>
    public const long NoMinRtt = uint.MaxValue;

    /// <summary>tcpi_options bits (Linux TCPI_OPT_*).</summary>
    public const int OptTimestamps = 1, OptSack = 2, OptWscale = 4, OptSynData = 32, OptTfoChild = 128;

    /// <summary>
    /// What the runner reports for a socket with no connection yet: Linux's tcp_init_sock values (RTO 1 s, MSS
    /// 536, an initial window of 10, no ssthresh, reordering 3).
    /// </summary>
    public static TcpInfo Unconnected { get; } = new()
    {
        State = TcpState.Closed, CaState = RecoveryState.Open, Rto = 1_000_000, SndMss = 536, AdvMss = 536, RcvMss = 536,
        SndSsthresh = InfiniteSsthresh, SndCwnd = 10, Reordering = 3, MinRtt = NoMinRtt,
    };

    /// <summary>tcpi_state: the connection's state (a listener's socket reports LISTEN itself).</summary>
    public TcpState State { get; init; }

    /// <summary>tcpi_ca_state: Open, Disorder, CWR, Recovery or Loss.</summary>
    public RecoveryState CaState { get; init; }

    /// <summary>tcpi_options: <see cref="OptTimestamps"/>, <see cref="OptSack"/>, <see cref="OptWscale"/>, <see cref="OptSynData"/>, <see cref="OptTfoChild"/>.</summary>
    public int Options { get; init; }

    /// <summary>tcpi_snd_wscale: the shift the peer's windows are scaled by.</summary>
    public int SndWscale { get; init; }

    /// <summary>tcpi_rcv_wscale: the shift our windows are scaled by.</summary>
    public int RcvWscale { get; init; }

    /// <summary>tcpi_rto, microseconds.</summary>
    public long Rto { get; init; }

    /// <summary>tcpi_snd_mss: the MSS segments are sent with.</summary>
    public int SndMss { get; init; }

    /// <summary>tcpi_rcv_mss: the peer's segment size as we estimate it.</summary>
    public int RcvMss { get; init; }

    /// <summary>tcpi_advmss: the MSS we announced.</summary>
    public int AdvMss { get; init; }

    /// <summary>tcpi_unacked (Linux packets_out): segments sent and not cumulatively acknowledged.</summary>
    public long Unacked { get; init; }

    /// <summary>tcpi_sacked, segments (the scoreboard's bytes over the MSS, rounded up).</summary>
    public long Sacked { get; init; }

    /// <summary>tcpi_lost, segments.</summary>
    public long Lost { get; init; }

    /// <summary>tcpi_retrans: segments retransmitted and not yet acknowledged.</summary>
    public long Retrans { get; init; }

    /// <summary>tcpi_snd_ssthresh, segments; <see cref="InfiniteSsthresh"/> when there is none.</summary>
    public long SndSsthresh { get; init; }

    /// <summary>
    /// tcpi_snd_cwnd, segments. Before congestion control starts (the handshake not done) the stack's window is
    /// unbounded: this is then 2^30 bytes over the MSS and <see cref="CwndUnbounded"/> says so.
    /// </summary>
    public long SndCwnd { get; init; }

    /// <summary>No congestion window yet (before the handshake completes): <c>ss</c> shows cwnd 0 then.</summary>
    public bool CwndUnbounded { get; init; }

    /// <summary>tcpi_total_retrans: segments retransmitted over the connection's life.</summary>
    public long TotalRetrans { get; init; }

    /// <summary>tcpi_rtt: the smoothed RTT, microseconds (Linux srtt_us &gt;&gt; 3); 0 before a sample.</summary>
    public long Rtt { get; init; }

    /// <summary>tcpi_rttvar, microseconds (Linux mdev_us &gt;&gt; 2); 0 before a sample.</summary>
    public long RttVar { get; init; }

    /// <summary>tcpi_backoff: RTO backoffs since the last ACK that moved SND.UNA.</summary>
    public int Backoff { get; init; }

    /// <summary>tcpi_reordering: how many segments deep reordering has been seen (3 until it has).</summary>
    public int Reordering { get; init; }

    /// <summary>tcpi_reord_seen: ACKs that showed reordering.</summary>
    public int ReordSeen { get; init; }

    /// <summary>tcpi_delivered: segments the peer received, the SYN included.</summary>
    public long Delivered { get; init; }

    /// <summary>tcpi_probes: zero-window probes out since the peer last acknowledged anything.</summary>
    public int Probes { get; init; }

    /// <summary>tcpi_min_rtt, microseconds, over the last 300 s; <see cref="NoMinRtt"/> before a sample.</summary>
    public long MinRtt { get; init; }

    /// <summary>tcpi_last_data_recv: milliseconds since data last arrived.</summary>
    public long LastDataRecv { get; init; }

    /// <summary>tcpi_last_data_sent: milliseconds since data last left.</summary>
    public long LastDataSent { get; init; }

    /// <summary>tcpi_last_ack_recv: milliseconds since an acceptable ACK last arrived.</summary>
    public long LastAckRecv { get; init; }

    /// <summary>tcpi_snd_wnd: the peer's window, bytes (a u32 in Linux).</summary>
    public long SndWnd { get; init; }

    /// <summary>tcpi_bytes_acked.</summary>
    public long BytesAcked { get; init; }

    /// <summary>tcpi_bytes_received.</summary>
    public long BytesReceived { get; init; }

    /// <summary>tcpi_bytes_sent: payload bytes sent, resends included.</summary>
    public long BytesSent { get; init; }

    /// <summary>tcpi_bytes_retrans.</summary>
    public long BytesRetrans { get; init; }

    /// <summary>tcpi_data_segs_out.</summary>
    public long DataSegsOut { get; init; }

    /// <summary>tcpi_data_segs_in.</summary>
    public long DataSegsIn { get; init; }

    /// <summary>tcpi_dsack_dups: segments the peer reported received twice.</summary>
    public long DsackDups { get; init; }

    /// <summary>tcpi_notsent_bytes: written and not yet sent.</summary>
    public long NotsentBytes { get; init; }

    /// <summary>tcpi_busy_time, microseconds (tcp_get_info_chrono_stats).</summary>
    public long BusyTime { get; init; }

    /// <summary>tcpi_rwnd_limited, microseconds.</summary>
    public long RwndLimited { get; init; }

    /// <summary>tcpi_sndbuf_limited, microseconds.</summary>
    public long SndbufLimited { get; init; }

    /// <summary>tcpi_delivery_rate, bytes per second.</summary>
    public double DeliveryRate { get; init; }

    /// <summary>tcpi_delivery_rate_app_limited.</summary>
    public bool DeliveryRateAppLimited { get; init; }

    /// <summary>tcpi_pacing_rate, bytes per second (0 when not pacing).</summary>
    public double PacingRate { get; init; }
}
