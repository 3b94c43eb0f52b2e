using Stack.Tcp.Buffers;
using Stack.Tcp.FastOpen;

namespace Stack.Tcp;

/// <summary>
/// The knobs of one connection (or of a listener's accepted connections), defaults as Linux where sensible.
/// A record: copy with <c>with</c> to change a setting, e.g. <c>TcpConfig.Default with { NoDelay = true }</c>.
/// </summary>
public sealed record TcpConfig
{
    public static TcpConfig Default { get; } = new();

    /// <summary>
    /// Linux's sk_sndbuf: the send-buffer memory a connection may queue, counted as Linux counts it (each skb's
    /// payload plus <see cref="SendBufferSkbOverhead"/>; see TcpConnection.SendMemory.cs), so a write takes
    /// somewhat less than this many bytes. SO_SNDBUF sets twice what it is given (<see cref="FromSoSndBuf"/>).
    /// Default 1 MiB.
    /// </summary>
    public int SendBufferSize { get; init; } = SendBuffer.DefaultCapacity;

    /// <summary>
    /// Linux's tcp_wmem[2]: how far the send buffer may grow from the congestion window once connected
    /// (tcp_sndbuf_expand), unless <see cref="SendBufferLocked"/>. Default 1 MiB, so by default it does not grow.
    /// </summary>
    public int SendBufferMax { get; init; } = SendBuffer.DefaultCapacity;

    /// <summary>Linux's SOCK_SNDBUF_LOCK: the size was set with SO_SNDBUF and is never grown. Default false.</summary>
    public bool SendBufferLocked { get; init; }

    /// <summary>The bytes of bookkeeping Linux counts for each skb beside its payload (an empty skb's truesize).</summary>
    public const int SendBufferSkbOverhead = 1280;

    /// <summary>Linux's SOCK_MIN_SNDBUF: 2 · (2048 + sizeof(struct sk_buff)), the least SO_SNDBUF gives.</summary>
    public const int MinSendBufferSize = 4608;

    /// <summary>
    /// SO_SNDBUF as Linux's sock_setsockopt applies it: the value (at most <paramref name="max"/>, Linux's
    /// net.core.wmem_max) doubled for bookkeeping, at least <see cref="MinSendBufferSize"/>, and locked.
    /// </summary>
    public TcpConfig FromSoSndBuf(long requested, long max = SendBuffer.MaxCapacity / 2) => this with
    {
        SendBufferSize = (int)Math.Clamp(2 * Math.Min(Math.Max(requested, 0), max), MinSendBufferSize, SendBuffer.MaxCapacity),
        SendBufferLocked = true,
    };

    /// <summary>SO_RCVBUF: bytes received and not yet read, out-of-order data included. Default 1 MiB (window scale 7 advertises all of it).</summary>
    public int ReceiveBufferSize { get; init; } = ReceiveBuffer.DefaultCapacity;

    /// <summary>
    /// TCP_NOTSENT_LOWAT (Linux; the tcp_notsent_lowat sysctl when the option is 0): Send takes no more once this
    /// many written bytes wait unsent, and the connection counts as writable only below half of it. Default
    /// 4294967295, Linux's UINT_MAX: no limit but the send buffer.
    /// </summary>
    public long NotSentLowat { get; init; } = uint.MaxValue;

