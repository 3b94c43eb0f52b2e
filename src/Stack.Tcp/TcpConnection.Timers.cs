using System.Net.Sockets;
using Stack.Link.Time;
using Stack.Tcp.Diagnostics;
using Stack.Tcp.Sending;
using Stack.Tcp.Timers;
using Stack.Tcp.Wire;

namespace Stack.Tcp;

// The timers and what each does when it fires, as a table (OnTimer), and the one method that arms the timers
// watching data in flight: the retransmission timer (RFC 6298), RACK's reorder timer (RFC 8985 §6.3), the tail
// loss probe (RFC 8985 §7) and, with nothing in flight and a zero window, the persist timer.
public sealed partial class TcpConnection
{
    /// <summary>RFC 8985 §7.2 WCDelAckT: the peer may hold the ACK of a lone segment this long (Linux TCP_RTO_MIN).</summary>
    private static readonly TimeSpan WorstCaseDelayedAck = TimeSpan.FromMilliseconds(200);

    /// <summary>Linux's TCP_TIMEOUT_MIN (2 jiffies at HZ=1000), added to 2·SRTT when several segments are in flight.</summary>
    private static readonly TimeSpan ProbeTimeoutSlack = TimeSpan.FromMilliseconds(2);

    private bool _restartRto;

    /// <summary>This file's fields as a new connection has them (called by <see cref="Open"/>).</summary>
    private void ResetTimers()
    {
        (_restartRto, _lostRetransmissionsCounted, _probesSince) = (false, 0, null);
    }

    /// <summary>
    /// How long a connect may take from its SYN (TCP_SYNCNT on a connect under way: Linux reads it at each SYN
    /// timeout). Takes effect at the next retransmission timeout.
    /// </summary>
    public void SetConnectTimeout(TimeSpan timeout)
    {
        var config = _config with { ConnectTimeout = timeout };
        config.Validate();
        _config = config;
    }

    /// <summary>When <paramref name="kind"/> fires next, <see cref="Instant.Never"/> when it is not running (for <c>ss -o</c>).</summary>
    public Instant TimerDeadline(TimerKind kind) =>
        kind == TimerKind.TimeWait && _timeWait is { } tw ? tw.Deadline : _timers.Deadline(kind);

    internal void OnTimer(Instant now)
    {
        bool outermost = Enter();
        try
        {
            RunDueTimers(now);
        }
        catch (Exception e) when (outermost && !IsFatal(e))
        {
            Fault(e, now);
        }
        finally
        {
            Leave(now);
        }
    }

    private void RunDueTimers(Instant now)
    {
        foreach (TimerKind kind in _timers.TakeDue(now))
        {
            if (_state == TcpState.Closed)
            {
                break;
            }
            switch (kind)
            {
                case TimerKind.Retransmission:
                    OnRetransmissionTimeout(now);
                    break;
                case TimerKind.Persist:
                    OnPersistTimeout(now);
                    break;
                case TimerKind.DelayedAck:
                    OnDelayedAckTimeout();
                    break;
                case TimerKind.KeepAlive:
                    OnKeepAliveTimeout(now);
                    break;
                case TimerKind.TimeWait when _state == TcpState.TimeWait:
                    SetState(TcpState.Closed, "2MSL timeout");
                    break;
                case TimerKind.FinWait2 when _state == TcpState.FinWait2:
                    SetState(TcpState.Closed, "FIN-WAIT-2 timeout (linger2)");
                    break;
                case TimerKind.Reorder:
                    OnReorderTimeout(now);
                    break;
                case TimerKind.LossProbe:
                    OnLossProbeTimeout(now);
                    break;
                case TimerKind.Pacing:
                    break; // Leave's Output sends what the pacer now lets go.
            }
        }
    }

