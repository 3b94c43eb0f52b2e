using System.Net.Sockets;
using Stack.IP;
using Stack.Link.Time;
using Stack.Tcp.Diagnostics;
using Stack.Tcp.Timers;
using Stack.Tcp.Wire;

namespace Stack.Tcp;

public sealed partial class TcpConnection
{
    /// <summary>Active open (RFC 9293 §3.10.1): SYN-SENT, and the SYN goes out.</summary>
    internal void StartConnect(SeqNum iss, Instant now)
    {
        Enter();
        InitSend(iss);
        _connectStart = now;
        _lastHeard = now;
        _mss = Math.Min(_peerMss, PathMss(now));
        SetState(TcpState.SynSent, "active OPEN");
        SendSyn(now);
        Leave(now);
    }

    /// <summary>Passive open from a listener's SYN (RFC 9293 §3.10.7.2): SYN-RECEIVED, and the SYN-ACK goes out.</summary>
    internal void StartPassive(in TcpHeader syn, in TcpOptions options, SeqNum iss, Instant now)
    {
        Enter();
        InitSend(iss);
        _connectStart = now;
        _lastHeard = now;
        ReceiveSyn(syn, options, now);
        _sndWnd = syn.Window; // RFC 7323 §2.2: the window of a SYN is never scaled.
        _maxSndWnd = Math.Max(_maxSndWnd, _sndWnd);
        _sndWl1 = _irs;
        _sndWl2 = _iss;
        SetState(TcpState.SynReceived, "rcv SYN");
        SendSynAck(now);
        Leave(now);
    }

    private void InitSend(SeqNum iss)
    {
        _iss = iss;
        _sndUna = iss;
        _sndNxt = iss + 1;
        _sndMax = iss + 1;
        _bufStart = iss + 1;
    }

    /// <summary>Takes the peer's SYN: IRS, RCV.NXT and the options both sides must agree on (RFC 7323, RFC 9293 §3.7.1).</summary>
    private void ReceiveSyn(in TcpHeader syn, in TcpOptions options, Instant now)
    {
        _irs = new SeqNum(syn.SequenceNumber);
        _rcvNxt = _irs + 1;
        _rcvEdge = _rcvNxt + Math.Min(_recv.Window, ushort.MaxValue);
        bool v6 = Tuple.RemoteAddress.IsIpv6;
        _peerMss = options.Mss is ushort m && m > 0 ? m : v6 ? 1220 : 536;
        _wsOk = _config.WindowScaling && options.WindowScale is not null;
        if (_wsOk && options.WindowScale is byte shift)
        {
            _sndWscale = Math.Min((int)shift, 14); // RFC 7323 §2.3: larger shifts are taken as 14.
            _rcvWscale = ReceiveShift();
        }
        else
        {
            _sndWscale = 0;
            _rcvWscale = 0;
        }
        _sackOk = _config.Sack && options.SackPermitted;
        _tsOk = _config.Timestamps && options.HasTimestamps;
        if (_tsOk)
        {
            _tsRecent = options.TsVal;
        }
        _mss = Math.Max(MinMss, Math.Min(_peerMss, PathMss(now)) - (_tsOk ? TimestampSpace : 0));
    }

    /// <summary>The shift we announce: the configured one, or more if the receive buffer needs it.</summary>
    private int ReceiveShift()
    {
        int shift = _config.WindowScale;
        while (shift < 14 && (_recv.Capacity >> shift) > ushort.MaxValue)
        {
            shift++;
        }
        return shift;
    }

    internal void OnSegment(in TcpHeader h, in TcpOptions options, Instant now)
    {
        Enter();
        OnHeardFromPeer(now);
        if (_state == TcpState.SynSent)
        {
            OnSegmentSynSent(h, options, now);
        }
        else if (_state is not (TcpState.Closed or TcpState.Listen))
        {
            OnSegmentSynchronized(h, options, now);
        }
        Leave(now);
    }

