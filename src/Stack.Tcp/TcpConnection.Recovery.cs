using Stack.Link.Time;
using Stack.Tcp.Congestion;
using Stack.Tcp.Diagnostics;
using Stack.Tcp.Sending;
using Stack.Tcp.Wire;

namespace Stack.Tcp;

// Loss recovery on the sending side, after Linux's tcp_ack/tcp_fastretrans_alert. Each ACK is first taken into
// the records (SentSegments: cumulative ACK, SACK blocks, D-SACK); loss detection (RACK by default) marks what
// is lost; the state machine enters or leaves recovery, undoes reductions that prove spurious (timestamps,
// D-SACK, F-RTO) and sets cwnd (PRR in recovery, the algorithm's growth otherwise). Output then resends the
// segments marked lost before new data. Timers: the retransmission timer, RACK's reorder timer and TLP's probe.
public sealed partial class TcpConnection
{
    private const int DupThresh = 3; // RFC 5681 §3.2, RFC 6675 §2
    private const int MaxReordering = 300; // Linux tcp_max_reordering

    private int _reordering = DupThresh; // Linux tp->reordering: how far the path has been seen to reorder, segments.

    private ICongestionControl? _cc;
    private ILossDetection _loss = new RackLossDetection();
    private readonly SentSegments _segments = new();

    // The recovery episode: its state, SND.MAX when it began (Linux high_seq; RFC 6582 "recover", RFC 6675
    // RecoveryPoint), PRR, and without SACK the duplicate ACKs counted as pseudo-SACKs (Linux tcp_add_reno_sack).
    private RecoveryState _recoveryState;
    private SeqNum _highSeq;
    private Prr _prr;
    private int _dupAcks;
    private int _renoSacked;

    private long _totalRetransmittedSegments;
    private long _dsackSegments;

    // TLP (RFC 8985 §7): SND.MAX when the probe went (TLPRxtOut while set) and whether it was a resend.
    private bool _tlpOutstanding;
    private SeqNum _tlpHighSeq;
    private bool _tlpRetransmission;
    private bool _tlpDsack; // This ACK's D-SACK covers the probe: the original arrived too (RFC 8985 §7.4.2).
    private bool _rearmProbe;

    private (TimeSpan Rtt, Instant At)? _synRtt; // The handshake's RTT sample, for RACK's min_RTT.

    // The congestion control of the last life, which the next one resets in place when it runs the same
    // algorithm (StartCongestionControl): a pooled connection then makes none.
    private ICongestionControl? _ccSpare;

    /// <summary>This file's fields as a new connection has them (called by <see cref="Open"/>).</summary>
    private void ResetRecovery()
    {
        _reordering = DupThresh;
        (_ccSpare, _cc) = (_cc ?? _ccSpare, null);
        _loss = _loss is RackLossDetection rack ? rack.Reset() : new RackLossDetection();
        _segments.ResetToNew();
        (_recoveryState, _highSeq, _prr, _dupAcks, _renoSacked) = (RecoveryState.Open, default, default, 0, 0);
        (_totalRetransmittedSegments, _dsackSegments) = (0, 0);
        (_tlpOutstanding, _tlpHighSeq, _tlpRetransmission, _tlpDsack, _rearmProbe) = (false, default, false, false, false);
        _synRtt = null;
        _lossCounters = null; // Made again at the next life's first loss: few connections meet one.
    }

    /// <summary>RFC 2018 SACK is on for this connection (both sides sent sackOK).</summary>
    public bool SackEnabled => _opt.Sack;

    /// <summary>The congestion window now, bytes.</summary>
    public int CongestionWindow => _cc?.Cwnd ?? int.MaxValue;

    /// <summary>The slow start threshold, bytes.</summary>
    public int SlowStartThreshold => _cc?.Ssthresh ?? int.MaxValue;

    /// <summary>In fast recovery (after losses found by RACK, SACKs or duplicate ACKs).</summary>
    public bool InFastRecovery => _recoveryState == RecoveryState.Recovery;

    /// <summary>Where the sender stands with loss.</summary>
    public RecoveryState RecoveryState => _recoveryState;

    /// <summary>What this connection met on a lossy path (the layer's <see cref="TcpStatistics"/> sums them).</summary>
    public LossCounters LossCounters => _lossCounters ??= new();

    // Made at the first loss event or read: a short connection that loses nothing carries no counters object.
    private LossCounters? _lossCounters;

