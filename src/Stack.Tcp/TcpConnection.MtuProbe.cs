using Stack.Link.Time;
using Stack.Tcp.Sending;
using Stack.Tcp.Wire;

namespace Stack.Tcp;

// The sender MSS and the route it follows (Linux tcp_sync_mss, tcp_current_mss), and packetization-layer path MTU
// discovery (RFC 4821) as Linux's tcp_mtu_probe runs it: with TcpConfig.MtuProbing on, segments stay at the size
// of an MTU known to work (the search's low end) and, now and then, one larger segment probes the middle of the
// range; its ACK raises the MSS, its loss lowers the top of the range.
public sealed partial class TcpConnection
{
    /// <summary>Linux tcp_retries1: retransmission timeouts past this many suggest a black hole (tcp_write_timeout).</summary>
    private const int BlackHoleRetries = 3;

    /// <summary>Linux tcp_mtu_probe: cwnd, in segments, below which no probe is sent.</summary>
    private const int MinCwndToProbe = 11;

    private MtuProbeSearch _mtup;
    private int _pmtuCookie;      // Linux icsk_pmtu_cookie: the path MTU _mss was last computed from.
    private int _routeMtu;        // The path MTU as this connection last saw its route (Linux's cached dst).
    private int _routeGeneration; // The route generation _routeMtu was read at.
    private Instant _firstTimedOutSentAt; // Linux retrans_stamp, for the black hole check.

    /// <summary>This file's fields as a new connection has them (called by <see cref="Open"/>).</summary>
    private void ResetMtuProbe()
    {
        (_mtup, _pmtuCookie, _routeMtu, _routeGeneration, _firstTimedOutSentAt) = (default, 0, 0, 0, default);
    }

    /// <summary>The state of the RFC 4821 search (for tests and diagnostics).</summary>
    public MtuProbeSearch MtuProbe => _mtup;

    /// <summary>Linux tcp_mss_to_mtu: a segment of <paramref name="mss"/> payload as a whole IP packet.</summary>
    private int MssToMtu(int mss) => mss + IpHeaderLength + TcpHeader.MinLength + (_opt.Timestamps ? TimestampSpace : 0);

    /// <summary>
    /// Linux tcp_mtu_to_mss: the payload a packet of <paramref name="mtu"/> carries, within the peer's MSS and
    /// TCP_MAXSEG (mss_clamp), less the timestamps option, at least <see cref="MinMss"/>.
    /// </summary>
    private int MtuToMss(int mtu) =>
        Math.Max(MinMss, Math.Min(MssClamp, mtu - IpHeaderLength - TcpHeader.MinLength) - (_opt.Timestamps ? TimestampSpace : 0));

    /// <summary>Linux rx_opt.mss_clamp: the peer's MSS, or TCP_MAXSEG when lower.</summary>
    private int MssClamp => Math.Min(_opt.PeerMss, _config.MaxSegment ?? int.MaxValue);

    /// <summary>
    /// Linux tcp_sync_mss: the MSS for a path MTU of <paramref name="pathMtu"/> — while probing, no more than the
    /// search's low end allows, which is known to get through.
    /// </summary>
    private void SyncMss(int pathMtu)
    {
        _mtup.CapHigh(pathMtu);
        int mss = MtuToMss(pathMtu);
        _pmtuCookie = pathMtu;
        if (_mtup.Enabled)
        {
            mss = Math.Min(mss, MtuToMss(_mtup.Low));
        }
        _mss = mss;
        _cc?.SetMss(mss);
    }

    /// <summary>The MSS from the path MTU once the handshake said the peer's MSS and options.</summary>
    private void SyncMssAtHandshake(Instant now)
    {
        _routeGeneration = _layer.Host.RouteGeneration;
        _routeMtu = _layer.Host.PathMtu(Tuple.RemoteAddress, now);
        SyncMss(_routeMtu);
    }

    /// <summary>
    /// A segment leaves: if routes changed since this connection last looked (Linux ip_queue_xmit's
    /// __sk_dst_check on a dst made obsolete by <c>ip route change</c>), it reads its route's MTU again. The MSS
    /// follows at the start of the next sending pass (<see cref="SyncMssToRoute"/>), not in the middle of this one.
    /// </summary>
    private void RefreshRoute(Instant now)
    {
        int generation = _layer.Host.RouteGeneration;
        if (generation != _routeGeneration && _routeMtu > 0)
        {
            _routeGeneration = generation;
            _routeMtu = _layer.Host.PathMtu(Tuple.RemoteAddress, now);
        }
    }

