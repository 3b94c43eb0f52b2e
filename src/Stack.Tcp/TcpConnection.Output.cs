using System.Net.Sockets;
using Stack.Link.Time;
using Stack.Tcp.Buffers;
using Stack.Tcp.Sending;
using Stack.Tcp.Timers;
using Stack.Tcp.Wire;

namespace Stack.Tcp;

public sealed partial class TcpConnection
{
    private const int TimestampSpace = 12; // NOP NOP TS: RFC 7323 §3.2 as Linux lays it out.
    private const int MinMss = 48; // Linux tcp_min_snd_mss: a peer's tiny MSS may not make us send dust.

    private int IpHeaderLength => Tuple.RemoteAddress.IsIpv6 ? 40 : 20;

    /// <summary>The MSS the path allows: path MTU less IP and TCP headers (1460 IPv4 / 1440 IPv6 on Ethernet).</summary>
    private int PathMss(Instant now) =>
        Math.Min(_layer.Host.PathMtu(Tuple.RemoteAddress, now) - IpHeaderLength - TcpHeader.MinLength, _config.MaxSegment ?? int.MaxValue);

    /// <summary>
    /// The MSS we announce: the interface MTU less headers (RFC 9293 §3.7.1), or TCP_MAXSEG when lower. A route's
    /// advmss, or else its MTU, stands in for the interface's (Linux dst_metric_advmss).
    /// </summary>
    private int AnnouncedMss
    {
        get
        {
            var route = _layer.Host.RouteMetrics(Tuple.RemoteAddress);
            int mss = route.AdvertisedMss ?? (route.Mtu ?? _layer.Host.Mtu) - IpHeaderLength - TcpHeader.MinLength;
            return Math.Min(mss, _config.MaxSegment ?? int.MaxValue);
        }
    }

    /// <summary>The sequence number of our FIN (meaningful once one is queued: no writes follow it).</summary>
    private SeqNum FinSeq => _snd.BufStart + _send.Count;

    /// <summary>
    /// TSval (RFC 7323 §5.4: monotonic). The instant handed in can lag one an application call already used
    /// (Receive sends its window update at the layer's last instant), so never let the clock step back: a
    /// smaller TSval would be thrown away by the peer's PAWS check, and the ACK it carried with it.
    /// </summary>
    private uint TsNow(Instant now)
    {
        uint value = unchecked((uint)now.Milliseconds + _tsOffset);
        if (_tsSent && unchecked((int)(value - _lastTsVal)) < 0) value = _lastTsVal;
        _lastTsVal = value;
        _tsSent = true;
        return value;
    }

    private uint _lastTsVal;
    private bool _tsSent;

    /// <summary>This file's fields as a new connection has them (called by <see cref="Open"/>).</summary>
    private void ResetOutput()
    {
        (_lastTsVal, _tsSent, _firstSynTsVal, _stoppedByCwnd, _stoppedByRwnd) = (0, false, null, false, false);
    }

    /// <summary>Hands a segment of this connection to the layer with its IP marks: ECN, DSCP and DF.</summary>
    private bool Transmit(in TcpRepr repr, SendBuffer? data, int offset, int length, Instant now, byte ecn = EcnNotEct)
    {
        RefreshRoute(now);
        return _layer.Transmit(Tuple, repr, data, offset, length, now, ecn, _config.TrafficClass, _config.PathMtuDiscovery);
    }

    /// <summary>The TSval of the first SYN sent, for the active PAWS test (<see cref="EchoPredatesSyn"/>).</summary>
    private uint? _firstSynTsVal;