    /// <summary>Maximum segment lifetime; TIME-WAIT lasts 2·MSL (RFC 9293 §3.4.2). Default 30 s (Linux: 60 s TIME-WAIT).</summary>
    public TimeSpan Msl { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>RTO before any RTT sample (RFC 6298 §2.1). Default 1 s.</summary>
    public TimeSpan InitialRto { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Lower bound of the RTO. Default 200 ms (Linux TCP_RTO_MIN; RFC 6298 says 1 s).</summary>
    public TimeSpan MinRto { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Upper bound of the RTO, backoff included. Default 120 s (Linux TCP_RTO_MAX).</summary>
    public TimeSpan MaxRto { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>
    /// How RTT samples become the RTO. Default Linux's (tcp_rtt_estimator: SRTT + a per-round variance maximum
    /// of at least <see cref="MinRto"/>, samples from send times before timestamps, each at full gain), which
    /// Linux's packetdrill suite times; <see cref="Rto.RtoFormula.Rfc6298"/> gives RFC 6298 §2 with RFC 7323
    /// Appendix G's gains instead.
    /// </summary>
    public Rto.RtoFormula RtoFormula { get; init; } = Rto.RtoFormula.Linux;

    /// <summary>connect() gives up this long after the first SYN (seed §4.3, 4.4BSD: 75 s; Linux ~127 s).</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(75);

    /// <summary>Retransmission timeouts of data or FIN before the connection fails (Linux tcp_retries2 = 15).</summary>
    public int Retries { get; init; } = 15;

    /// <summary>SYN-ACK retransmissions before a half-open connection is dropped (Linux tcp_synack_retries = 5).</summary>
    public int SynAckRetries { get; init; } = 5;

    /// <summary>TCP_USER_TIMEOUT (RFC 5482): also fail when data stays unacknowledged this long. Null: off.</summary>
    public TimeSpan? UserTimeout { get; init; }

    /// <summary>TCP_LINGER2: how long a closed connection waits in FIN-WAIT-2 for the peer's FIN. Default 60 s.</summary>
    public TimeSpan FinWait2Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// TCP_MAXSEG: an upper bound on the MSS we announce and on the segments we send, below what the MTU gives
    /// (Linux's user_mss; 88 to 65535). Null: the MTU's.
    /// </summary>
    public int? MaxSegment { get; init; }

    /// <summary>TCP_NODELAY: disable Nagle's algorithm (RFC 1122 §4.2.3.4). Default false.</summary>
    public bool NoDelay { get; init; }

    /// <summary>
    /// TCP_CORK: hold a segment shorter than the MSS until the cork is taken out, as Linux's TCP_NAGLE_CORK (data
    /// held with nothing in flight still leaves when the probe timer fires). Default false.
    /// </summary>
    public bool Cork { get; init; }

    /// <summary>
    /// TCP_FASTOPEN_KEY on a listener: its own Fast Open cookie key, and optionally a backup whose cookies still
    /// count (Linux's per-socket fastopenq.ctx). Null: the layer's (<see cref="TcpFastOpen.Key"/>).
    /// </summary>
    public FastOpenKey? FastOpenKey { get; init; }

    /// <summary>The backup key that goes with <see cref="FastOpenKey"/>, if any.</summary>
    public FastOpenKey? FastOpenBackupKey { get; init; }

    /// <summary>
    /// TCP_QUICKACK kept on: acknowledge every data segment at once instead of delaying the ACK (RFC 9293
    /// §3.8.6.3). Default false: ACK every second full-sized segment, else within 40 ms.
    /// </summary>
    public bool QuickAck { get; init; }

    /// <summary>SO_KEEPALIVE: probe a connection the peer has been silent on (RFC 1122 §4.2.3.6). Default off.</summary>
    public bool KeepAlive { get; init; }

    /// <summary>TCP_KEEPIDLE: silence before the first keep-alive probe (Linux 2 h; RFC 1122: at least 2 h).</summary>
    public TimeSpan KeepAliveIdle { get; init; } = TimeSpan.FromHours(2);

    /// <summary>TCP_KEEPINTVL: between unanswered probes (Linux 75 s).</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(75);

    /// <summary>TCP_KEEPCNT: unanswered probes before the connection fails with TimedOut (Linux 9).</summary>
    public int KeepAliveProbes { get; init; } = 9;

    /// <summary>Offer RFC 7323 timestamps on SYNs. Default true.</summary>
    public bool Timestamps { get; init; } = true;

    /// <summary>Offer RFC 2018 selective acknowledgments (sackOK) on SYNs. Default true (Linux).</summary>
    public bool Sack { get; init; } = true;

    /// <summary>The congestion control algorithm (TCP_CONGESTION). Default CUBIC, as Linux.</summary>
    public Congestion.CongestionControlKind CongestionControl { get; init; } = Congestion.CongestionControlKind.Cubic;

    /// <summary>Offer RFC 7323 window scaling on SYNs. Default true.</summary>
    public bool WindowScaling { get; init; } = true;

    /// <summary>The shift we offer, raised if the receive buffer needs more. Default 7 (Linux's usual value).</summary>
    public byte WindowScale { get; init; } = 7;

    /// <summary>SO_REUSEADDR for listeners: the port may be bound while connections on it are in TIME-WAIT.</summary>
    public bool ReuseAddress { get; init; }

    /// <summary>The initial congestion window in segments (RFC 6928: 10).</summary>
    public int InitialWindowSegments { get; init; } = 10;

    /// <summary>RFC 5961 §3–4: answer an in-window but inexact RST, or a SYN on a synchronized connection, with a challenge ACK. Default true (Linux).</summary>
    public bool ChallengeAcks { get; init; } = true;

    /// <summary>How lost segments are found on a SACK connection: RACK (RFC 8985, default, as Linux) or the RFC 6675 DupThresh rule.</summary>
    public Sending.LossDetectionKind LossDetection { get; init; } = Sending.LossDetectionKind.Rack;

    /// <summary>RFC 8985 §7 tail loss probes on SACK connections (Linux tcp_early_retrans 3). Default true.</summary>
    public bool TailLossProbe { get; init; } = true;

    /// <summary>RFC 2883 D-SACK: report duplicate segments received in the first SACK block (Linux tcp_dsack). Default true.</summary>
    public bool Dsack { get; init; } = true;

    /// <summary>
    /// Linux tcp_slow_start_after_idle (default on): after an RTO without sending, cwnd restarts from the initial
    /// window (RFC 5681 §4.1), and an application-limited cwnd decays (RFC 2861).
    /// </summary>
    public bool SlowStartAfterIdle { get; init; } = true;

    /// <summary>
    /// Pace a loss-based congestion control (CUBIC, NewReno) at Linux's pacing rate, as Linux does under the fq
    /// qdisc (tcp_update_skb_after_send's departure times: cwnd per SRTT at 200 % in slow start, 120 % after, one
    /// GSO packet as tcp_write_xmit cut it at a time; the first 10 segments unpaced; a sender that fell behind its
    /// schedule gains up to half a packet's time).
    /// Default off, as Linux with pfifo; BBR paces itself regardless.
    /// </summary>
    public bool FqPacing { get; init; }

    /// <summary>Linux tcp_min_tso_segs: the fewest segments Linux puts in one GSO packet (default 2); sets PSH placement.</summary>
    public int MinTsoSegments { get; init; } = 2;

    /// <summary>RFC 5682 F-RTO after a retransmission timeout on SACK connections (Linux tcp_frto). Default true.</summary>
    public bool Frto { get; init; } = true;

    /// <summary>RFC 3168 ECN (Linux tcp_ecn). Default <see cref="EcnMode.Passive"/>, as Linux: agree when asked.</summary>
    public EcnMode Ecn { get; init; } = EcnMode.Passive;

    /// <summary>
    /// IP_TOS / IPV6_TCLASS: the DSCP bits of every segment's TOS / traffic class byte. The ECN bits are TCP's own
    /// (Linux __ip_sock_set_tos keeps them for stream sockets), so the low two bits here are ignored.
    /// </summary>
    public byte TrafficClass { get; init; }

    /// <summary>
    /// IP_MTU_DISCOVER other than IP_PMTUDISC_DONT: segments carry DF, and a too-big error resends what no longer
    /// fits at once (RFC 1191). False: no DF, and a too-big error only shrinks later segments (Linux
    /// tcp_v4_mtu_reduced). Default true.
    /// </summary>
    public bool PathMtuDiscovery { get; init; } = true;

    /// <summary>
    /// Linux's tcp_mtu_probing: packetization-layer path MTU discovery (RFC 4821) by probing with larger segments
    /// (TcpConnection.MtuProbe.cs). Default <see cref="Sending.MtuProbing.Off"/>, as Linux's 0.
    /// </summary>
    public Sending.MtuProbing MtuProbing { get; init; } = Sending.MtuProbing.Off;

    /// <summary>Linux's tcp_base_mss: the MSS the probing search starts from (its low end). Default 1024.</summary>
    public int MtuProbeBaseMss { get; init; } = 1024;

    /// <summary>Linux's tcp_probe_threshold: the search stops when its range is narrower than this many bytes. Default 8.</summary>
    public int MtuProbeThreshold { get; init; } = 8;

    /// <summary>Linux's tcp_probe_interval: how long after a search began a new one starts. Default 600 s.</summary>
    public TimeSpan MtuProbeInterval { get; init; } = TimeSpan.FromSeconds(600);

    /// <summary>Linux's tcp_mtu_probe_floor: the least MSS a suspected black hole lowers the search to. Default 48.</summary>
    public int MtuProbeFloor { get; init; } = 48;

    /// <summary>
    /// The most connections kept in TIME-WAIT at once (Linux net.ipv4.tcp_max_tw_buckets): past it a connection
    /// that enters TIME-WAIT closes at once without a record, as Linux's tcp_time_wait does when inet_twsk_alloc
    /// refuses, counted in <see cref="TcpStatistics.TimeWaitOverflow"/>. Layer-wide, as the sysctl is per network
    /// namespace: the layer reads its own <see cref="TcpLayer.DefaultConfig"/>'s, and a socket's config does not
    /// change it. 0 keeps no TIME-WAIT at all. Each layer counts its own: a multi-queue stack's shards hold up to
    /// this many each (Linux's one count is shared by every CPU).
    /// </summary>
    /// <remarks>
    /// Linux's default is half its established-connection hash, which scales with memory (131,072 on a 24 GB
    /// machine, 32,768 on an 8 GB one). Here a record holds about 480 bytes (table and heap shares included,
    /// docs/figures.md), so the default of 131,072 — the kernel's on the machine the benchmarks compare against —
    /// bounds TIME-WAIT at about 60 MiB, and holds 60 s of TIME-WAIT for 2,000 active closes a second.
    /// </remarks>
    public int MaxTimeWait { get; init; } = DefaultMaxTimeWait;

    /// <summary>The default <see cref="MaxTimeWait"/>.</summary>
    public const int DefaultMaxTimeWait = 131_072;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(MaxTimeWait);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(SendBufferSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(SendBufferSize, SendBuffer.MaxCapacity);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(SendBufferMax, SendBuffer.MaxCapacity);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ReceiveBufferSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(ReceiveBufferSize, SendBuffer.MaxCapacity);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(WindowScale, (byte)14);
        if (MaxSegment is int maxSegment)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(maxSegment, 88, nameof(MaxSegment));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(maxSegment, 65535, nameof(MaxSegment));
        }
        ArgumentOutOfRangeException.ThrowIfNegative(Retries);
        ArgumentOutOfRangeException.ThrowIfNegative(SynAckRetries);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(InitialWindowSegments);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(KeepAliveIdle, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(KeepAliveInterval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfNegative(KeepAliveProbes);
        ArgumentOutOfRangeException.ThrowIfLessThan(MtuProbeBaseMss, 48, nameof(MtuProbeBaseMss));
        ArgumentOutOfRangeException.ThrowIfNegative(MtuProbeThreshold);
        ArgumentOutOfRangeException.ThrowIfLessThan(MtuProbeInterval, TimeSpan.Zero, nameof(MtuProbeInterval));
        ArgumentOutOfRangeException.ThrowIfLessThan(MtuProbeFloor, 48, nameof(MtuProbeFloor));
    }
}