    /// <summary>RFC 9293 §3.10.7.3: SYN-SENT.</summary>
    private void OnSegmentSynSent(in TcpHeader h, in TcpOptions options, Instant now)
    {
        TcpFlags flags = h.Flags;
        bool ack = (flags & TcpFlags.Ack) != 0;
        bool rst = (flags & TcpFlags.Rst) != 0;
        var segAck = new SeqNum(h.AcknowledgmentNumber);
        if (ack && (segAck <= _iss || segAck > _sndMax))
        {
            if (!rst)
            {
                _layer.SendReset(Tuple, segAck, default, TcpFlags.Rst, now);
            }
            return;
        }
        if (rst)
        {
            _layer.Statistics.ResetsReceived++;
            if (ack)
            {
                Fail(SocketError.ConnectionRefused, "rcv RST");
            }
            return;
        }
        if ((flags & TcpFlags.Syn) == 0)
        {
            return;
        }
        ReceiveSyn(h, options, now);
        var seq = new SeqNum(h.SequenceNumber);
        if (ack)
        {
            _sndWnd = h.Window;
            _maxSndWnd = Math.Max(_maxSndWnd, _sndWnd);
            _sndWl1 = seq;
            _sndWl2 = segAck;
            AckAdvance(segAck, options, now);
            if (_retries > 0 && _rto.SmoothedRtt is null)
            {
                _rto.OnSynTimedOut(); // RFC 6298 §5.7
            }
            _retries = 0;
            SetState(TcpState.Established, "rcv SYN,ACK");
            _ackPending = true;
            ProcessText(h, seq + 1, now);
            ProcessFin(h, seq + 1, now);
        }
        else
        {
            // Simultaneous open (RFC 9293 §3.5, Figure 8).
            SetState(TcpState.SynReceived, "rcv SYN (simultaneous open)");
            SendSynAck(now);
        }
    }