    private void SendSyn(Instant now)
    {
        // Linux tcp_advertise_mss: the route's advmss, which follows a path MTU already lowered.
        var options = new TcpOptions { Mss = (ushort)Math.Min(AnnouncedMss, PathMss(now)), SackPermitted = _config.Sack };
        if (_config.WindowScaling)
        {
            options.WindowScale = (byte)ReceiveShift(_config);
        }
        if (_config.Timestamps)
        {
            options.HasTimestamps = true;
            options.TsVal = TsNow(now);
            _firstSynTsVal ??= options.TsVal; // Linux's retrans_stamp, set once in tcp_connect.
        }
        int data = TakeFastOpenForSyn(ref options);
        var repr = new TcpRepr(Tuple.LocalPort, Tuple.RemotePort, _snd.Iss.Value, 0, TcpFlags.Syn | SynEcnFlags(),
            (ushort)Math.Min(_recv.Window, ushort.MaxValue), options);
        Transmit(repr, data > 0 ? _send : null, 0, data, now);
        if (_retries == 0 && !_synResentForTooBig)
        {
            _rto.StartTiming(_snd.Iss + 1, now); // Karn: a retransmitted SYN is not timed.
        }
        ArmSynTimer(now);
    }

    private void SendSynAck(Instant now)
    {
        var options = new TcpOptions { Mss = (ushort)AnnouncedMss, SackPermitted = _opt.Sack };
        if (_opt.WindowScale)
        {
            options.WindowScale = (byte)_rcv.Wscale;
        }
        if (_opt.Timestamps)
        {
            options.HasTimestamps = true;
            options.TsVal = TsNow(now);
            options.TsEcr = _opt.TsRecent;
        }
        AddSynAckCookie(ref options);
        var repr = new TcpRepr(Tuple.LocalPort, Tuple.RemotePort, _snd.Iss.Value, _rcv.Nxt.Value,
            TcpFlags.Syn | TcpFlags.Ack | SynAckEcnFlags, (ushort)Math.Min(_recv.Window, ushort.MaxValue), options);
        OnAckSent();
        Transmit(repr, null, 0, 0, now);
        if (_retries == 0 && !_synResentForTooBig)
        {
            _rto.StartTiming(_snd.Iss + 1, now); // Karn: a retransmitted SYN is not timed.
        }
        ArmSynTimer(now);
    }

    private void ArmSynTimer(Instant now)
    {
        Instant at = now + _rto.Rto;
        if (_state == TcpState.SynSent)
        {
            at = Instant.Min(at, _connectStart + _config.ConnectTimeout);
        }
        _timers.Arm(TimerKind.Retransmission, at);
    }

    /// <summary>
    /// Sends what is due: segments marked lost (within cwnd), then data the send and congestion windows allow
    /// (Nagle unless NoDelay), the FIN after the last byte, or else a pure ACK if one is owed. Then arms the
    /// timers that watch what is in flight.
    /// </summary>
    private void Output(Instant now)
    {
        if (_state is TcpState.Closed or TcpState.Listen or TcpState.SynSent)
        {
            return;
        }
        // A Fast Open child sends data before the handshake's last ACK (RFC 7413 §4.2.2; Linux lets it in SYN_RECV).
        if (_state is TcpState.Established or TcpState.CloseWait or TcpState.FinWait1 or TcpState.Closing
            or TcpState.LastAck || (_state == TcpState.SynReceived && IsFastOpenPending))
        {
            if (!_newDataFirst)
            {
                SendRetransmissions(now);
            }
            SendData(now);
            if (_newDataFirst)
            {
                _newDataFirst = false;
                if (_snd.Max <= _highSeq)
                {
                    _frto = false; // F-RTO found no new data to send: recover the usual way.
                    SendRetransmissions(now);
                }
            }
        }
        if (_ackPending)
        {
            SendAck(now);
        }
        if (_state == TcpState.SynReceived)
        {
            return; // The SYN-ACK's own timer runs.
        }
        ArmRetransmissionTimers(now);
    }

    /// <summary>
    /// Resends the segments marked lost, oldest first, while cwnd leaves room (Linux tcp_xmit_retransmit_queue):
    /// RFC 6675 NextSeg rule 1, with losses found by RACK, DupThresh or a timeout.
    /// </summary>
    private void SendRetransmissions(Instant now)
    {
        if (_cc is null)
        {
            return;
        }
        StartResendBurst();
        for (int i = 0; i < _segments.Count && _segments.LostBytes > _segments.RetransmittedBytes; i++)
        {
            if (!_segments[i].NeedsRetransmission)
            {
                continue;
            }
            int mss = SendMss;
            if (_segments[i].Length - (IsFin(i) ? 1 : 0) > mss)
            {
                _segments.SplitAt(_segments[i].Start + mss);
            }
            if ((long)_cc.Cwnd - Pipe < Math.Min(_segments[i].Length, mss) || !PacingAllows(now))
            {
                return;
            }
            if (!Retransmit(i, now, countAsResend: true))
            {
                return; // Linux tcp_xmit_retransmit_queue: a resend that failed locally ends the pass.
            }
            if (i == 0)
            {
                _restartRto = true; // Linux: resending the head restarts the retransmission timer.
            }
        }
    }