    /// <summary>
    /// Arms what watches the data in flight, as each entry point leaves: the retransmission timer (restarted when
    /// asked: an ACK moved SND.UNA, a probe or the head went again), the reorder timer at RACK's deadline, and the
    /// loss probe after new data or an ACK. With nothing in flight: the persist timer for a zero window.
    /// </summary>
    private void ArmRetransmissionTimers(Instant now)
    {
        if (_snd.Nxt == _snd.Una)
        {
            _timers.Cancel(TimerKind.Retransmission);
            _timers.Cancel(TimerKind.Reorder);
            _timers.Cancel(TimerKind.LossProbe);
            _restartRto = false;
            _rearmProbe = false;
            bool waiting = _snd.BufStart + _send.Count - _snd.Nxt > 0;
            if (!waiting)
            {
                _probesSince = null; // Linux tcp_send_probe0: nothing waits, the probes are over.
            }
            if (waiting && !_timers.IsArmed(TimerKind.Persist))
            {
                // RFC 9293 §3.8.6.1: probe a zero window so a lost window update cannot deadlock us. As Linux
                // (tcp_check_probe_timer), the same timer runs whenever data waits with nothing in flight, corked
                // data too (TCP_CORK, MSG_MORE).
                _persistBackoff = 0;
                _timers.Arm(TimerKind.Persist, now + PersistInterval());
            }
            return;
        }
        _timers.Cancel(TimerKind.Persist);
        _probesSince = null; // Linux tcp_probe_timer: packets in flight end the probes.
        Instant rtoAt = _restartRto || !_timers.IsArmed(TimerKind.Retransmission)
            ? now + _rto.Rto
            : _timers.Deadline(TimerKind.Retransmission);
        _restartRto = false;
        _timers.Arm(TimerKind.Reorder, _loss.ReorderDeadline);
        if (_rearmProbe)
        {
            _rearmProbe = false;
            ScheduleLossProbe(now, rtoAt);
        }
        if (_timers.IsArmed(TimerKind.LossProbe))
        {
            // One timer, as Linux's: the probe stands in for the retransmission timer, which is armed again
            // from the probe (so a probe due with the RTO goes as a probe, not as a timeout).
            _timers.Cancel(TimerKind.Retransmission);
        }
        else
        {
            _timers.Arm(TimerKind.Retransmission, rtoAt);
        }
    }

    /// <summary>
    /// RFC 8985 §7.2 (Linux tcp_schedule_loss_probe): with SACK, outside recovery and with no probe outstanding,
    /// a probe after PTO = 2·SRTT —
    /// plus the peer's delayed-ACK allowance when one segment is in flight (else Linux's 2 ms) — or 1 s before
    /// any RTT sample; never later than the retransmission timer.
    /// </summary>
    private void ScheduleLossProbe(Instant now, Instant rtoAt)
    {
        if (!_opt.Sack || !_config.TailLossProbe || _segments.IsEmpty || _tlpOutstanding
            || _recoveryState is not (RecoveryState.Open or RecoveryState.Cwr))
        {
            _timers.Cancel(TimerKind.LossProbe);
            return;
        }
        TimeSpan pto = _rto.SmoothedRtt is { } srtt
            ? 2 * srtt + (_segments.Count == 1 ? WorstCaseDelayedAck : ProbeTimeoutSlack)
            : TimeSpan.FromSeconds(1);
        Instant at = Instant.Min(now + pto, rtoAt);
        _timers.Arm(TimerKind.LossProbe, at);
    }

    /// <summary>
    /// RFC 8985 §7.3 (Linux tcp_send_loss_probe): one probe at a time — new data if the peer's window takes it,
    /// else the last segment again — so a tail loss draws the SACK that lets RACK repair it, not a timeout.
    /// </summary>
    private void OnLossProbeTimeout(Instant now)
    {
        _restartRto = true; // The retransmission timer runs again from now, whether a probe goes or not.
        if (_segments.IsEmpty || _tlpOutstanding || _recoveryState is not (RecoveryState.Open or RecoveryState.Cwr))
        {
            return;
        }
        SeqNum dataEnd = _snd.BufStart + _send.Count;
        int available = dataEnd - _snd.Nxt;
        long window = _snd.Una + (int)Math.Min(_snd.Wnd, int.MaxValue) - _snd.Nxt;
        int mss = SendMss;
        if (available > 0 && window >= Math.Min(available, mss))
        {
            int len = Math.Min(available, mss);
            bool last = len == available;
            SendNew(len, last && _finQueued, now);
            _tlpRetransmission = false;
        }
        else
        {
            int index = _segments.Count - 1;
            SentSegment tail = _segments[index];
            int dataLength = tail.Length - ((tail.Marks & SegmentMarks.Fin) != 0 ? 1 : 0);
            if (dataLength > mss)
            {
                index = _segments.SplitAt(tail.Start + (dataLength - mss));
            }
            StartResendBurst();
            Retransmit(index, now, countAsResend: false);
            _tlpRetransmission = true;
        }
        _tlpOutstanding = true; // One probe at a time: none is scheduled again until its ACK says what it found.
        _tlpHighSeq = _snd.Max;
        Count(LossEvent.LossProbe);
    }