    /// <summary>Linux tcp_current_mss: a route MTU other than the one the MSS was computed from takes effect.</summary>
    private void SyncMssToRoute()
    {
        if (_routeMtu > 0 && _routeMtu != _pmtuCookie)
        {
            SyncMss(_routeMtu);
        }
    }

    /// <summary>The initial (and restart) window in segments: the route's initcwnd, else the configured one.</summary>
    private int InitialWindow => _layer.Host.RouteMetrics(Tuple.RemoteAddress).InitialCwnd ?? _config.InitialWindowSegments;

    /// <summary>
    /// Linux tcp_mtup_init, as the connection is established (tcp_init_transfer): the search spans from the MTU of
    /// tcp_base_mss to what the peer's MSS allows. The MSS itself stays until the next sync.
    /// </summary>
    private void InitMtuProbing(Instant now) =>
        _mtup.Init(_config.MtuProbing == MtuProbing.Always, MssClamp + TcpHeader.MinLength + IpHeaderLength,
            MssToMtu(_config.MtuProbeBaseMss), now);

    /// <summary>
    /// Linux tcp_connect_init → tcp_mtup_init: an active open starts the search before its SYN, so the MSS the
    /// SYN-ACK sets is already the search's low end (tcp_base_mss), as RFC 4821 §7.2 starts; the options are not
    /// negotiated yet, so the low end counts the timestamps the SYN offers.
    /// </summary>
    private void InitMtuProbingForConnect(Instant now) =>
        _mtup.Init(_config.MtuProbing == MtuProbing.Always, MssClamp + TcpHeader.MinLength + IpHeaderLength,
            _config.MtuProbeBaseMss + TcpHeader.MinLength + IpHeaderLength + (_config.Timestamps ? TimestampSpace : 0), now);

    private enum ProbeOutcome { NotSent, Wait, Sent }

    /// <summary>
    /// Linux tcp_mtu_probe, at the start of a sending pass: when the search has room, cwnd is large enough and
    /// enough data waits, one segment the size of the middle of the range leaves first. <see cref="ProbeOutcome.Wait"/>
    /// ends the pass with nothing sent: the probe waits for the window or for cwnd to drain.
    /// </summary>
    private ProbeOutcome TryMtuProbe(Instant now)
    {
        if (!_mtup.Enabled || _mtup.ProbeSize != 0 || _recoveryState != RecoveryState.Open || _cc is null
            || _cc.Cwnd / _mss < MinCwndToProbe || SackBlocksToSend > 0)
        {
            return ProbeOutcome.NotSent;
        }
        int probeLength = MtuToMss(_mtup.NextProbe);
        int sizeNeeded = probeLength + (_reordering + 1) * _mss;
        if (probeLength > MtuToMss(_mtup.High) || _mtup.High - _mtup.Low < _config.MtuProbeThreshold)
        {
            CheckReprobe(now);
            return ProbeOutcome.NotSent;
        }
        if (NotSentBytes < sizeNeeded || _snd.Wnd < sizeNeeded)
        {
            return ProbeOutcome.NotSent;
        }
        if ((_snd.Nxt - _snd.Una) + (long)sizeNeeded > _snd.Wnd)
        {
            return ProbeOutcome.Wait;
        }
        int inFlight = PacketsInFlight;
        if (inFlight + 2 > _cc.Cwnd / _mss)
        {
            return inFlight == 0 ? ProbeOutcome.NotSent : ProbeOutcome.Wait;
        }
        if (NextHardSkbEnd(_snd.Nxt) is { } end && end - _snd.Nxt < probeLength)
        {
            return ProbeOutcome.NotSent; // tcp_can_coalesce_send_queue_head: an skb that may not merge (EOR).
        }
        SeqNum start = _snd.Nxt;
        if (!SendNew(probeLength, fin: false, now))
        {
            return ProbeOutcome.NotSent;
        }
        _cc.Cwnd = Math.Max(_mss, _cc.Cwnd - _mss); // Linux: the probe counts as two packets.
        _mtup.ProbeSent(MssToMtu(probeLength), start, _snd.Nxt);
        _layer.Statistics.MtuProbesSent++;
        return ProbeOutcome.Sent;
    }