    private bool IsFin(int index) => (_segments[index].Marks & SegmentMarks.Fin) != 0;

    private void SendData(Instant now)
    {
        SeqNum before = _snd.Nxt;
        _stoppedByCwnd = false;
        _stoppedByRwnd = false;
        bool hadUnsent = NotSentBytes > 0;
        SendNewData(now);
        EndFqPacket(now);
        if (hadUnsent)
        {
            // Linux tcp_write_xmit, which runs when there is something to send (tcp_push_pending_frames).
            if (_stoppedByRwnd)
            {
                ChronoStart(Chrono.RwndLimited, now);
            }
            else
            {
                ChronoStop(Chrono.RwndLimited, now);
            }
        }
        SplitSkbAt(_snd.Nxt); // What was sent leaves the unsent rest as an skb of its own (tso_fragment).
        // Linux tcp_write_xmit: cwnd-limited when cwnd stopped the pass or the flight fills it.
        bool cwndLimited = _stoppedByCwnd || (_cc is not null && Pipe >= _cc.Cwnd);
        if (_snd.Nxt != before || cwndLimited)
        {
            ValidateCwnd(cwndLimited, now);
        }
    }

    private bool _stoppedByCwnd;
    private bool _stoppedByRwnd; // Linux tcp_write_xmit's is_rwnd_limited: the send window, not cwnd, stopped it.

    private void SendNewData(Instant now)
    {
        SyncMssToRoute();
        if (TryMtuProbe(now) == ProbeOutcome.Wait)
        {
            return;
        }
        _packetEnd = _snd.Nxt; // Linux builds its GSO packets within one transmit pass.
        _packetIsGso = false;
        while (true)
        {
            SeqNum dataEnd = _snd.BufStart + _send.Count;
            int mss = SendMss;
            int available = dataEnd - _snd.Nxt;
            if (available > 0)
            {
                long usable = Math.Min(WindowRoom, CongestionRoom());
                int len = (int)Math.Min(Math.Min(available, mss), Math.Max(usable, 0));
                int toSkbEnd = NextHardSkbEnd(_snd.Nxt) is { } hard ? hard - _snd.Nxt : int.MaxValue;
                bool skbEnds = toSkbEnd <= len && toSkbEnd < available;
                if (skbEnds)
                {
                    len = toSkbEnd; // A closed skb leaves whole, Nagle or not (see TcpConnection.SkbEnds.cs).
                }
                if (len <= 0 || !PacingAllows(now))
                {
                    _stoppedByCwnd = CongestionRoom() < Math.Min(available, mss);
                    _stoppedByRwnd = !_stoppedByCwnd && WindowShort(available, mss);
                    return;
                }
                if (!skbEnds && _snd.Nxt >= _packetEnd && WindowShort(available, mss))
                {
                    // Sender SWS avoidance as Linux does it (tcp_write_xmit's tcp_snd_wnd_test): a packet leaves only
                    // when its first segment, a full MSS or all that waits, fits the peer's window whole. That is
                    // RFC 1122 §4.2.3.4's "full segment" and "all queued data" cases; Linux has no "half the largest
                    // window" case (it bounds the MSS to half that window instead, tcp_bound_to_half_wnd), and its
                    // override timer is the persist timer, which sends the sliver that fits, with PSH
                    // (tcp_write_wakeup; OnPersistTimeout), even with nothing in flight and an ACK in hand.
                    _stoppedByRwnd = CongestionRoom() >= Math.Min(available, mss);
                    return;
                }
                bool last = len == available;
                if (!skbEnds && len < mss && last && !_finQueued && NagleHolds)
                {
                    // Nagle (RFC 1122 §4.2.3.4) with Minshall's change, as Linux (tcp_nagle_check): a small segment
                    // waits while an earlier small one is unacknowledged, so a write's tail follows its full
                    // segments at once and only a stream of small writes coalesces. TCP_CORK and MSG_MORE hold it
                    // regardless (TcpConnection.Cork.cs).
                    return;
                }
                if (!skbEnds && len < mss && !last && len < _snd.MaxWnd / 2 && _snd.Nxt != _snd.Una)
                {
                    // Sender SWS avoidance (RFC 9293 §3.8.6.2.1) inside a packet whose head went: the window allows
                    // only a sliver of the data waiting; hold it until the window opens to a full segment or half
                    // the largest window seen; with nothing in flight the check above applies instead.
                    _stoppedByRwnd = CongestionRoom() >= Math.Min(available, mss) && WindowShort(available, mss);
                    return;
                }
                if (_snd.Nxt >= _packetEnd)
                {
                    if (_snd.Nxt > _snd.Una && TsoShouldDefer(available, mss, now))
                    {
                        return;
                    }
                    StartPacket(available, usable, mss);
                }
                if (!SendNew(len, last && _finQueued, now))
                {
                    return; // Linux tcp_write_xmit: a segment the local queue dropped stops the pass, unsent.
                }
                continue;
            }
            if (_finQueued && _snd.Nxt == dataEnd)
            {
                if (!SendNew(0, fin: true, now)) // A lone FIN goes even into a zero window.
                {
                    return;
                }
                continue;
            }
            CheckApplicationLimited();
            return;
        }
    }