    /// <summary>RFC 9293 §3.10.7.4: every other state, checks in the RFC's order.</summary>
    private void OnSegmentSynchronized(in TcpHeader h, in TcpOptions options, Instant now)
    {
        TcpFlags flags = h.Flags;
        bool syn = (flags & TcpFlags.Syn) != 0;
        bool ack = (flags & TcpFlags.Ack) != 0;
        bool rst = (flags & TcpFlags.Rst) != 0;
        bool fin = (flags & TcpFlags.Fin) != 0;
        var seq = new SeqNum(h.SequenceNumber);
        var segAck = new SeqNum(h.AcknowledgmentNumber);
        int segLen = h.SegmentLength;

        if (_state == TcpState.SynReceived && syn && !ack && !rst && seq == _irs)
        {
            // The peer retransmitted its SYN: our SYN-ACK was lost (Linux tcp_check_req resends it).
            SendSynAck(now);
            return;
        }

        // Simultaneous open: the peer's SYN-ACK in SYN-RECEIVED acknowledges our SYN; take it as that ACK
        // (Linux tcp_validate_incoming) rather than answering it as out of window.
        bool synAckInSynReceived = _state == TcpState.SynReceived && syn && ack && !rst && seq + 1 == _rcvNxt
            && segAck == _sndNxt;

        if (_state == TcpState.TimeWait && fin && !rst && !syn && seq + segLen == _rcvNxt)
        {
            // RFC 9293 §3.10.7.4 eighth: a retransmitted FIN in TIME-WAIT is acknowledged and restarts 2 MSL.
            _timers.Arm(TimerKind.TimeWait, now + 2 * _config.Msl);
            _ackPending = true;
            return;
        }

        // RFC 7323 §5.3 R1 (PAWS): a timestamp older than TS.Recent marks an old duplicate; ACK and drop.
        // (The 24-day idle rule of §5.5 is not applied.)
        if (_tsOk && options.HasTimestamps && !rst && _state != TcpState.SynReceived
            && unchecked((int)(options.TsVal - _tsRecent)) < 0)
        {
            _layer.Statistics.PawsRejected++;
            _ackPending = true;
            AcceptShutOutAck(ack, rst, syn, segLen, segAck, options, now);
            return;
        }

        // First: sequence number acceptability (the four cases).
        if (!synAckInSynReceived && !Acceptable(seq, segLen))
        {
            _layer.Statistics.OutOfWindow++;
            if (!rst)
            {
                _ackPending = true;
            }
            AcceptShutOutAck(ack, rst, syn, segLen, segAck, options, now);
            return;
        }

        UpdateTsRecent(seq, options);

        // Second: RST (RFC 5961 §3: only an exact RCV.NXT match resets; other in-window RSTs get a challenge ACK).
        if (rst)
        {
            _layer.Statistics.ResetsReceived++;
            if (seq != _rcvNxt && _config.ChallengeAcks)
            {
                ChallengeAck();
                return;
            }
            OnReset();
            return;
        }

        // Fourth: SYN in a synchronized state (RFC 5961 §4 challenge ACK; RFC 9293 §3.10.7.4 allows it).
        if (syn && !synAckInSynReceived)
        {
            if (_config.ChallengeAcks)
            {
                ChallengeAck();
            }
            else
            {
                _layer.SendReset(Tuple, _sndNxt, _rcvNxt, TcpFlags.Rst | TcpFlags.Ack, now);
                Fail(SocketError.ConnectionReset, "rcv SYN in synchronized state");
            }
            return;
        }

        // Fifth: ACK.
        if (!ack)
        {
            return;
        }
        if (_state == TcpState.SynReceived)
        {
            if (segAck <= _sndUna || segAck > _sndMax)
            {
                _layer.SendReset(Tuple, segAck, default, TcpFlags.Rst, now);
                return;
            }
            if (Listener is { IsAcceptQueueFull: true })
            {
                // Linux drops the handshake's ACK when the accept queue is full; the SYN-ACK is resent later.
                _layer.Statistics.ListenOverflows++;
                return;
            }
            _sndWnd = (long)h.Window << _sndWscale;
            _maxSndWnd = Math.Max(_maxSndWnd, _sndWnd);
            _sndWl1 = seq;
            _sndWl2 = segAck;
            if (_retries > 0 && _rto.SmoothedRtt is null)
            {
                _rto.OnSynTimedOut();
            }
            _retries = 0;
            SetState(TcpState.Established, synAckInSynReceived ? "rcv SYN,ACK (simultaneous open)" : "rcv ACK of SYN");
            if (synAckInSynReceived)
            {
                _ackPending = true;
            }
            Listener?.OnChildEstablished(this);
        }
        if (segAck > _sndMax)
        {
            _ackPending = true; // RFC 9293: an ACK of something not yet sent is answered with an ACK and dropped.
            return;
        }
        bool newSack = ReceiveSackBlocks(options);
        bool advanced = segAck > _sndUna;
        long windowBefore = _sndWnd;
        if (advanced)
        {
            AckAdvance(segAck, options, now);
        }
        if (segAck >= _sndUna && (_sndWl1 < seq || (_sndWl1 == seq && _sndWl2 <= segAck)))
        {
            // RFC 9293 §3.10.7.4: update SND.WND only from segments no older than the last update.
            _sndWnd = (long)h.Window << _sndWscale;
            _maxSndWnd = Math.Max(_maxSndWnd, _sndWnd);
            _sndWl1 = seq;
            _sndWl2 = segAck;
            if (_sndWnd > 0)
            {
                _timers.Cancel(TimerKind.Persist);
                _persistBackoff = 0;
            }
        }
        if (!advanced)
        {
            // RFC 5681 §2: a duplicate ACK carries no data, no SYN or FIN, the same ACK and the same window.
            // Answers to zero-window probes (window 0) are not: nothing was lost.
            bool duplicate = segAck == _sndUna && segLen == 0 && windowBefore > 0
                && ((long)h.Window << _sndWscale) == windowBefore;
            OnAckWithoutProgress(duplicate, newSack, now);
        }

        bool finAcked = _finQueued && _sndUna == FinSeq + 1;
        switch (_state)
        {
            case TcpState.FinWait1 when finAcked:
                SetState(TcpState.FinWait2, "rcv ACK of FIN");
                if (_userClosed)
                {
                    _timers.Arm(TimerKind.TimeWait, now + _config.FinWait2Timeout); // TCP_LINGER2
                }
                break;
            case TcpState.Closing when finAcked:
                EnterTimeWait(now, "rcv ACK of FIN");
                break;
            case TcpState.LastAck when finAcked:
                SetState(TcpState.Closed, "rcv ACK of FIN");
                return;
        }

        // Sixth: URG is ignored (RFC 6093 discourages its use). Seventh: segment text. Eighth: FIN.
        if (h.Payload.Length > 0 && _userClosed && _state is TcpState.FinWait1 or TcpState.FinWait2)
        {
            // Data for an application that has closed: Linux answers with a RST and closes
            // (tcp_rcv_state_process, RFC 2525 §2.17).
            _layer.SendReset(Tuple, segAck, default, TcpFlags.Rst, now);
            _send.Clear();
            _recv.Clear();
            SetState(TcpState.Closed, "data after close");
            return;
        }
        ProcessText(h, seq, now);
        ProcessFin(h, seq, now);
    }