    /// <summary>Counts <paramref name="kind"/> for this connection and for the layer.</summary>
    private void Count(LossEvent kind, long n = 1)
    {
        (_lossCounters ??= new()).Add(kind, n);
        _layer.Statistics.Add(kind, n);
        if (kind == LossEvent.FastRecovery && !_opt.Sack) _layer.Statistics.RenoRecoveries += n;
    }

    /// <summary>Bytes in flight the peer SACKed, deemed lost, and resent and not yet (S)ACKed.</summary>
    public (int Sacked, int Lost, int Retransmitted) Scoreboard =>
        (_segments.SackedBytes + _renoSacked, _segments.LostBytes, _segments.RetransmittedBytes);

    /// <summary>Segments this connection retransmitted (Linux tcpi_total_retrans).</summary>
    public long TotalRetransmissions => _totalRetransmittedSegments;

    /// <summary>Bytes in the network by the scoreboard (RFC 6675 pipe).</summary>
    private int Pipe => Math.Max(0, _segments.InFlight - _renoSacked);

    private bool InCwndReduction => _recoveryState is RecoveryState.Cwr or RecoveryState.Recovery;

    private void StartCongestionControl()
    {
        _cc = CongestionControl.Create(_config.CongestionControl, unchecked((int)_snd.Iss.Value), _ccSpare);
        _rateBased = _cc as IRateBasedCongestionControl;
        _cc.Start(_mss, InitialWindow);
        if (_cc is Cubic cubic)
        {
            cubic.HyStart.FqPaced = _config.FqPacing;
        }
        // The handshake's RACK (made with the connection, fed the SYN's RTT) starts afresh: reset in place rather
        // than made again, which saved two objects per connection. FeedSynRtt gives it the SYN's sample again.
        _loss = _loss is RackLossDetection rack && _opt.Sack && _config.LossDetection == LossDetectionKind.Rack
            ? rack.Reset()
            : ILossDetection.Create(_config.LossDetection, _opt.Sack);
        FeedSynRtt();
        _highSeq = _snd.Una;
    }

    private void FeedSynRtt()
    {
        if (_synRtt is var (rtt, at))
        {
            _loss.OnRttSample(rtt, at);
            OnRttSampleForInfo(rtt, at);
        }
    }

    /// <summary>
    /// Takes an ACK's SACK blocks into the records. The first block is a D-SACK (RFC 2883 §4) when it lies below
    /// the cumulative ACK or inside the second block; it reports a duplicate the peer received, not a hole.
    /// Returns true for a D-SACK.
    /// </summary>
    private bool ReceiveSackBlocks(in TcpOptions options, SeqNum segAck, ref AckSample sample)
    {
        if (!_opt.Sack || options.SackBlockCount == 0)
        {
            return false;
        }
        bool dsack = false;
        int first = 0;
        (uint l0, uint r0) = options.GetSackBlock(0);
        var left0 = new SeqNum(l0);
        var right0 = new SeqNum(r0);
        if (left0 < segAck)
        {
            dsack = true;
        }
        else if (options.SackBlockCount > 1)
        {
            (uint l1, uint r1) = options.GetSackBlock(1);
            dsack = left0 >= new SeqNum(l1) && right0 <= new SeqNum(r1);
        }
        if (dsack)
        {
            first = 1;
            dsack = OnDsack(left0, right0);
        }
        for (int i = first; i < options.SackBlockCount; i++)
        {
            (uint left, uint right) = options.GetSackBlock(i);
            var l = new SeqNum(left);
            var r = new SeqNum(right);
            if (r - l <= 0 || r - l > (1 << 30) || r > _snd.Max)
            {
                continue; // Nothing, inverted, or beyond what we sent: not a SACK of ours.
            }
            _segments.Sack(l, r, ref sample);
            SplitSkbsAtSack(l, r);
        }
        return dsack;
    }

    /// <summary>
    /// Linux tcp_match_skb_to_sack: an skb that a SACK block covers only in part is cut (tcp_fragment) where the
    /// block's whole segments begin and end, so the part left out is an skb of its own: resent whole, a part of
    /// two segments or more is one packet with PSH (see TcpConnection.Push.cs).
    /// </summary>
    private void SplitSkbsAtSack(SeqNum left, SeqNum right)
    {
        int first = _segments.IndexOf(left);
        int last = _segments.IndexOf(right - 1);
        if (first < 0 || last < 0)
        {
            return;
        }
        if (_segments[first].Start < left)
        {
            first++;
        }
        if (_segments[last].End > right)
        {
            last--;
        }
        if (first > last)
        {
            return; // The block holds no whole segment: nothing SACKed, nothing cut.
        }
        SplitSkbAt(_segments[first].Start);
        SplitSkbAt(_segments[last].End);
    }