    /// <summary>RFC 8985 §6.3: RACK's reordering window passed; what is now lost goes, in recovery.</summary>
    private void OnReorderTimeout(Instant now)
    {
        if (_cc is null)
        {
            return;
        }
        int lost = _loss.OnReorderTimeout(LossContextNow(unaAdvanced: false), now);
        CountLostRetransmissions();
        if (lost > 0 && _recoveryState < RecoveryState.Recovery)
        {
            EnterRecovery(now);
            if (_prr.OnAck(1, lost, unaAdvanced: false, Pipe, _cc.Ssthresh, _mss) is int cwnd)
            {
                _cc.Cwnd = cwnd;
            }
        }
    }

    /// <summary>RFC 6298 §5.4–5.6: retransmit the earliest unacknowledged segment, back off, or give up.</summary>
    private void OnRetransmissionTimeout(Instant now)
    {
        if (_snd.Max == _snd.Una)
        {
            return;
        }
        if (_retries == 0)
        {
            _timeoutsSince = now;
        }
        switch (_state)
        {
            case TcpState.SynSent when now - _connectStart >= _config.ConnectTimeout:
                Fail(_softError ?? SocketError.TimedOut, "connect timed out");
                return;
            case TcpState.SynReceived when _retries >= _config.SynAckRetries:
                if (IsPassive)
                {
                    _layer.Statistics.SynReceivedTimeouts++;
                    SetState(TcpState.Closed, "SYN-ACK retries exhausted");
                }
                else
                {
                    Fail(_softError ?? SocketError.TimedOut, "SYN-ACK retries exhausted");
                }
                return;
            case not (TcpState.SynSent or TcpState.SynReceived)
                when _retries >= _config.Retries || (_config.UserTimeout is { } limit && now - _timeoutsSince >= limit):
                Fail(_softError ?? SocketError.TimedOut, "retransmission limit");
                return;
        }
        OnPossibleBlackHole(now); // Linux tcp_write_timeout, before the timer's work.
        _retries++;
        Count(LossEvent.RetransmissionTimeout);
        _rto.Backoff();
        _rto.OnRetransmit();
        switch (_state)
        {
            case TcpState.SynSent:
                _layer.Statistics.Retransmissions++;
                SendSyn(now);
                break;
            case TcpState.SynReceived:
                _layer.Statistics.Retransmissions++;
                SendSynAck(now);
                break;
            default:
                // RFC 5681 §3.1 (7) and Linux tcp_retransmit_timer: the loss state, and SND.UNA's segment again
                // at once, whatever cwnd says; the rest of what is marked lost follows in slow start.
                EnterLoss(now);
                if (!_segments.IsEmpty)
                {
                    int mss = SendMss;
                    if (_segments[0].Length - (IsFin(0) ? 1 : 0) > mss)
                    {
                        _segments.SplitAt(_segments.Start + mss);
                    }
                    StartResendBurst();
                    Retransmit(0, now, countAsResend: true);
                }
                _restartRto = true;
                break;
        }
    }

    /// <summary>
    /// The path MTU dropped below segments in flight (Linux tcp_simple_retransmit): they are lost, and go again
    /// at the new size without a cwnd reduction, in the loss state so that nothing else is resent meanwhile.
    /// </summary>
    private void RetransmitTooBig()
    {
        bool any = false;
        for (int i = 0; i < _segments.Count; i++)
        {
            if (_segments[i].Length - (IsFin(i) ? 1 : 0) > _mss && !_segments[i].IsSacked)
            {
                _segments.MarkLost(i);
                any = true;
            }
        }
        if (any)
        {
            EnterNonCongestionLoss();
        }
    }

    /// <summary>
    /// Linux tcp_non_congestion_loss_retransmit: segments were marked lost for a reason other than congestion (the
    /// path MTU dropped, or a SYN-ACK left a Fast Open SYN's data): the loss state, without a cwnd reduction or an
    /// undo, so that the lost segments go again (Output) and nothing else is resent meanwhile.
    /// </summary>
    private void EnterNonCongestionLoss()
    {
        if (_cc is null || _recoveryState == RecoveryState.Loss)
        {
            return;
        }
        _highSeq = _snd.Max;
        _undoArmed = false;
        SetRecoveryState(RecoveryState.Loss);
        _frto = false;
    }