    /// <summary>Linux !tcp_snd_wnd_test: the send window has no room for the next segment.</summary>
    private bool WindowShort(int available, int mss) => WindowRoom < Math.Min(available, mss);

    /// <summary>The room the send window leaves for new data: the window less what is in flight.</summary>
    private long WindowRoom => _snd.Wnd - (_snd.Nxt - _snd.Una) + UncountedSynAck;

    /// <summary>The room cwnd leaves for new data: cwnd less the pipe.</summary>
    private long CongestionRoom() => _cc is null ? long.MaxValue : (long)_cc.Cwnd - Pipe + UncountedSynAck;

    /// <summary>
    /// 1 while a Fast Open child's SYN-ACK is unacknowledged: its data does not count it against the windows, as
    /// Linux starts the child's snd_una past the SYN (tcp_create_openreq_child) and keeps the SYN-ACK, sent for the
    /// request sock, out of the child's packets_out. So the child's first write has the whole window and cwnd.
    /// </summary>
    private int UncountedSynAck => _state == TcpState.SynReceived && IsFastOpenPending && _snd.Una == _snd.Iss ? 1 : 0;

    /// <summary>Linux's tcp_minshall_check: a segment shorter than the MSS is in flight.</summary>
    private bool SmallSegmentInFlight => _snd.Sml > _snd.Una && _snd.Sml <= _snd.Nxt;

    /// <summary>
    /// New data: [SND.NXT, SND.NXT + len), with a FIN after it if asked, PSH where Linux would put it (see
    /// TcpConnection.Push.cs); recorded, SND.NXT advances. False, with nothing recorded, when the link's local
    /// queue dropped it: as Linux's tcp_write_xmit, the data stays unsent and nothing is in flight for it.
    /// </summary>
    private bool SendNew(int len, bool fin, Instant now, bool push = false)
    {
        SeqNum seq = _snd.Nxt;
        if (!TransmitSegment(seq, len, fin, push || PushAt(seq, len), now))
        {
            return false;
        }
        if (len < SendMss && seq + len > _snd.Max)
        {
            // Linux tcp_minshall_update runs for new data only: SYN data sent again after a SYN-ACK that left it
            // goes by __tcp_retransmit_skb (tcp_rcv_fastopen_synack) and is no small segment for Nagle.
            _snd.Sml = seq + len;
        }
        SeqNum end = seq + len + (fin ? 1 : 0);
        SendSnapshot tx = StampSend(len, now, endsPacket: end >= _packetEnd);
        OnNewDataSent(seq, len, now);
        CountSent(len, resend: false, now);
        if (seq < _snd.Max)
        {
            _layer.Statistics.Retransmissions++; // The byte a zero-window probe sent, now sent for real.
        }
        _segments.Append(seq, end, fin, now, tx);
        if (end >= _packetEnd)
        {
            SplitSkbAt(end); // Each packet sent is one skb.
        }
        _snd.Nxt = end;
        _snd.Max = SeqNum.Max(_snd.Max, end);
        _rearmProbe = true;
        if (InCwndReduction)
        {
            _prr.OnSent(1);
        }
        return true;
    }