    /// <summary>
    /// A D-SACK for [left, right) (Linux tcp_dsack_seen): counted, ignored when it reports more duplicates than
    /// we ever resent (the peer or the network duplicated, not us); else each one pays back a retransmission of
    /// this episode (RFC 3708), and RACK's reordering window learns from it (RFC 8985 §6.2 step 4).
    /// </summary>
    private bool OnDsack(SeqNum left, SeqNum right)
    {
        int length = right - left;
        if (length <= 0 || length > _snd.MaxWnd + _mss)
        {
            return false;
        }
        int segments = Math.Max(1, (length + _mss - 1) / _mss);
        Count(LossEvent.DsackReceived);
        _dsackSegments += segments;
        if (_dsackSegments > _totalRetransmittedSegments)
        {
            return false;
        }
        if (_tlpOutstanding && right == _tlpHighSeq && length <= _mss)
        {
            _tlpDsack = true; // The probe was a duplicate: the original arrived (RFC 8985 §7.4.2).
        }
        else
        {
            _loss.OnDsack(_snd.Una, _snd.Max);
        }
        if (_undoArmed && _undoRetrans > 0 && right > _undoMarker)
        {
            _undoRetrans = Math.Max(0, _undoRetrans - segments);
        }
        return true;
    }

    /// <summary>
    /// Linux tcp_clean_rtx_queue without a cumulative ACK: the timers are set again only when the SACK RTT is
    /// measured from data sent before the head of the queue last left (a resent head), so that a SACK of data sent
    /// after it does not keep pushing the probe and the timeout away.
    /// </summary>
    private bool SackedBeforeHeadResent(in AckSample sample) =>
        sample.FirstSackedOriginal.Found && !_segments.IsEmpty && sample.FirstSackedOriginal.SentAt < _segments[0].SentAt;

    /// <summary>
    /// The sender's half of an acceptable ACK (Linux tcp_ack after the scoreboard, tcp_fastretrans_alert): the end
    /// of a recovery SND.UNA reached (or its undo), loss detection, the start of a recovery, cwnd (PRR in
    /// recovery, the algorithm's growth otherwise), and TLP's loss detection.
    /// </summary>
    private void OnAckForSender(ref AckSample sample, bool advanced, bool duplicate, bool dsack, in TcpOptions options,
        Instant now)
    {
        if (_cc is null)
        {
            return;
        }
        int delivered = sample.Delivered;
        NoteReordering(sample.ReorderingDistance);
        if (!_opt.Sack)
        {
            delivered = CountRenoDuplicates(sample, advanced, duplicate);
        }
        else if (advanced)
        {
            _dupAcks = 0;
        }
        else if (duplicate || sample.NewlySacked > 0)
        {
            _dupAcks++;
        }
        CountDelivered(delivered);
        // Linux tcp_clean_rtx_queue calls the algorithm's pkts_acked (CUBIC's HyStart) before the state machine.
        _cc.OnRttSample(CongestionRttSample(sample, advanced, options, now), _snd.Una, _snd.Nxt, LinuxPacingRate(), now);
        CheckMtuProbeAcked(); // Linux tcp_clean_rtx_queue, before the state machine and cwnd growth.

        ProcessLossProbeAck(sample, advanced, dsack, now); // Before the state machine, as Linux's tcp_ack.
        _tlpDsack = false;
        bool detect = LeaveRecoveryIfDone(sample, advanced, dsack, options, now);
        int newlyLost = 0;
        if (detect)
        {
            newlyLost = _loss.OnAck(sample, EchoedSendTime(options), LossContextNow(advanced), now);
            CountLostRetransmissions();
            if (_recoveryState <= RecoveryState.Cwr)
            {
                if (_segments.LostBytes > 0)
                {
                    if (!MtuProbeLost())
                    {
                        EnterRecovery(now);
                    }
                }
                else
                {
                    // Linux tcp_try_to_open: an ECN echo starts a reduction; CWR holds until its end.
                    if (_eceOnThisAck)
                    {
                        EnterCwr(now);
                    }
                    if (_recoveryState != RecoveryState.Cwr)
                    {
                        KeepOpen();
                    }
                }
            }
        }

        if (RateBasedControl(sample, newlyLost, now))
        {
            // The algorithm set cwnd from the rate sample, in whatever state (BBR).
        }
        else if (InCwndReduction)
        {
            // PRR in fast recovery and, since Linux 3.7, in CWR too (tcp_cwnd_reduction).
            int segments = (delivered + _mss - 1) / _mss;
            if (_prr.OnAck(segments, newlyLost, advanced, Pipe, _cc.Ssthresh, _mss) is int cwnd)
            {
                _cc.Cwnd = cwnd;
            }
        }
        else if ((advanced || (_reordering > DupThresh && sample.NewlySacked > 0)) && delivered > 0 && IsCwndLimited)
        {
            // Linux tcp_may_raise_cwnd: cwnd grows when SND.UNA moves; on a path seen to reorder, on any delivery;
            // and (tcp_cong_avoid's algorithms) only while the sender is cwnd-limited (tcp_is_cwnd_limited).
            _cc.OnAck(delivered, _rto.SmoothedRtt, now);
        }
        if (advanced || SackedBeforeHeadResent(sample))
        {
            _rearmProbe = true; // Linux FLAG_SET_XMIT_TIMER: a duplicate ACK leaves the probe (or RTO) as it was.
        }
        if (_snd.Una - _highSeq > 1 << 30)
        {
            // Keep high_seq within reach of sequence comparison (2^31) after 1 GiB without a loss.
            _highSeq = _snd.Una - (1 << 30);
        }
    }