    /// <summary>Linux tcp_packets_in_flight: segments out, less those SACKed or lost, plus those resent.</summary>
    private int PacketsInFlight
    {
        get
        {
            int n = 0;
            for (int i = 0; i < _segments.Count; i++)
            {
                SentSegment s = _segments[i];
                if (!s.IsSacked && (!s.IsLost || s.IsRetransmitted))
                {
                    n++;
                }
            }
            return n;
        }
    }

    /// <summary>
    /// Linux tcp_mtu_check_reprobe: tcp_probe_interval after the search began, a new one starts from the MSS in
    /// use up to what the peer's MSS allows (a path may have grown).
    /// </summary>
    private void CheckReprobe(Instant now)
    {
        if (_mtup.ReprobeDue(_config.MtuProbeInterval, now))
        {
            _mtup.Init(enabled: true, MssClamp + TcpHeader.MinLength + IpHeaderLength, MssToMtu(_mss), now);
        }
    }

    /// <summary>
    /// Linux tcp_clean_rtx_queue → tcp_mtup_probe_success: the probe is acknowledged. Its size becomes the low end
    /// of the search and the MSS grows to it; cwnd keeps the bytes it allowed, in larger segments.
    /// </summary>
    private void CheckMtuProbeAcked()
    {
        if (_mtup.ProbeSize == 0 || _snd.Una < _mtup.ProbeEnd || _cc is null)
        {
            return;
        }
        _priorSsthresh = CurrentSsthresh();
        long packets = Math.Max(1, (long)(_cc.Cwnd / _mss) * MssToMtu(_mss) / _mtup.ProbeSize);
        _mtup.ProbeSucceeded();
        SyncMss(_pmtuCookie);
        _cc.Cwnd = (int)Math.Min(packets * _mss, int.MaxValue);
        _cc.Restart(_cc.Cwnd, CurrentSsthresh());
        _layer.Statistics.MtuProbesSucceeded++;
    }

    /// <summary>
    /// Linux tcp_fastretrans_alert: loss found while the probe is the first unacknowledged segment is taken as the
    /// probe being too big, not as congestion. The search's top comes down, cwnd gets back the packet the probe
    /// took, and what no longer fits the MSS goes again (tcp_simple_retransmit). True when so.
    /// </summary>
    private bool MtuProbeLost()
    {
        if (_recoveryState >= RecoveryState.Cwr || _mtup.ProbeSize == 0 || _snd.Una != _mtup.ProbeStart || _cc is null)
        {
            return false;
        }
        _mtup.ProbeFailed();
        _cc.Cwnd += _mss;
        _layer.Statistics.MtuProbesFailed++;
        SyncMssToRoute(); // tcp_simple_retransmit sizes what goes again by tcp_current_mss.
        RetransmitTooBig();
        return true;
    }

    /// <summary>
    /// Linux tcp_write_timeout → tcp_mtu_probing: timeouts that go on past tcp_retries1's worth of backoff suggest
    /// a black hole that drops large packets. With probing allowed, the first such timeout turns it on; later ones
    /// halve the low end of the search (within tcp_base_mss and tcp_mtu_probe_floor), and the MSS follows.
    /// </summary>
    private void OnPossibleBlackHole(Instant now)
    {
        if (_retries == 0)
        {
            // Linux retrans_stamp: when the segment the timeouts resend first left.
            _firstTimedOutSentAt = _segments.IsEmpty ? now : _segments[0].SentAt;
            return;
        }
        if (_config.MtuProbing == MtuProbing.Off || _state is TcpState.SynSent or TcpState.SynReceived
            || now - _firstTimedOutSentAt < BlackHoleTimeout)
        {
            return;
        }
        int mss = Math.Min(_config.MtuProbeBaseMss, MtuToMss(_mtup.Low) >> 1);
        mss = Math.Max(Math.Max(mss, _config.MtuProbeFloor), MinMss);
        _mtup.OnBlackHole(MssToMtu(mss), now);
        SyncMss(_pmtuCookie);
    }

    /// <summary>Linux retransmits_timed_out(tcp_retries1): the backoff of that many timeouts from TCP_RTO_MIN.</summary>
    private static readonly TimeSpan BlackHoleTimeout = TimeSpan.FromMilliseconds(((2 << BlackHoleRetries) - 1) * 200);
}