    /// <summary>RFC 9293 §3.10.7.4 seventh: data into the receive buffer, out-of-order data held.</summary>
    private void ProcessText(in TcpHeader h, SeqNum dataSeq, Instant now)
    {
        ReadOnlySpan<byte> payload = h.Payload;
        if (payload.Length == 0 || _state is not (TcpState.Established or TcpState.FinWait1 or TcpState.FinWait2))
        {
            return;
        }
        bool gapBefore = _recv.HeldRangeCount > 0;
        bool inOrder = dataSeq == _rcvNxt;
        _recv.Insert(_rcvNxt, dataSeq, payload, out int advanced);
        if (advanced > 0)
        {
            _rcvNxt += advanced;
            _pending |= TcpEvents.Readable;
        }
        OnDataReceived(payload.Length, inOrder && advanced > 0 && !gapBefore && _recv.HeldRangeCount == 0, now);
    }

    /// <summary>RFC 9293 §3.10.7.4 eighth: a FIN counts once every byte before it has arrived.</summary>
    private void ProcessFin(in TcpHeader h, SeqNum dataSeq, Instant now)
    {
        if ((h.Flags & TcpFlags.Fin) == 0 || _finReceived || dataSeq + h.Payload.Length != _rcvNxt)
        {
            return;
        }
        _finReceived = true;
        _recv.DiscardHeld();
        _rcvNxt += 1;
        _ackPending = true;
        _pending |= TcpEvents.Readable;
        switch (_state)
        {
            case TcpState.SynReceived:
            case TcpState.Established:
                SetState(TcpState.CloseWait, "rcv FIN");
                break;
            case TcpState.FinWait1:
                SetState(TcpState.Closing, "rcv FIN (simultaneous close)");
                break;
            case TcpState.FinWait2:
                EnterTimeWait(now, "rcv FIN");
                break;
        }
    }

    private void EnterTimeWait(Instant now, string cause)
    {
        SetState(TcpState.TimeWait, cause);
        _timers.CancelAll();
        _timers.Arm(TimerKind.TimeWait, now + 2 * _config.Msl);
    }

    /// <summary>RFC 9293 §3.10.7.4 second, by state.</summary>
    private void OnReset()
    {
        switch (_state)
        {
            case TcpState.SynReceived when IsPassive:
                SetState(TcpState.Closed, "rcv RST (back to LISTEN)");
                break;
            case TcpState.SynReceived:
                Fail(SocketError.ConnectionRefused, "rcv RST");
                break;
            case TcpState.TimeWait:
                SetState(TcpState.Closed, "rcv RST");
                break;
            default:
                Fail(SocketError.ConnectionReset, "rcv RST");
                break;
        }
    }