    /// <summary>
    /// Without SACK, duplicate ACKs stand in for SACKs of one segment each (Linux tcp_add_reno_sack and
    /// tcp_remove_reno_sacks). Returns the bytes this ACK delivered, counted that way.
    /// </summary>
    private int CountRenoDuplicates(in AckSample sample, bool advanced, bool duplicate)
    {
        int delivered = 0;
        if (advanced && sample.NewlyAcked > 0)
        {
            _dupAcks = 0;
            // One ACK filled the hole; the rest of what it covers was counted by the duplicates before it.
            delivered = Math.Max(sample.NewlyAcked - _renoSacked, _mss);
            _renoSacked = Math.Max(0, _renoSacked - Math.Max(0, sample.NewlyAcked - _mss));
        }
        else if (advanced)
        {
            _dupAcks = 0;
        }
        if (duplicate)
        {
            _dupAcks++;
            _renoSacked = Math.Clamp(_renoSacked + _mss, 0, Math.Max(0, _segments.Outstanding - _mss));
            delivered += _mss;
        }
        return delivered;
    }

    private LossContext LossContextNow(bool unaAdvanced) => new(_segments,
        _recoveryState is RecoveryState.Recovery or RecoveryState.Loss, _mss, _rto.SmoothedRtt, _dupAcks, unaAdvanced);

    /// <summary>
    /// The exits of Linux's tcp_fastretrans_alert: a recovery whose point SND.UNA reached ends (or is undone), a
    /// partial ACK or a D-SACK that proves the resends needless undoes the reduction, and after a timeout
    /// F-RTO and the exit of the loss state. Returns false when this ACK must not mark more losses.
    /// </summary>
    private bool LeaveRecoveryIfDone(in AckSample sample, bool advanced, bool dsack, in TcpOptions options, Instant now)
    {
        switch (_recoveryState)
        {
            case RecoveryState.Cwr when _snd.Una > _highSeq:
                // Linux tcp_end_cwnd_reduction: cwnd settles at ssthresh once data sent after the reduction
                // began is acknowledged (the CWR it carried has reached the peer).
                _cc!.OnRecoveryEnd(now);
                SetRecoveryState(RecoveryState.Open);
                KeepOpen();
                break;
            case RecoveryState.Recovery when _snd.Una >= _highSeq:
                _renoSacked = 0;
                if (!TryUndo(options, "full"))
                {
                    _cc!.OnRecoveryEnd(now);
                    _loss.OnRecoveryEnd();
                }
                SetRecoveryState(RecoveryState.Open);
                KeepOpen();
                break;
            case RecoveryState.Recovery:
                if (advanced && _undoArmed && PacketDelayed(options))
                {
                    // Linux tcp_try_undo_partial: the hole was filled by the original, not our resend.
                    _loss.OnSpuriousRetransmission();
                    if (_segments.RetransmittedBytes > 0)
                    {
                        return false; // Resends still out: clock out new data, mark and resend nothing more.
                    }
                    UndoReduction(unmarkLost: true, LossEvent.PartialUndo);
                    SetRecoveryState(RecoveryState.Open);
                    KeepOpen();
                }
                else if (dsack && TryUndoDsack())
                {
                    SetRecoveryState(RecoveryState.Open);
                    KeepOpen();
                }
                break;
            case RecoveryState.Loss:
                ProcessLoss(sample, advanced, options, now);
                break;
            default:
                if (dsack)
                {
                    TryUndoDsack();
                }
                break;
        }
        return true;
    }

