using System.Net.Sockets;
using Stack.IP;
using Stack.Link.Time;
using Stack.Tcp.Diagnostics;
using Stack.Tcp.Isn;
using Stack.Tcp.Rto;
using Stack.Tcp.Sending;
using Stack.Tcp.Timers;
using Stack.Tcp.Wire;

namespace Stack.Tcp;

public sealed partial class TcpConnection
{
    /// <summary>
    /// Active open (RFC 9293 §3.10.1): SYN-SENT, and the SYN goes out — unless a Fast Open client holds it back
    /// for the data of the first Send (TcpConnection.FastOpenClient.cs).
    /// </summary>
    internal void StartConnect(SeqNum iss, Instant now, bool fastOpen = false)
    {
        bool outermost = Enter();
        try
        {
            InitSend(iss);
            _connectStart = now;
            _lastHeard = now;
            _mss = Math.Min(_opt.PeerMss, PathMss(now));
            InitMtuProbingForConnect(now);
            SetState(TcpState.SynSent, "active OPEN");
            if (fastOpen && BeginFastOpen())
            {
                return; // The SYN waits for the data it will carry.
            }
            SendSyn(now);
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

    /// <summary>Passive open from a listener's SYN (RFC 9293 §3.10.7.2): SYN-RECEIVED, and the SYN-ACK goes out.</summary>
    internal void StartPassive(in TcpHeader syn, in TcpOptions options, SeqNum iss, Instant now, FastOpenAnswer fastOpen = default)
    {
        bool outermost = Enter();
        try
        {
            InitSend(iss);
            _connectStart = now;
            _lastHeard = now;
            ReceiveSyn(syn, options, now);
            ReceiveSynEcn(syn.Flags, _layer.ReceivedEcn);
            TakeFastOpen(syn, options, fastOpen);
            _snd.Wnd = syn.Window; // RFC 7323 §2.2: the window of a SYN is never scaled.
            _snd.MaxWnd = Math.Max(_snd.MaxWnd, _snd.Wnd);
            _snd.Wl1 = _rcv.Irs;
            _snd.Wl2 = _snd.Iss;
            SetState(TcpState.SynReceived, "rcv SYN");
            SendSynAck(now);
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

    /// <summary>
    /// A connection from a valid SYN cookie (RFC 4987 §3.6): SYN-RECEIVED as though the listener had kept the
    /// SYN, with what the cookie remembered of its options. The ACK that carried the cookie comes in next, by
    /// <see cref="OnSegment"/>, and completes the handshake like any other.
    /// </summary>
    internal void StartFromCookie(in TcpHeader ack, in TcpOptions options, SynCookie cookie, Instant now)
    {
        bool outermost = Enter();
        try
        {
            InitSend(new SeqNum(ack.AcknowledgmentNumber) - 1);
            _connectStart = now;
            _lastHeard = now;
            uint? tsVal = options.HasTimestamps ? options.TsVal : null;
            ReceiveSyn(new SeqNum(ack.SequenceNumber) - 1, cookie.Mss, cookie.WindowScale, cookie.Sack, tsVal, now);
            _snd.Wl1 = _rcv.Irs;
            _snd.Wl2 = _snd.Iss;
            if (_opt.Timestamps)
            {
                // Our clock already stood at the SYN-ACK's TSval: later ones never go below it.
                _lastTsVal = options.TsEcr;
                _tsSent = true;
            }
            SetState(TcpState.SynReceived, "rcv ACK with SYN cookie");
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

    private void InitSend(SeqNum iss)
    {
        _snd.Iss = iss;
        _snd.Una = iss;
        _snd.Nxt = iss + 1;
        _snd.Max = iss + 1;
        _snd.BufStart = iss + 1;
    }

    /// <summary>Takes the peer's SYN: IRS, RCV.NXT and the options both sides must agree on (RFC 7323, RFC 9293 §3.7.1).</summary>
    private void ReceiveSyn(in TcpHeader syn, in TcpOptions options, Instant now) =>
        ReceiveSyn(new SeqNum(syn.SequenceNumber), options.Mss, options.WindowScale, options.SackPermitted,
            options.HasTimestamps ? options.TsVal : null, now);

    private void ReceiveSyn(SeqNum irs, ushort? mss, byte? windowScale, bool sackPermitted, uint? tsVal, Instant now)
    {
        _rcv.Irs = irs;
        _rcv.Nxt = _rcv.Irs + 1;
        _rcv.Edge = _rcv.Nxt + Math.Min(_recv.Window, ushort.MaxValue);
        InitReceiveWindowGrowth();
        bool v6 = Tuple.RemoteAddress.IsIpv6;
        _opt.PeerMss = mss is ushort m && m > 0 ? m : v6 ? 1220 : 536;
        _opt.WindowScale = _config.WindowScaling && windowScale is not null;
        if (_opt.WindowScale && windowScale is byte shift)
        {
            _snd.Wscale = Math.Min((int)shift, 14); // RFC 7323 §2.3: larger shifts are taken as 14.
            _rcv.Wscale = ReceiveShift(_config);
        }
        else
        {
            _snd.Wscale = 0;
            _rcv.Wscale = 0;
        }
        _opt.Sack = _config.Sack && sackPermitted;
        _opt.Timestamps = _config.Timestamps && tsVal is not null;
        if (_opt.Timestamps)
        {
            _opt.TsRecent = tsVal!.Value;
        }
        SyncMssAtHandshake(now);
    }

    /// <summary>The shift we announce: the configured one, or more if the receive buffer needs it.</summary>
    internal static int ReceiveShift(TcpConfig config)
    {
        int shift = config.WindowScale;
        while (shift < 14 && (config.ReceiveBufferSize >> shift) > ushort.MaxValue)
        {
            shift++;
        }
        return shift;
    }

    internal void OnSegment(in TcpHeader h, in TcpOptions options, Instant now)
    {
        bool outermost = Enter();
        try
        {
            OnHeardFromPeer(now);
            if (_state == TcpState.SynSent)
            {
                OnSegmentSynSent(h, options, now);
            }
            else if (_state is not (TcpState.Closed or TcpState.Listen))
            {
                OnSegmentSynchronized(h, options, now);
            }
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

    /// <summary>RFC 9293 §3.10.7.3: SYN-SENT.</summary>
    private void OnSegmentSynSent(in TcpHeader h, in TcpOptions options, Instant now)
    {
        TcpFlags flags = h.Flags;
        bool ack = (flags & TcpFlags.Ack) != 0;
        bool rst = (flags & TcpFlags.Rst) != 0;
        var segAck = new SeqNum(h.AcknowledgmentNumber);
        if (ack && (segAck <= _snd.Iss || segAck > _snd.Max))
        {
            if (!rst)
            {
                _layer.ReplyReset(Tuple, segAck, default, TcpFlags.Rst, now);
            }
            return;
        }
        if (ack && EchoPredatesSyn(options, now))
        {
            // Linux tcp_rcv_synsent_state_process: an echo outside [the first SYN's TSval, now] answers no SYN of
            // ours (an old or forged SYN-ACK); reset it (reset_and_undo) and stay in SYN-SENT.
            _layer.Statistics.PawsActiveRejected++;
            if (!rst)
            {
                _layer.ReplyReset(Tuple, segAck, default, TcpFlags.Rst, now);
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
        bool synResent = _retries > 0 || _synResentForTooBig;
        if (ack)
        {
            ReceiveSynAckEcn(flags);
            _snd.Wnd = h.Window;
            _snd.MaxWnd = Math.Max(_snd.MaxWnd, _snd.Wnd);
            _snd.Wl1 = seq;
            _snd.Wl2 = segAck;
            var sample = new AckSample { PriorInFlight = Pipe };
            AckAdvance(segAck, options, ref sample, now);
            if (_retries > 0 && _rto.SmoothedRtt is null)
            {
                _rto.OnSynTimedOut(); // RFC 6298 §5.7
            }
            _retries = 0;
            SetState(TcpState.Established, "rcv SYN,ACK");
            InitMtuProbing(now); // Linux tcp_init_transfer → tcp_mtup_init.
            _ackTiming.OnConnected(now);
            OnFastOpenSynAck(options, synResent, now);
            if (WritePending)
            {
                // Linux tcp_rcv_synsent_state_process: the ACK waits for the writer's data, in quick-ack mode with
                // the ACK timeout started, so that data written now makes the connection interactive
                // (tcp_event_data_sent) and the peer's answer is acknowledged with our next segment.
                _ackTiming.EnterQuickAckMode(AdvertisedWindow, _rcv.Mss);
                _timers.Arm(TimerKind.DelayedAck, now + SynAckAckHold);
            }
            else
            {
                _ackPending = true;
            }
            ProcessText(h, seq + 1, now);
            ProcessFin(h, seq + 1, now);
        }
        else
        {
            // Simultaneous open (RFC 9293 §3.5, Figure 8). Linux tcp_ecn_rcv_syn: ECN holds if the SYN asks too.
            if ((flags & (TcpFlags.Ece | TcpFlags.Cwr)) != (TcpFlags.Ece | TcpFlags.Cwr))
            {
                _ecnOk = false;
            }
            SetState(TcpState.SynReceived, "rcv SYN (simultaneous open)");
            SendSynAck(now);
        }
    }

    /// <summary>
    /// Linux's active PAWS test (tcp_rcv_synsent_state_process): a segment in SYN-SENT whose TS ecr is set (and
    /// timestamps are on) must echo a TSval between the first SYN's (retrans_stamp) and now.
    /// </summary>
    private bool EchoPredatesSyn(in TcpOptions options, Instant now) =>
        _config.Timestamps && options.HasTimestamps && options.TsEcr != 0 && _firstSynTsVal is uint first
        && unchecked(options.TsEcr - first) > unchecked(TsNow(now) - first);

    /// <summary>RFC 9293 §3.10.7.4: every other state, checks in the RFC's order.</summary>
    private void OnSegmentSynchronized(in TcpHeader h, in TcpOptions options, Instant now)
    {
        TcpFlags flags = h.Flags;
        bool syn = (flags & TcpFlags.Syn) != 0;
        bool ack = (flags & TcpFlags.Ack) != 0;
        bool rst = (flags & TcpFlags.Rst) != 0;
        bool fin = (flags & TcpFlags.Fin) != 0;
        _eceOnThisAck = IsEcnEcho(flags);
        var seq = new SeqNum(h.SequenceNumber);
        var segAck = new SeqNum(h.AcknowledgmentNumber);
        int segLen = h.SegmentLength;

        if (_state == TcpState.SynReceived && syn && !ack && !rst && seq == _rcv.Irs)
        {
            // The peer retransmitted its SYN: our SYN-ACK was lost. Linux tcp_check_req resends it, at most once
            // per interval (TCPACKSkippedSynRecv).
            if (InvalidReplyLimited(now))
            {
                _layer.Statistics.AckSkippedSynRecv++;
                return;
            }
            SendSynAck(now);
            return;
        }

        // Simultaneous open: the peer's SYN-ACK in SYN-RECEIVED acknowledges our SYN; take it as that ACK
        // (Linux tcp_validate_incoming) rather than answering it as out of window. Linux's snd_nxt there is past
        // the data our SYN carried (Fast Open), which ours reaches only when acknowledged: SND.MAX.
        bool synAckInSynReceived = _state == TcpState.SynReceived && syn && ack && !rst && seq + 1 == _rcv.Nxt
            && segAck >= _snd.Nxt && segAck <= _snd.Max;

        if (_state == TcpState.TimeWait && fin && !rst && !syn && seq + segLen == _rcv.Nxt)
        {
            // RFC 9293 §3.10.7.4 eighth: a retransmitted FIN in TIME-WAIT is acknowledged and restarts 2 MSL.
            _timers.Arm(TimerKind.TimeWait, now + 2 * _config.Msl);
            _ackPending = true;
            return;
        }

        // RFC 7323 §5.3 R1 (PAWS): a timestamp older than TS.Recent marks an old duplicate; ACK and drop.
        // (The 24-day idle rule of §5.5 is not applied.)
        if (_opt.Timestamps && options.HasTimestamps && !rst && _state != TcpState.SynReceived
            && unchecked((int)(options.TsVal - _opt.TsRecent)) < 0)
        {
            _layer.Statistics.PawsRejected++;
            AnswerUnacceptable(h, ref _layer.Statistics.AckSkippedPaws, now);
            AcceptShutOutAck(ack, rst, syn, segLen, segAck, options, now);
            return;
        }

        // First: sequence number acceptability (the four cases).
        if (!synAckInSynReceived && !Acceptable(seq, segLen))
        {
            _layer.Statistics.OutOfWindow++;
            if (!rst)
            {
                AnswerUnacceptable(h, ref _layer.Statistics.AckSkippedSeq, now);
                if (!syn && h.Payload.Length > 0 && seq + h.Payload.Length <= _rcv.Nxt && _rcv.Nxt - seq <= _recv.Capacity)
                {
                    ReportDuplicate(seq, seq + h.Payload.Length); // Linux tcp_send_dupack
                }
            }
            AcceptShutOutAck(ack, rst, syn, segLen, segAck, options, now);
            return;
        }

        // Second: RST (RFC 5961 §3: only an exact RCV.NXT match resets; other in-window RSTs get a challenge ACK).
        if (rst)
        {
            _layer.Statistics.ResetsReceived++;
            if (seq != _rcv.Nxt && _config.ChallengeAcks)
            {
                ChallengeAck(now);
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
                ChallengeAck(now);
            }
            else
            {
                _layer.SendReset(Tuple, _snd.Nxt, _rcv.Nxt, TcpFlags.Rst | TcpFlags.Ack, now);
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
            if (segAck <= _snd.Una || segAck > _snd.Max)
            {
                _layer.ReplyReset(Tuple, segAck, default, TcpFlags.Rst, now);
                return;
            }
            if (!IsFastOpenPending && Listener is { IsAcceptQueueFull: true })
            {
                // Linux drops the handshake's ACK when the accept queue is full; the SYN-ACK is resent later.
                _layer.Statistics.ListenOverflows++;
                return;
            }
            _snd.Wnd = (long)h.Window << _snd.Wscale;
            _snd.MaxWnd = Math.Max(_snd.MaxWnd, _snd.Wnd);
            _snd.Wl1 = seq;
            _snd.Wl2 = segAck;
            if (_retries > 0 && _rto.SmoothedRtt is null)
            {
                _rto.OnSynTimedOut();
            }
            _retries = 0;
            SetState(TcpState.Established, synAckInSynReceived ? "rcv SYN,ACK (simultaneous open)" : "rcv ACK of SYN");
            InitMtuProbing(now); // Linux tcp_init_transfer → tcp_mtup_init.
            if (synAckInSynReceived)
            {
                // Linux tcp_data_queue: the SYN-ACK's SYN is old news, answered at once with a D-SACK for it.
                ReportDuplicate(seq, seq + 1);
            }
            if (IsFastOpenPending)
            {
                EndFastOpen(); // Already in the accept queue, perhaps accepted.
            }
            else
            {
                Listener?.OnChildEstablished(this);
            }
        }
        if (segAck > _snd.Max)
        {
            // RFC 9293 / RFC 5961 §5.2: an ACK of something not yet sent is answered with an ACK and dropped; a
            // challenge ACK, so limited as one (as Linux 6.18's tcp_ack).
            ChallengeAck(now);
            return;
        }
        if (segAck >= _snd.Una)
        {
            // Linux tcp_ack updates TS.Recent only once the ACK is known good (neither old nor of data never
            // sent): a segment with a forged ACK must not move it (RFC 7323 §4.3 leaves the order open).
            UpdateTsRecent(seq, options);
        }
        // Linux tcp_ack: an ACK within [SND.UNA, SND.MAX] shows the peer alive: the probe count restarts.
        _probesOut = 0;
        _lastAckReceivedAt = now;
        // Originals sent before a timeout are what F-RTO looks for among the deliveries (Linux high_seq).
        var sample = new AckSample
        {
            OriginalLimit = _recoveryState == RecoveryState.Loss ? _highSeq : null, PriorInFlight = Pipe,
            PriorHighSacked = _segments.HighSacked,
        };
        bool dsack = ReceiveSackBlocks(options, segAck, ref sample);
        bool advanced = segAck > _snd.Una;
        long windowBefore = _snd.Wnd;
        if (advanced)
        {
            AckAdvance(segAck, options, ref sample, now);
        }
        if (segAck >= _snd.Una && (_snd.Wl1 < seq || (_snd.Wl1 == seq && _snd.Wl2 <= segAck)))
        {
            // RFC 9293 §3.10.7.4: update SND.WND only from segments no older than the last update.
            long window = (long)h.Window << _snd.Wscale;
            bool windowChanged = window != _snd.Wnd;
            _snd.Wnd = window;
            _snd.MaxWnd = Math.Max(_snd.MaxWnd, _snd.Wnd);
            _snd.Wl1 = seq;
            _snd.Wl2 = segAck;
            if (windowChanged && _snd.BufStart + _send.Count > _snd.Nxt)
            {
                // Linux tcp_ack_update_window: a window that changes while data waits checks for idleness
                // (tcp_slow_start_after_idle_check) before that data leaves, as a write does.
                RestartAfterIdle(now);
            }
            if (_snd.Wnd > 0)
            {
                _timers.Cancel(TimerKind.Persist);
                _persistBackoff = 0;
            }
        }
        // RFC 5681 §2: a duplicate ACK carries no data, no SYN or FIN, the same ACK and the same window, while
        // data is outstanding. Answers to zero-window probes (window 0) are not: nothing was lost.
        bool duplicate = !advanced && segAck == _snd.Una && segLen == 0 && windowBefore > 0
            && ((long)h.Window << _snd.Wscale) == windowBefore && _snd.Nxt != _snd.Una;
        if (advanced || duplicate || sample.NewlySacked > 0 || dsack)
        {
            OnAckForSender(ref sample, advanced, duplicate, dsack, options, now);
        }

        bool finAcked = _finQueued && _snd.Una == FinSeq + 1;
        switch (_state)
        {
            case TcpState.FinWait1 when finAcked:
                SetState(TcpState.FinWait2, "rcv ACK of FIN");
                if (_userClosed)
                {
                    _timers.Arm(TimerKind.FinWait2, now + _config.FinWait2Timeout); // TCP_LINGER2
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
            ForgetPushMarks();
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
        ReceiveDataEcn(h.Flags, payload.Length);
        CheckUrgent(h, dataSeq);
        bool gapBefore = _recv.HeldRangeCount > 0;
        bool inOrder = dataSeq == _rcv.Nxt;
        SeqNum dataEnd = dataSeq + payload.Length;
        if (dataSeq < _rcv.Nxt)
        {
            ReportDuplicate(dataSeq, SeqNum.Min(dataEnd, _rcv.Nxt)); // Partly old: the old part.
        }
        else if (gapBefore && _recv.HeldOverlap(dataSeq, dataEnd) is { } again)
        {
            ReportDuplicate(again.Start, again.End); // Out of order, and already held.
        }
        _recv.Insert(_rcv.Nxt, dataSeq, payload, out int advanced);
        _dataSegmentsIn++;
        if (advanced > 0)
        {
            _rcv.Nxt += advanced;
            _bytesReceived += advanced;
            _layer.Statistics.BytesReceived += advanced;
            _pending |= TcpEvents.Readable;
        }
        if (inOrder && advanced > 0)
        {
            _lastDataReceivedAt = now; // Linux tcp_event_data_recv, for in-sequence data (tcpi_last_data_recv).
            GrowReceiveWindow(payload.Length);
        }
        OnDataReceived(payload.Length, inOrder && advanced > 0, !gapBefore && _recv.HeldRangeCount == 0, now);
    }

    /// <summary>RFC 9293 §3.10.7.4 eighth: a FIN counts once every byte before it has arrived.</summary>
    private void ProcessFin(in TcpHeader h, SeqNum dataSeq, Instant now)
    {
        if ((h.Flags & TcpFlags.Fin) == 0 || _finReceived || dataSeq + h.Payload.Length != _rcv.Nxt)
        {
            return;
        }
        _finReceived = true;
        _recv.DiscardHeld();
        _rcv.Nxt += 1;
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
            case TcpState.SynReceived when IsPassive && !IsFastOpenPending:
                SetState(TcpState.Closed, "rcv RST (back to LISTEN)");
                break;
            case TcpState.SynReceived when IsPassive:
                // A Fast Open child is already in the accept queue, perhaps accepted and read from: its owner is
                // told, as Linux does (ECONNRESET), rather than the connection quietly going back to LISTEN.
                Fail(SocketError.ConnectionReset, "rcv RST (Fast Open)");
                break;
            case TcpState.SynReceived:
                Fail(SocketError.ConnectionRefused, "rcv RST");
                break;
            case TcpState.TimeWait:
                SetState(TcpState.Closed, "rcv RST");
                break;
            case TcpState.CloseWait:
                // The RFC says "connection reset" in every synchronized state; Linux's tcp_reset says EPIPE here,
                // the peer having closed already: the application's next write fails as writing to a closed
                // pipe does (seed §5.13), and reads still end with the FIN (see Receive).
                Fail(SocketError.Shutdown, "rcv RST in CLOSE-WAIT");
                break;
            default:
                Fail(SocketError.ConnectionReset, "rcv RST");
                break;
        }
    }

    /// <summary>
    /// RFC 9293 §3.10.7.4: "special allowance should be made to accept valid ACKs" that the window or PAWS shuts
    /// out. Without it two ends whose windows closed while ACKs were lost (or reordered) can each refuse the
    /// other's ACKs for ever; Linux gets the same effect from its rcv_wup leniency and tcp_disordered_ack.
    /// Only the cumulative ACK is taken: no data, no window update.
    /// </summary>
    private void AcceptShutOutAck(bool ack, bool rst, bool syn, int segLen, SeqNum segAck, in TcpOptions options, Instant now)
    {
        if (ack && !rst && !syn && segLen == 0 && segAck > _snd.Una && segAck <= _snd.Max && _state != TcpState.SynReceived)
        {
            var sample = default(AckSample);
            AckAdvance(segAck, options, ref sample, now);
            OnAckForSender(ref sample, advanced: true, duplicate: false, dsack: false, options, now);
        }
    }

    /// <summary>RFC 9293 §3.10.7.4: the four cases of segment acceptability against RCV.NXT and RCV.WND.</summary>
    private bool Acceptable(SeqNum seq, int segLen)
    {
        int wnd = Math.Max(0, _rcv.Edge - _rcv.Nxt);
        if (segLen == 0 || seq == _rcv.Nxt)
        {
            // A segment at RCV.NXT is taken even into a zero window, for its ACK and RST ("special allowance"
            // in the RFC; Linux tcp_sequence); its text is then trimmed by the buffer and acknowledged.
            return wnd == 0 ? seq == _rcv.Nxt : seq.InWindow(_rcv.Nxt, wnd);
        }
        return wnd > 0 && (seq.InWindow(_rcv.Nxt, wnd) || (seq + (segLen - 1)).InWindow(_rcv.Nxt, wnd));
    }

    /// <summary>RFC 7323 §4.3: TS.Recent follows the segment that covers Last.ACK.sent. (PAWS itself comes later.)</summary>
    private void UpdateTsRecent(SeqNum seq, in TcpOptions options)
    {
        if (_opt.Timestamps && options.HasTimestamps && unchecked((int)(options.TsVal - _opt.TsRecent)) >= 0 && seq <= _rcv.LastAckSent)
        {
            _opt.TsRecent = options.TsVal;
        }
    }

    /// <summary>
    /// An acceptable ACK moved SND.UNA (RFC 9293 §3.10.7.4 fifth, RFC 6298 §5.2–5.3): the send buffer and the
    /// records give up what it covers, an RTT sample is taken, and the retransmission timer restarts.
    /// </summary>
    private void AckAdvance(SeqNum segAck, in TcpOptions options, ref AckSample sample, Instant now)
    {
        SeqNum dataEnd = _snd.BufStart + _send.Count;
        int dataAcked = Math.Clamp(SeqNum.Min(segAck, dataEnd) - _snd.BufStart, 0, _send.Count);
        _send.Acknowledge(dataAcked);
        _bytesAcked += segAck - _snd.Una; // Linux tcp_snd_una_update
        _snd.BufStart += dataAcked;
        ForgetPushMarks(_snd.BufStart);
        _snd.Una = segAck;
        if (_snd.Nxt < _snd.Una)
        {
            _snd.Nxt = _snd.Una;
        }
        _segments.AckTo(segAck, ref sample);
        if (_segments.Count == 0)
        {
            ChronoStop(Chrono.Busy, now); // Linux tcp_clean_rtx_queue: the retransmit queue ran empty.
        }
        OnSendAcknowledged(now);
        // Linux tcp_ack_update_rtt prefers the send-time sample to the echoed timestamp (a middlebox may corrupt
        // TSecr); the RFC profile takes the timestamp first, as RFC 7323 §4.1 describes.
        bool sendTimeFirst = _config.RtoFormula == RtoFormula.Linux && sample.HasOldestAcked
            && !sample.RetransmittedDelivered && _state != TcpState.SynSent && _state != TcpState.SynReceived;
        if (sendTimeFirst || !SampleRttFromTimestamp(options, now))
        {
            if (_rto.OnAck(segAck, _snd.Nxt, now) && _rto.SmoothedRtt is { } synRtt)
            {
                // The SYN was timed (Karn: not when resent): RACK's min_RTT starts from it, as Linux's does.
                _synRtt = (synRtt, now);
                _loss.OnRttSample(synRtt, now);
                OnRttSampleForInfo(synRtt, now);
            }
            else if (sample.HasOldestAcked && !sample.RetransmittedDelivered)
            {
                // Without timestamps, the oldest segment this ACK covers, if none of them was ever resent
                // (Karn's rule; Linux tcp_clean_rtx_queue's seq_rtt).
                TimeSpan rtt = now - sample.OldestAckedSentAt;
                _rto.AddSample(rtt, segAck, _snd.Nxt);
                _rto.OnRetransmit(); // Any segment being timed is answered by this sample.
                _loss.OnRttSample(rtt, now);
                OnRttSampleForInfo(rtt, now);
            }
        }
        _retries = 0;
        if (dataAcked > 0)
        {
            // Writable is raised there, only for a writer that found the buffer full (sk_stream_write_space).
            _sendSpaceFreed = true;
        }
        _restartRto = true;
    }

    /// <summary>
    /// RFC 7323 §4.1: an ACK that moves SND.UNA echoes in TSecr the TSval of the segment it answers, so now −
    /// TSecr is an RTT sample, one per such ACK, retransmissions included (no Karn ambiguity), with the gains of
    /// Appendix G. Returns false when the segment has no usable echo (then the timed segment is used).
    /// </summary>
    private bool SampleRttFromTimestamp(in TcpOptions options, Instant now)
    {
        if (!_opt.Timestamps || !options.HasTimestamps || options.TsEcr == 0 || _state == TcpState.SynSent)
        {
            return false;
        }
        int ms = unchecked((int)(TsNow(now) - options.TsEcr));
        if (ms < 0 || ms > (int)_config.MaxRto.TotalMilliseconds)
        {
            return false; // An echo from the future or from too long ago: not a measurement.
        }
        int flight = Math.Max(_snd.Max - _snd.Una, _mss);
        int expected = (flight + 2 * _mss - 1) / (2 * _mss);
        TimeSpan rtt = TimeSpan.FromMilliseconds(ms);
        _rto.SampleFromTimestamp(rtt, _snd.Una, _snd.Nxt, expected);
        _rto.OnRetransmit(); // The timed segment, if any, is not needed: stop timing it.
        _loss.OnRttSample(rtt, now);
        OnRttSampleForInfo(rtt, now);
        return true;
    }

    /// <summary>
    /// A too-big error matched to a segment in flight: the path MTU drops (IP keeps it within the family's floor)
    /// and with it the MSS; what no longer fits goes again at once (RetransmitTooBig). An IPv6 report below 1280
    /// is ignored, as Linux does (tcp_v6_err): no IPv6 link is that small, so it is a forgery or a relic of
    /// atomic fragments (RFC 8021).
    /// </summary>
    private void OnPacketTooBig(int mtu, Instant now)
    {
        if (Tuple.RemoteAddress.IsIpv6 && mtu < IpHost.MinIpv6PathMtu)
        {
            _layer.Statistics.IcmpTooBigIgnored++;
            return;
        }
        int oldPathMtu = _layer.Host.PathMtu(Tuple.RemoteAddress, now);
        int pathMtu = _layer.Host.LowerPathMtu(Tuple.RemoteAddress, mtu, now);
        if (_state == TcpState.SynSent)
        {
            if (pathMtu < oldPathMtu)
            {
                ResendSynForTooBig(now);
            }
            return; // The MSS is set from the SYN-ACK, with the path MTU.
        }
        _routeMtu = pathMtu; // The route's MTU as the connection sees it (Linux updates the socket's dst).
        if (MtuToMss(pathMtu) >= _mss)
        {
            return; // Not smaller than what we send: a late copy of an error already acted on, or a bogus one.
        }
        SyncMss(pathMtu);
        TcpLog.MssLowered(_layer.Log, Tuple, _mss);
        // With IP_PMTUDISC_DONT Linux (tcp_v4_mtu_reduced) resends nothing: what is in flight went without DF, and
        // only later segments take the smaller MSS (tcp_current_mss follows the route's MTU).
        if (_state is not (TcpState.SynSent or TcpState.SynReceived) && _snd.Nxt > _snd.Una && _config.PathMtuDiscovery)
        {
            RetransmitTooBig(); // Resent at once, at the new size; no backoff.
        }
    }

    /// <summary>Listener closed before accept: reset the connection (Linux inet_csk_listen_stop).</summary>
    internal void AbortFromListener(Instant now)
    {
        bool outermost = Enter();
        try
        {
            _userClosed = true;
            if (_state != TcpState.Closed)
            {
                if (_state == TcpState.SynReceived && !IsFastOpenPending)
                {
                    SetState(TcpState.Closed, "listener closed");
                }
                else
                {
                    ResetAndClose(now, "listener closed");
                }
            }
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
}
