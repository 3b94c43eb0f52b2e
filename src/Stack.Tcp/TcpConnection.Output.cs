using System.Net.Sockets;
using Stack.Link.Time;
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
        _layer.Host.PathMtu(Tuple.RemoteAddress, now) - IpHeaderLength - TcpHeader.MinLength;

    /// <summary>The MSS we announce: the interface MTU less headers (RFC 9293 §3.7.1).</summary>
    private int AnnouncedMss => _layer.Host.Mtu - IpHeaderLength - TcpHeader.MinLength;

    /// <summary>The sequence number of our FIN (meaningful once one is queued: no writes follow it).</summary>
    private SeqNum FinSeq => _bufStart + _send.Count;

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

    private void SendSyn(Instant now)
    {
        var options = new TcpOptions { Mss = (ushort)AnnouncedMss, SackPermitted = _config.Sack };
        if (_config.WindowScaling)
        {
            options.WindowScale = (byte)ReceiveShift();
        }
        if (_config.Timestamps)
        {
            options.HasTimestamps = true;
            options.TsVal = TsNow(now);
        }
        var repr = new TcpRepr(Tuple.LocalPort, Tuple.RemotePort, _iss.Value, 0, TcpFlags.Syn,
            (ushort)Math.Min(_recv.Window, ushort.MaxValue), options);
        _layer.Transmit(Tuple, repr, null, 0, 0, now);
        if (_retries == 0)
        {
            _rto.StartTiming(_iss + 1, now); // Karn: a retransmitted SYN is not timed.
        }
        ArmSynTimer(now);
    }

    private void SendSynAck(Instant now)
    {
        var options = new TcpOptions { Mss = (ushort)AnnouncedMss, SackPermitted = _sackOk };
        if (_wsOk)
        {
            options.WindowScale = (byte)_rcvWscale;
        }
        if (_tsOk)
        {
            options.HasTimestamps = true;
            options.TsVal = TsNow(now);
            options.TsEcr = _tsRecent;
        }
        var repr = new TcpRepr(Tuple.LocalPort, Tuple.RemotePort, _iss.Value, _rcvNxt.Value, TcpFlags.Syn | TcpFlags.Ack,
            (ushort)Math.Min(_recv.Window, ushort.MaxValue), options);
        OnAckSent();
        _layer.Transmit(Tuple, repr, null, 0, 0, now);
        if (_retries == 0)
        {
            _rto.StartTiming(_iss + 1, now); // Karn: a retransmitted SYN is not timed.
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
    /// Sends what is due: data the send and congestion windows allow (Nagle unless NoDelay), the FIN after the
    /// last byte, or else a pure ACK if one is owed. Then arms the retransmission or persist timer.
    /// </summary>
    private void Output(Instant now)
    {
        if (_state is TcpState.Closed or TcpState.Listen or TcpState.SynSent)
        {
            return;
        }
        if (_state is TcpState.Established or TcpState.CloseWait or TcpState.FinWait1 or TcpState.Closing
            or TcpState.LastAck)
        {
            SendRecovery(now);
            SendData(now);
        }
        if (_ackPending)
        {
            SendAck(now);
        }
        if (_state == TcpState.SynReceived)
        {
            return; // The SYN-ACK's own timer runs.
        }
        if (_sndNxt > _sndUna)
        {
            _timers.Cancel(TimerKind.Persist);
            _timers.ArmIfIdle(TimerKind.Retransmission, now + _rto.Rto);
        }
        else
        {
            _timers.Cancel(TimerKind.Retransmission);
            bool waiting = _bufStart + _send.Count - _sndNxt > 0;
            if (waiting && _sndWnd == 0 && !_timers.IsArmed(TimerKind.Persist))
            {
                // RFC 9293 §3.8.6.1: probe a zero window so a lost window update cannot deadlock us.
                _persistBackoff = 0;
                _timers.Arm(TimerKind.Persist, now + PersistInterval());
            }
        }
    }

    private void SendData(Instant now)
    {
        while (true)
        {
            SeqNum dataEnd = _bufStart + _send.Count;
            int mss = SendMss;
            int segmentLimit = mss;
            if (_sndNxt < _sndMax && !_scoreboard.IsEmpty)
            {
                // Going back after a timeout: what the peer SACKed needs no resending (as Linux; RFC 6675 §5.1).
                if (_scoreboard.IsSacked(_sndNxt, out SeqNum sackedEnd))
                {
                    _sndNxt = SeqNum.Min(sackedEnd, _sndMax);
                    continue;
                }
                if (_scoreboard.NextSackedAfter(_sndNxt) is SeqNum next)
                {
                    segmentLimit = Math.Min(segmentLimit, next - _sndNxt);
                }
            }
            int available = dataEnd - _sndNxt;
            if (available > 0)
            {
                long usable = Math.Min(_sndWnd - (_sndNxt - _sndUna), CongestionRoom());
                int len = (int)Math.Min(Math.Min(available, segmentLimit), Math.Max(usable, 0));
                if (len <= 0)
                {
                    return;
                }
                bool last = len == available;
                if (len < mss && len == segmentLimit)
                {
                    SendSegment(_sndNxt, len, fin: false, psh: false, now); // A hole before SACKed data: as it is.
                    continue;
                }
                if (len < mss && last && !NoDelay && !_finQueued && _sndNxt != _sndUna)
                {
                    return; // Nagle (RFC 1122 §4.2.3.4): a small segment waits while data is unacknowledged.
                }
                if (len < mss && !last && len < _maxSndWnd / 2 && _sndNxt != _sndUna)
                {
                    // Sender SWS avoidance (RFC 9293 §3.8.6.2.1): the window allows only a sliver of the data
                    // waiting; hold it until the window opens to a full segment or half the largest window seen,
                    // or until everything in flight is acknowledged (the override, in place of a timer).
                    return;
                }
                SendSegment(_sndNxt, len, last && _finQueued, last, now);
                continue;
            }
            if (_finQueued && _sndNxt == dataEnd)
            {
                SendSegment(_sndNxt, 0, fin: true, psh: false, now); // A lone FIN goes even into a zero window.
                continue;
            }
            return;
        }
    }

    /// <summary>Sends [seq, seq + len) from the send buffer, with a FIN after it if asked; advances SND.NXT.</summary>
    private void SendSegment(SeqNum seq, int len, bool fin, bool psh, Instant now)
    {
        TcpFlags flags = TcpFlags.Ack | (psh && len > 0 ? TcpFlags.Psh : 0) | (fin ? TcpFlags.Fin : 0);
        var repr = new TcpRepr(Tuple.LocalPort, Tuple.RemotePort, seq.Value, _rcvNxt.Value, flags, ComputeWindow(),
            SegmentOptions(now));
        OnAckSent();
        _layer.Transmit(Tuple, repr, _send, seq - _bufStart, len, now);
        SeqNum end = seq + len + (fin ? 1 : 0);
        if (seq < _sndMax)
        {
            _layer.Statistics.Retransmissions++;
        }
        else if (!_rto.IsTiming)
        {
            _rto.StartTiming(end, now);
        }
        _sndNxt = end;
        _sndMax = SeqNum.Max(_sndMax, end);
    }

    /// <summary>
    /// Resends up to <paramref name="maxLen"/> bytes (default one MSS) at <paramref name="seq"/>, below SND.MAX,
    /// without moving SND.NXT (fast retransmit and SACK recovery); a FIN already sent goes with the last byte.
    /// Returns the sequence space covered.
    /// </summary>
    private int RetransmitAt(SeqNum seq, Instant now, int maxLen = 0)
    {
        SeqNum dataEnd = _bufStart + _send.Count;
        // Only what was sent before: data queued since then is new data, sent (and timed, and counted in SND.MAX)
        // by SendData. Resending past SND.MAX would hand the peer bytes we do not count as sent, and its ACKs of
        // them would look like ACKs of something not yet sent.
        int len = Math.Clamp(Math.Min(SeqNum.Min(dataEnd, _sndMax) - seq, maxLen > 0 ? maxLen : SendMss), 0, SendMss);
        bool fin = _finQueued && seq + len == dataEnd && _sndMax > dataEnd;
        if (len == 0 && !fin)
        {
            return 0;
        }
        TcpFlags flags = TcpFlags.Ack | (fin ? TcpFlags.Fin : 0) | (len > 0 && seq + len == dataEnd ? TcpFlags.Psh : 0);
        var repr = new TcpRepr(Tuple.LocalPort, Tuple.RemotePort, seq.Value, _rcvNxt.Value, flags, ComputeWindow(),
            SegmentOptions(now));
        OnAckSent();
        _layer.Transmit(Tuple, repr, _send, seq - _bufStart, len, now);
        _layer.Statistics.Retransmissions++;
        _rto.OnRetransmit();
        return len + (fin ? 1 : 0);
    }

    /// <summary>
    /// A pure ACK. Its sequence number is SND.MAX, the highest we have sent, not SND.NXT: after a timeout SND.NXT
    /// goes back to SND.UNA, and an ACK stamped there is an old segment to a peer that received what followed —
    /// dropped as out of window with its acknowledgment unread, so two ends both going back could each discard
    /// every ACK of the other (Linux's snd_nxt, which never goes back, is our SND.MAX). Like Linux's
    /// tcp_acceptable_seq it stays within the peer's window: a zero-window probe's byte that the peer did not
    /// take must not put our ACKs beyond its right edge.
    /// </summary>
    private void SendAck(Instant now)
    {
        SeqNum seq = SeqNum.Max(_sndNxt, SeqNum.Min(_sndMax, _sndUna + (int)Math.Min(_sndWnd, int.MaxValue)));
        var repr = new TcpRepr(Tuple.LocalPort, Tuple.RemotePort, seq.Value, _rcvNxt.Value, TcpFlags.Ack,
            ComputeWindow(), SegmentOptions(now));
        OnAckSent();
        _layer.Transmit(Tuple, repr, null, 0, 0, now);
    }

    /// <summary>SACK blocks our segments carry now, at most 3 beside timestamps, else 4.</summary>
    private int SackBlocksToSend => _sackOk ? Math.Min(_recv.HeldRangeCount, _tsOk ? 3 : TcpOptions.MaxSackBlocks) : 0;

    /// <summary>
    /// The payload that fits in a segment now: the MSS less the SACK blocks it will carry (as Linux's
    /// tcp_current_mss), so a data segment sent while we hold out-of-order data still fits the path MTU.
    /// </summary>
    private int SendMss => SackBlocksToSend is var n and > 0 ? Math.Max(MinMss, _mss - (4 + 8 * n)) : _mss;

    private TcpOptions SegmentOptions(Instant now)
    {
        var options = default(TcpOptions);
        if (_tsOk)
        {
            // RFC 7323 §3.2: once negotiated, every segment but a RST carries timestamps.
            options.HasTimestamps = true;
            options.TsVal = TsNow(now);
            options.TsEcr = _tsRecent;
        }
        if (SackBlocksToSend is var count and > 0)
        {
            // RFC 2018 §4: the held ranges, most recently changed first.
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
        int current = Math.Max(0, _rcvEdge - _rcvNxt);
        int free = _recv.Window;
        int wnd = free - current < Math.Min(_recv.Capacity / 2, AnnouncedMss) ? current : free;
        int shift = _rcvWscale;
        int scaled = Math.Min(wnd >> shift, ushort.MaxValue);
        if (scaled << shift < current)
        {
            // Rounding down would show the right edge moving left. Round the field up only as far as the buffer
            // can hold: rounding up after every segment would creep past the free space, and the peer's data
            // there would be trimmed. Otherwise the edge appears to retract by less than one unit (RFC 7323
            // §2.4); _rcvEdge keeps the earlier promise, so data up to it is still accepted.
            int up = Math.Min((current + (1 << shift) - 1) >> shift, ushort.MaxValue);
            return (ushort)(up << shift <= free ? up : scaled);
        }
        _rcvEdge = SeqNum.Max(_rcvEdge, _rcvNxt + (scaled << shift));
        return (ushort)scaled;
    }

    /// <summary>After a read: would a window update tell the peer something worth a segment? (Linux tcp_cleanup_rbuf.)</summary>
    private bool WindowUpdateWorthSending()
    {
        int current = Math.Max(0, _rcvEdge - _rcvNxt);
        long window = Math.Min(_recv.Window, (long)ushort.MaxValue << _rcvWscale); // What the field can say.
        return 2L * current <= _recv.Capacity && window >= 2L * current
            && window - current >= Math.Min(_recv.Capacity / 2, AnnouncedMss);
    }

    private TimeSpan PersistInterval()
    {
        long ticks = _rto.BaseRto.Ticks << Math.Min(_persistBackoff, 30);
        return TimeSpan.FromTicks(Math.Min(ticks, _config.MaxRto.Ticks));
    }

    internal void OnTimer(Instant now)
    {
        Enter();
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
                case TimerKind.TimeWait when _state == TcpState.FinWait2:
                    SetState(TcpState.Closed, "FIN-WAIT-2 timeout (linger2)");
                    break;
            }
        }
        Leave(now);
    }

    /// <summary>RFC 6298 §5.4–5.6: retransmit the earliest unacknowledged segment, back off, or give up.</summary>
    private void OnRetransmissionTimeout(Instant now)
    {
        if (_sndMax == _sndUna)
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
        _retries++;
        _layer.Statistics.RetransmissionTimeouts++;
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
                // RFC 5681 §3.1 (7): one segment, ssthresh halved; go back to SND.UNA and resend from there.
                OnTimeoutForCongestion(_sndMax - _sndUna, now);
                _sndNxt = _sndUna;
                break;
        }
    }

    /// <summary>RFC 9293 §3.8.6.1: a one-byte probe into the zero window, with backoff; never gives up (as RFC 1122 §4.2.2.17).</summary>
    private void OnPersistTimeout(Instant now)
    {
        if (_sndWnd > 0 || _sndNxt != _sndUna || _bufStart + _send.Count - _sndNxt <= 0)
        {
            return;
        }
        var repr = new TcpRepr(Tuple.LocalPort, Tuple.RemotePort, _sndNxt.Value, _rcvNxt.Value, TcpFlags.Ack,
            ComputeWindow(), SegmentOptions(now));
        OnAckSent();
        _layer.Transmit(Tuple, repr, _send, _sndNxt - _bufStart, 1, now);
        _sndMax = SeqNum.Max(_sndMax, _sndNxt + 1);
        _persistBackoff++;
        _timers.Arm(TimerKind.Persist, now + PersistInterval());
    }
}