    /// <summary>
    /// Resends record <paramref name="index"/> as it is (at most one MSS: callers split). A FIN it carries goes
    /// again. A loss probe's resend is not counted as a retransmission in flight (Linux __tcp_retransmit_skb).
    /// False, with nothing counted, when the link's local queue dropped it (Linux tcp_retransmit_skb: a failed
    /// resend is neither in flight nor in tcpi_retrans / tcpi_total_retrans).
    /// </summary>
    private bool Retransmit(int index, Instant now, bool countAsResend)
    {
        SentSegment s = _segments[index];
        bool fin = (s.Marks & SegmentMarks.Fin) != 0;
        int len = s.Length - (fin ? 1 : 0);
        if (!TransmitSegment(s.Start, len, fin, PushOnResendAt(s.Start, len), now))
        {
            return false;
        }
        SendSnapshot tx = StampSend(len, now);
        OnNewDataSent(s.Start, len, now);
        CountSent(len, resend: true, now);
        if (!_retransStampSet)
        {
            _retransStampSet = true;
            _retransStampTsVal = _lastTsVal;
        }
        _segments.MarkRetransmitted(index, now, countAsResend, tx);
        SplitSkbAt(s.Start + len); // tcp_retransmit_skb resends an MSS of a larger skb as an skb of its own.
        _layer.Statistics.Retransmissions++;
        _totalRetransmittedSegments++;
        _undoRetrans = _undoRetrans < 0 ? 1 : _undoRetrans + 1;
        if (InCwndReduction)
        {
            _prr.OnSent(1);
        }
        return true;
    }

    /// <summary>
    /// The one place a segment of the send buffer leaves: [seq, seq + len) with the FIN after it if asked, the
    /// ACK, window and options of now. Callers record it (<see cref="SendNew"/>, <see cref="Retransmit"/>, the
    /// zero-window probe). False when the link's local queue dropped it.
    /// </summary>
    private bool TransmitSegment(SeqNum seq, int len, bool fin, bool psh, Instant now)
    {
        TcpFlags flags = TcpFlags.Ack | (psh && len > 0 ? TcpFlags.Psh : 0) | (fin ? TcpFlags.Fin : 0);
        byte ecn = EcnForSegment(seq, len, ref flags);
        var repr = new TcpRepr(Tuple.LocalPort, Tuple.RemotePort, seq.Value, _rcv.Nxt.Value, flags, ComputeWindow(),
            SegmentOptions(now));
        OnAckSent();
        if (len > 0) _ackTiming.OnDataSent(now);
        return Transmit(repr, _send, seq - _snd.BufStart, len, now, ecn);
    }

    /// <summary>
    /// A pure ACK. Its sequence number is SND.MAX, the highest we have sent (Linux's snd_nxt): a zero-window
    /// probe's byte sent beyond SND.NXT stays covered. Like Linux's tcp_acceptable_seq it stays within the peer's
    /// window: a probe's byte that the peer did not take must not put our ACKs beyond its right edge.
    /// </summary>
    private void SendAck(Instant now)
    {
        SeqNum seq = SeqNum.Max(_snd.Nxt, SeqNum.Min(_snd.Max, _snd.Una + (int)Math.Min(_snd.Wnd, int.MaxValue)));
        TcpFlags flags = TcpFlags.Ack;
        EcnForSegment(seq, 0, ref flags);
        var repr = new TcpRepr(Tuple.LocalPort, Tuple.RemotePort, seq.Value, _rcv.Nxt.Value, flags,
            ComputeWindow(), SegmentOptions(now));
        OnAckSent();
        Transmit(repr, null, 0, 0, now);
    }