    /// <summary>Adds the retransmissions loss detection found lost again to the layer's counter.</summary>
    private void CountLostRetransmissions()
    {
        long found = _segments.LostRetransmissions;
        if (found > _lostRetransmissionsCounted)
        {
            Count(LossEvent.LostRetransmission, found - _lostRetransmissionsCounted);
        }
        _lostRetransmissionsCounted = found;
    }

    private long _lostRetransmissionsCounted;

    private TimeSpan PersistInterval()
    {
        long ticks = _rto.BaseRto.Ticks << Math.Min(_persistBackoff, 30);
        return TimeSpan.FromTicks(Math.Min(ticks, _config.MaxRto.Ticks));
    }

    /// <summary>
    /// RFC 9293 §3.8.6.1 zero-window probes, with backoff; gives up only at TCP_USER_TIMEOUT (as RFC 1122 §4.2.2.17
    /// and Linux tcp_probe_timer). The same timer retries data a local queue dropped (tcp_send_probe0). Linux
    /// (tcp_write_wakeup) probes a zero window with an ACK of an old sequence number, not the byte the RFC
    /// suggests: the peer's answer shows the window just the same, and nothing is sent beyond it.
    /// </summary>
    private void OnPersistTimeout(Instant now)
    {
        int waiting = _snd.BufStart + _send.Count - _snd.Nxt;
        if (_snd.Nxt != _snd.Una || waiting <= 0)
        {
            return;
        }
        // Linux tcp_probe_timer: TCP_USER_TIMEOUT counts from the first probe that found data still waiting.
        _probesSince ??= now;
        if (_config.UserTimeout is { } limit && now - _probesSince.Value >= limit)
        {
            Fail(_softError ?? SocketError.TimedOut, "probe timeout (user timeout)");
            return;
        }
        if (_snd.Wnd > 0)
        {
            // Linux tcp_write_wakeup: the window takes data that waits (corked): up to one MSS of it goes, with PSH,
            // and the timer stops, as something is in flight now (tcp_send_probe0).
            int len = (int)Math.Min(Math.Min(waiting, SendMss), _snd.Wnd);
            _packetEnd = _snd.Nxt;
            _packetIsGso = false;
            if (SendNew(len, fin: len == waiting && _finQueued, now, push: true))
            {
                return;
            }
            // Linux tcp_send_probe0: the local queue dropped it; senders contend for local resources gently, a
            // retry every TCP_RESOURCE_PROBE_INTERVAL with no backoff.
            _probesOut++;
            _timers.Arm(TimerKind.Persist, now + ClampToUserTimeout(ResourceProbeInterval, now));
            return;
        }
        SendOldSequenceAck(now);
        _persistBackoff++;
        _probesOut++; // Linux tcp_probe_timer / tcp_send_probe0
        _timers.Arm(TimerKind.Persist, now + ClampToUserTimeout(PersistInterval(), now));
    }

    /// <summary>
    /// TCP_USER_TIMEOUT on a live connection (null: none), as Linux allows at any time: the retransmission and
    /// probe timers read it when they next fire.
    /// </summary>
    public void SetUserTimeout(TimeSpan? timeout) => _config = _config with { UserTimeout = timeout };

    /// <summary>Linux TCP_RESOURCE_PROBE_INTERVAL: the probe timer's period while the local queue drops.</summary>
    private static readonly TimeSpan ResourceProbeInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>Linux TCP_TIMEOUT_MIN: the shortest a clamped probe timer runs (2 jiffies).</summary>
    private static readonly TimeSpan ProbeTimeoutMin = TimeSpan.FromMilliseconds(2);

    /// <summary>When the probes began (Linux icsk_probes_tstamp); null when none is outstanding.</summary>
    private Instant? _probesSince;

    /// <summary>
    /// Linux tcp_clamp_probe0_to_user_timeout: a probe timer never runs past the user timeout counted from the
    /// first probe, so the connection is given up on time.
    /// </summary>
    private TimeSpan ClampToUserTimeout(TimeSpan when, Instant now)
    {
        if (_config.UserTimeout is not { } limit || _probesSince is not { } since)
        {
            return when;
        }
        TimeSpan remaining = limit - (now - since);
        return remaining < ProbeTimeoutMin ? ProbeTimeoutMin : remaining < when ? remaining : when;
    }
}