    private void ChallengeAck()
    {
        _layer.Statistics.ChallengeAcks++;
        _ackPending = true;
    }

    /// <summary>
    /// RFC 9293 §3.10.7.4: "special allowance should be made to accept valid ACKs" that the window or PAWS shuts
    /// out. Without it two ends whose windows closed while ACKs were lost (or reordered) can each refuse the
    /// other's ACKs for ever; Linux gets the same effect from its rcv_wup leniency and tcp_disordered_ack.
    /// Only the cumulative ACK is taken: no data, no window update.
    /// </summary>
    private void AcceptShutOutAck(bool ack, bool rst, bool syn, int segLen, SeqNum segAck, in TcpOptions options, Instant now)
    {
        if (ack && !rst && !syn && segLen == 0 && segAck > _sndUna && segAck <= _sndMax && _state != TcpState.SynReceived)
        {
            AckAdvance(segAck, options, now);
        }
    }

    /// <summary>RFC 9293 §3.10.7.4: the four cases of segment acceptability against RCV.NXT and RCV.WND.</summary>
    private bool Acceptable(SeqNum seq, int segLen)
    {
        int wnd = Math.Max(0, _rcvEdge - _rcvNxt);
        if (segLen == 0 || seq == _rcvNxt)
        {
            // A segment at RCV.NXT is taken even into a zero window, for its ACK and RST ("special allowance"
            // in the RFC; Linux tcp_sequence); its text is then trimmed by the buffer and acknowledged.
            return wnd == 0 ? seq == _rcvNxt : seq.InWindow(_rcvNxt, wnd);
        }
        return wnd > 0 && (seq.InWindow(_rcvNxt, wnd) || (seq + (segLen - 1)).InWindow(_rcvNxt, wnd));
    }

    /// <summary>RFC 7323 §4.3: TS.Recent follows the segment that covers Last.ACK.sent. (PAWS itself comes later.)</summary>
    private void UpdateTsRecent(SeqNum seq, in TcpOptions options)
    {
        if (_tsOk && options.HasTimestamps && unchecked((int)(options.TsVal - _tsRecent)) >= 0 && seq <= _lastAckSent)
        {
            _tsRecent = options.TsVal;
        }
    }

    /// <summary>An acceptable ACK moved SND.UNA (RFC 9293 §3.10.7.4 fifth, RFC 6298 §5.2–5.3).</summary>
    private void AckAdvance(SeqNum segAck, in TcpOptions options, Instant now)
    {
        int acked = segAck - _sndUna;
        SeqNum dataEnd = _bufStart + _send.Count;
        int dataAcked = Math.Clamp(SeqNum.Min(segAck, dataEnd) - _bufStart, 0, _send.Count);
        _send.Acknowledge(dataAcked);
        _bufStart += dataAcked;
        _sndUna = segAck;
        if (_sndNxt < _sndUna)
        {
            _sndNxt = _sndUna;
        }
        if (!SampleRttFromTimestamp(options, now))
        {
            _rto.OnAck(segAck, now);
        }
        _retries = 0;
        if (_state != TcpState.SynSent)
        {
            OnNewDataAcked(acked, now);
        }
        if (dataAcked > 0)
        {
            _pending |= TcpEvents.Writable;
        }
        if (_sndNxt > _sndUna)
        {
            _timers.Arm(TimerKind.Retransmission, now + _rto.Rto);
        }
        else
        {
            _timers.Cancel(TimerKind.Retransmission);
        }
    }