    /// <summary>Linux tcp_try_keep_open: Disorder while SACKs or resends are out, else Open.</summary>
    private void KeepOpen()
    {
        RecoveryState state = _segments.SackedBytes > 0 || _renoSacked > 0 || _segments.RetransmittedBytes > 0
            ? RecoveryState.Disorder
            : RecoveryState.Open;
        if (_recoveryState != state)
        {
            SetRecoveryState(state);
            _highSeq = _snd.Max;
        }
        if (state == RecoveryState.Open && _segments.RetransmittedBytes == 0)
        {
            _retransStampSet = false;
        }
    }

    private void SetRecoveryState(RecoveryState state)
    {
        _recoveryState = state;
        _rateBased?.OnStateChange(state);
    }

    /// <summary>Linux tcp_enter_recovery: ssthresh drops, PRR starts, and the first lost segment goes at once.</summary>
    private void EnterRecovery(Instant now)
    {
        Count(LossEvent.FastRecovery);
        InitUndo();
        if (_recoveryState < RecoveryState.Cwr)
        {
            // Linux tcp_enter_recovery: from CWR the reduction under way goes on; it is not made twice.
            _priorSsthresh = _eceOnThisAck ? 0 : CurrentSsthresh();
            _priorCwnd = _cc!.Cwnd;
            _highSeq = _snd.Max;
            _cc.OnCongestionEvent(_segments.Outstanding, now);
            _prr.Start(_priorCwnd, _mss);
            _ecnQueueCwr = _ecnOk;
        }
        _tlpOutstanding = false;
        SetRecoveryState(RecoveryState.Recovery);
        TcpLog.FastRecovery(_layer.Log, Tuple, _snd.Una, _highSeq, _opt.Sack, _cc!.Cwnd);
    }

    /// <summary>Linux tcp_current_ssthresh: in a reduction ssthresh itself, else at least 3/4 of cwnd.</summary>
    private int CurrentSsthresh() => InCwndReduction
        ? _cc!.Ssthresh
        : Math.Max(_cc!.Ssthresh, (int)((long)_cc.Cwnd * 3 / 4));

    /// <summary>RFC 8985 §7.4 (Linux tcp_process_tlp_ack): did the probe repair a loss? If so, reduce cwnd once.</summary>
    private void ProcessLossProbeAck(in AckSample sample, bool advanced, bool dsack, Instant now)
    {
        if (!_tlpOutstanding || _snd.Una < _tlpHighSeq)
        {
            return;
        }
        if (!_tlpRetransmission || (dsack && _tlpDsack))
        {
            _tlpOutstanding = false; // New data probed, or the original and the probe both arrived: no loss.
        }
        else if (_snd.Una > _tlpHighSeq)
        {
            // The probe repaired a loss: one reduction (Linux enters CWR and ends it at once).
            _tlpOutstanding = false;
            Count(LossEvent.LossProbeRecovery);
            if (_recoveryState <= RecoveryState.Disorder)
            {
                _priorCwnd = _cc!.Cwnd;
                _priorSsthresh = CurrentSsthresh();
                _cc.OnCongestionEvent(_segments.Outstanding, now);
                _cc.OnRecoveryEnd(now);
                _highSeq = _snd.Max;
                KeepOpen();
            }
        }
        else if (!advanced && sample.Delivered == 0 && !dsack)
        {
            _tlpOutstanding = false; // A pure duplicate: both arrived.
        }
    }

    /// <summary>The instant our TSval echoed by this ACK was sent, when it has one.</summary>
    /// <summary>
    /// Linux's ca_rtt_us (rs->rtt_us): the RTT of the most recently sent segment this ACK delivered, when none of
    /// what it covered had been resent (Karn); else, for an ACK that moved SND.UNA, the echoed timestamp's.
    /// </summary>
    private TimeSpan? CongestionRttSample(in AckSample sample, bool advanced, in TcpOptions options, Instant now)
    {
        if (sample.NewestOriginal.Found && !sample.RetransmittedDelivered)
        {
            return now - sample.NewestOriginal.SentAt;
        }
        if (advanced && EchoedSendTime(options) is { } echoed && now >= echoed)
        {
            TimeSpan rtt = now - echoed;
            return rtt < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : rtt;
        }
        return null;
    }

    private Instant? EchoedSendTime(in TcpOptions options)
    {
        if (!_opt.Timestamps || !options.HasTimestamps || options.TsEcr == 0)
        {
            return null;
        }
        return Instant.FromMilliseconds(unchecked((uint)(options.TsEcr - _tsOffset)));
    }

}