    /// <summary>SACK blocks our segments carry now (a D-SACK first, then held ranges), at most 3 beside timestamps, else 4.</summary>
    private int SackBlocksToSend => _opt.Sack
        ? Math.Min(_recv.HeldRangeCount + (_dsackToSend is null ? 0 : 1), _opt.Timestamps ? 3 : TcpOptions.MaxSackBlocks)
        : 0;

    /// <summary>
    /// The payload that fits in a segment now: the MSS less the SACK blocks it will carry (as Linux's
    /// tcp_current_mss), so a data segment sent while we hold out-of-order data still fits the path MTU.
    /// </summary>
    private int SendMss => SackBlocksToSend is var n and > 0 ? Math.Max(MinMss, _mss - (4 + 8 * n)) : _mss;

    private TcpOptions SegmentOptions(Instant now)
    {
        var options = default(TcpOptions);
        if (_opt.Timestamps)
        {
            // RFC 7323 §3.2: once negotiated, every segment but a RST carries timestamps.
            options.HasTimestamps = true;
            options.TsVal = TsNow(now);
            options.TsEcr = _opt.TsRecent;
        }
        if (SackBlocksToSend is var count and > 0)
        {
            // RFC 2883 §4: a D-SACK goes first; then RFC 2018 §4: the held ranges, most recently changed first.
            if (_dsackToSend is { } dsack)
            {
                options.AddSackBlock(dsack.Start.Value, dsack.End.Value);
                count--;
            }
            Span<SeqRange> blocks = stackalloc SeqRange[TcpOptions.MaxSackBlocks];
            int n = _recv.CopyHeldRanges(blocks[..count]);
            for (int i = 0; i < n; i++)
            {
                options.AddSackBlock(blocks[i].Start.Value, blocks[i].End.Value);
            }
        }
        return options;
    }

    /// <summary>
    /// The window field: free receive space, scaled, with receiver SWS avoidance (RFC 9293 §3.8.6.2.2: the right
    /// edge moves only by at least min(buffer/2, MSS)), never moving the right edge left (RFC 7323 §2.4).
    /// </summary>
    private ushort ComputeWindow()
    {
        int current = Math.Max(0, _rcv.Edge - _rcv.Nxt);
        int free = WindowSpace();
        // Receiver SWS avoidance holds the edge only while free buffer space limits the window; a window held
        // back by rcv_ssthresh opens to it at once, as Linux's __tcp_select_window does.
        bool grown = free < _recv.Window;
        int wnd = !grown && free - current < Math.Min(_recv.Capacity / 2, AnnouncedMss) ? current : free;
        int shift = _rcv.Wscale;
        int scaled = Math.Min(wnd >> shift, ushort.MaxValue);
        if (scaled << shift < current)
        {
            // Rounding down would show the right edge moving left. Round the field up only as far as the buffer
            // can hold: rounding up after every segment would creep past the free space, and the peer's data
            // there would be trimmed. Otherwise the edge appears to retract by less than one unit (RFC 7323
            // §2.4); _rcv.Edge keeps the earlier promise, so data up to it is still accepted.
            int up = Math.Min((current + (1 << shift) - 1) >> shift, ushort.MaxValue);
            return (ushort)(up << shift <= free ? up : scaled);
        }
        _rcv.Edge = SeqNum.Max(_rcv.Edge, _rcv.Nxt + (scaled << shift));
        return (ushort)scaled;
    }

    /// <summary>After a read: would a window update tell the peer something worth a segment? (Linux tcp_cleanup_rbuf.)</summary>
    private bool WindowUpdateWorthSending()
    {
        int current = Math.Max(0, _rcv.Edge - _rcv.Nxt);
        long window = Math.Min(WindowSpace(), (long)ushort.MaxValue << _rcv.Wscale); // What the field can say.
        return 2L * current <= _recv.Capacity && window >= 2L * current
            && window - current >= Math.Min(_recv.Capacity / 2, AnnouncedMss);
    }
}