    /// <summary>
    /// RFC 7323 §4.1: an ACK that moves SND.UNA echoes in TSecr the TSval of the segment it answers, so now −
    /// TSecr is an RTT sample, one per such ACK, retransmissions included (no Karn ambiguity), with the gains of
    /// Appendix G. Returns false when the segment has no usable echo (then the timed segment is used).
    /// </summary>
    private bool SampleRttFromTimestamp(in TcpOptions options, Instant now)
    {
        if (!_tsOk || !options.HasTimestamps || options.TsEcr == 0 || _state == TcpState.SynSent)
        {
            return false;
        }
        int ms = unchecked((int)(TsNow(now) - options.TsEcr));
        if (ms < 0 || ms > (int)_config.MaxRto.TotalMilliseconds)
        {
            return false; // An echo from the future or from too long ago: not a measurement.
        }
        int flight = Math.Max(_sndMax - _sndUna, _mss);
        int expected = (flight + 2 * _mss - 1) / (2 * _mss);
        _rto.SampleFromTimestamp(TimeSpan.FromMilliseconds(ms), expected);
        _rto.OnRetransmit(); // The timed segment, if any, is not needed: stop timing it.
        return true;
    }

    /// <summary>An ICMP error about a segment of ours (RFC 5927 §4.1: only if its sequence number is in flight).</summary>
    internal void OnIcmpError(IcmpErrorKind kind, int mtu, SeqNum quotedSeq, Instant now)
    {
        if (quotedSeq < _sndUna || quotedSeq > _sndMax)
        {
            return;
        }
        Enter();
        switch (kind)
        {
            case IcmpErrorKind.PacketTooBig:
                int mss = Math.Max(MinMss, mtu - IpHeaderLength - Wire.TcpHeader.MinLength - (_tsOk ? TimestampSpace : 0));
                if (mss < _mss)
                {
                    _mss = mss;
                    _cc?.SetMss(mss);
                    TcpLog.MssLowered(_layer.Log, Tuple, mss);
                    if (_state is not (TcpState.SynSent or TcpState.SynReceived) && _sndNxt > _sndUna)
                    {
                        // Linux tcp_simple_retransmit: resend at once what no longer fits; no backoff.
                        _rto.OnRetransmit();
                        _sndNxt = _sndUna;
                    }
                }
                break;
            case IcmpErrorKind.NetUnreachable:
                _softError = SocketError.NetworkUnreachable;
                break;
            case IcmpErrorKind.HostUnreachable:
            case IcmpErrorKind.AdministrativelyProhibited:
            case IcmpErrorKind.OtherUnreachable:
                _softError = SocketError.HostUnreachable;
                break;
            case IcmpErrorKind.PortUnreachable:
            case IcmpErrorKind.ProtocolUnreachable:
                _softError = SocketError.ConnectionRefused;
                break;
        }
        Leave(now);
    }

    /// <summary>RFC 9293 §3.10.7.4 / RFC 6191: may a new SYN replace this TIME-WAIT connection?</summary>
    internal bool AcceptsNewIncarnation(in TcpHeader syn, in TcpOptions options)
    {
        if (_state != TcpState.TimeWait)
        {
            return false;
        }
        if (_tsOk && options.HasTimestamps)
        {
            return unchecked((int)(options.TsVal - _tsRecent)) > 0;
        }
        return new SeqNum(syn.SequenceNumber) > _rcvNxt;
    }

    /// <summary>The old incarnation's SND.NXT, above which the new one's ISN must start.</summary>
    internal SeqNum SendHighWater => _sndMax;

    /// <summary>Drops a TIME-WAIT connection a new incarnation replaces.</summary>
    internal void Recycle(Instant now)
    {
        Enter();
        SetState(TcpState.Closed, "new incarnation (SYN in TIME-WAIT)");
        Leave(now);
    }

    /// <summary>Listener closed before accept: reset the connection (Linux inet_csk_listen_stop).</summary>
    internal void AbortFromListener(Instant now)
    {
        Enter();
        _userClosed = true;
        if (_state != TcpState.Closed)
        {
            if (_state == TcpState.SynReceived)
            {
                SetState(TcpState.Closed, "listener closed");
            }
            else
            {
                ResetAndClose(now, "listener closed");
            }
        }
        Leave(now);
    }
}
