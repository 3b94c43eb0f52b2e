using Stack.Link.Time;
using Stack.Tcp.Congestion;
using Stack.Tcp.Diagnostics;
using Stack.Tcp.Sack;
using Stack.Tcp.Wire;

namespace Stack.Tcp;

// Loss recovery: RFC 5681 fast retransmit after three duplicate ACKs, then RFC 6582 NewReno fast recovery
// without SACK, or RFC 6675 SACK-based recovery (a scoreboard, "pipe", NextSeg rule 1) with it. The window
// itself is the ICongestionControl's. Anything unrepaired by these is left to the retransmission timer.
public sealed partial class TcpConnection
{
    private const int DupThresh = 3; // RFC 5681 §3.2, RFC 6675 §2

    private ICongestionControl? _cc;
    private readonly SackScoreboard _scoreboard = new();
    private bool _sackOk;
    private bool _inRecovery;
    private bool _retransmitUna;
    private int _dupAcks;
    private int _inflation;  // NewReno (no SACK): cwnd inflation by duplicate ACKs during recovery (RFC 6582 §3.2).
    private SeqNum _recover; // RFC 6582 "recover", RFC 6675 RecoveryPoint.
    private SeqNum _highRxt; // RFC 6675 HighRxt: the end of the highest retransmission of this recovery.
    private SeqNum _unaRxtMark; // SND.MAX when the segment at SND.UNA was last resent (or later): what was sent after it.

    /// <summary>RFC 2018 SACK is on for this connection (both sides sent sackOK).</summary>
    public bool SackEnabled => _sackOk;

    /// <summary>The congestion window now (NewReno's inflation included), bytes.</summary>
    public int CongestionWindow => _cc is null ? int.MaxValue : (int)Math.Min((long)_cc.Cwnd + _inflation, int.MaxValue);

    /// <summary>The slow start threshold, bytes.</summary>
    public int SlowStartThreshold => _cc?.Ssthresh ?? int.MaxValue;

    /// <summary>In fast recovery (after three duplicate ACKs or their SACK equivalent).</summary>
    public bool InFastRecovery => _inRecovery;

    private void StartCongestionControl()
    {
        _cc = Congestion.CongestionControl.Create(_config.CongestionControl);
        _cc.Start(_mss, _config.InitialWindowSegments);
        _recover = _iss;
    }

    /// <summary>Takes the SACK blocks of an arriving ACK into the scoreboard; true when they SACKed new data.</summary>
    private bool ReceiveSackBlocks(in TcpOptions options)
    {
        if (!_sackOk || options.SackBlockCount == 0)
        {
            return false;
        }
        bool added = false;
        for (int i = 0; i < options.SackBlockCount; i++)
        {
            (uint left, uint right) = options.GetSackBlock(i);
            added |= _scoreboard.Add(new SeqNum(left), new SeqNum(right), _sndUna, _sndMax);
        }
        return added;
    }

    /// <summary>SND.UNA moved by <paramref name="acked"/> bytes: grow the window, or go on with the recovery.</summary>
    private void OnNewDataAcked(int acked, Instant now)
    {
        _scoreboard.AdvanceTo(_sndUna);
        _dupAcks = 0;
        if (_cc is null)
        {
            return;
        }
        if (!_inRecovery)
        {
            _cc.OnAck(acked, _rto.SmoothedRtt, now);
            if (_sndUna - _recover > 1 << 30)
            {
                // Keep "recover" within reach of sequence comparison (2^31): after 2 GiB without a loss it would
                // otherwise seem to lie ahead of SND.UNA and forbid the next fast retransmit.
                _recover = _sndUna - (1 << 30);
            }
            return;
        }
        if (_sndUna < _highRxt)
        {
            // The new SND.UNA was resent in this recovery, when SND.MAX was at most what it is now.
            _unaRxtMark = _sndMax;
        }
        if (_sndUna >= _recover)
        {
            // A full acknowledgment: recovery is over (RFC 6582 §3.2 step 3, RFC 6675 §5 step 4).
            _inRecovery = false;
            _inflation = 0;
            _cc.OnRecoveryEnd(now);
            return;
        }
        if (!_sackOk)
        {
            // A partial acknowledgment (RFC 6582 §3.2 step 5): the next hole is lost too; resend it at once and
            // deflate the window by what left the network, less one segment for the retransmission.
            _inflation = Math.Max(0, _inflation - acked) + _mss;
            _retransmitUna = true;
        }
        else if (_sndUna >= _highRxt)
        {
            // With SACK, a partial ACK past everything resent so far points at a hole too few SACKs would call
            // lost (IsLost wants three segments above it): resend it now, as NewReno would, not after an RTO.
            _retransmitUna = true;
        }
    }

    /// <summary>An ACK that did not move SND.UNA: count it as a duplicate and maybe start fast retransmit.</summary>
    private void OnAckWithoutProgress(bool duplicate, bool newSack, Instant now)
    {
        if (_cc is null || _sndMax == _sndUna || (!duplicate && !newSack))
        {
            return;
        }
        // RFC 6675 §2: with SACK, an ACK that SACKs new data is a duplicate ACK even if its window changed (a
        // receiver taking out-of-order data, as Linux does, often moves its window with every ACK).
        if (duplicate || (_sackOk && newSack))
        {
            _dupAcks++;
            if (_inRecovery && !_sackOk)
            {
                _inflation += _mss; // Each duplicate ACK: a segment has left the network (RFC 6582 §3.2 step 4).
            }
        }
        if (_inRecovery)
        {
            if (_sackOk && newSack && _sndUna < _highRxt && _scoreboard.SackedAbove(_unaRxtMark) > (DupThresh - 1) * _mss)
            {
                // A lost retransmission (Linux's lost-retransmit detection before RACK; RFC 8985 in spirit): more
                // than DupThresh - 1 segments sent after our resend of SND.UNA have arrived, and it has not. At 10%
                // loss one resend in ten is lost, and each would otherwise wait for the retransmission timer.
                _retransmitUna = true;
                _layer.Statistics.LostRetransmissions++;
            }
            return;
        }
        bool lost = _dupAcks >= DupThresh || (_sackOk && IsLost(_sndUna));
        // RFC 6582 §3.2 step 2 / RFC 6675 §5.1: only for losses after the last recovery's (or timeout's) point,
        // "recover". That is SND.MAX then, one past the highest byte sent, so an ACK of exactly it covers
        // everything (RFC 6582's "more than recover", RFC 6675's HighACK >= RecoveryPoint): the next segment's
        // loss may be fast retransmitted, as Linux does once snd_una reaches high_seq.
        if (lost && _sndUna >= _recover)
        {
            EnterRecovery(now);
        }
    }

    private void EnterRecovery(Instant now)
    {
        _layer.Statistics.FastRetransmits++;
        _inRecovery = true;
        _recover = _sndMax;
        _highRxt = _sndUna;
        _cc!.OnCongestionEvent(_sndMax - _sndUna, now);
        _inflation = _sackOk ? 0 : DupThresh * _mss; // RFC 6582 §3.2 step 2: ssthresh + 3·SMSS.
        _retransmitUna = true;
        TcpLog.FastRecovery(_layer.Log, Tuple, _sndUna, _recover, _sackOk, CongestionWindow);
    }

    /// <summary>After a retransmission timeout (RFC 6582 §4, RFC 6675 §5.1): recovery ends, go back to slow start.</summary>
    private void OnTimeoutForCongestion(int flight, Instant now)
    {
        _cc?.OnTimeout(flight, now);
        _inRecovery = false;
        _retransmitUna = false;
        _inflation = 0;
        _dupAcks = 0;
        _recover = _sndMax;
        if (_retries > 1)
        {
            // RFC 2018 §8: the receiver may have reneged; after more than one timeout trust only the cumulative ACK.
            _scoreboard.Clear();
        }
    }

    /// <summary>RFC 6675 IsLost: more than (DupThresh − 1)·SMSS bytes SACKed above <paramref name="seq"/>.</summary>
    private bool IsLost(SeqNum seq) => _scoreboard.SackedAbove(seq) > (DupThresh - 1) * _mss;

    /// <summary>
    /// RFC 6675 SetPipe, by ranges: bytes outstanding, less those SACKed, less those deemed lost and not yet
    /// retransmitted in this recovery.
    /// </summary>
    private int Pipe()
    {
        int pipe = (_sndMax - _sndUna) - _scoreboard.SackedBytes;
        SeqNum s = _sndUna;
        for (int i = 0; i < _scoreboard.Count; i++)
        {
            SeqRange r = _scoreboard[i];
            if (r.Start > s && IsLost(s))
            {
                SeqNum from = SeqNum.Max(s, _highRxt);
                if (r.Start > from)
                {
                    pipe -= r.Start - from;
                }
            }
            s = r.End;
        }
        return Math.Max(pipe, 0);
    }

    /// <summary>RFC 6675 NextSeg rule 1: the first lost byte not yet retransmitted, and how much of its hole to send.</summary>
    private bool NextLostSegment(out SeqNum seq, out int len)
    {
        seq = SeqNum.Max(_highRxt, _sndUna);
        SeqNum high = _scoreboard.HighSacked;
        while (!_scoreboard.IsEmpty && seq < high)
        {
            if (_scoreboard.IsSacked(seq, out SeqNum end))
            {
                seq = end;
                continue;
            }
            if (!IsLost(seq))
            {
                break; // Holes further up have even less SACKed above them.
            }
            SeqNum holeEnd = _scoreboard.NextSackedAfter(seq) ?? high;
            len = Math.Min(_mss, holeEnd - seq);
            return true;
        }
        len = 0;
        return false;
    }

    /// <summary>Fast recovery's sends, before new data: the hole at SND.UNA, then (SACK) lost holes while pipe allows.</summary>
    private void SendRecovery(Instant now)
    {
        if (!_inRecovery)
        {
            return;
        }
        if (_retransmitUna)
        {
            _retransmitUna = false;
            int len = RetransmitAt(_sndUna, now);
            _highRxt = SeqNum.Max(_highRxt, _sndUna + len);
            _unaRxtMark = _sndMax;
        }
        if (!_sackOk)
        {
            return;
        }
        while (CongestionWindow - Pipe() >= _mss && NextLostSegment(out SeqNum seq, out int len))
        {
            int sent = RetransmitAt(seq, now, len);
            if (sent == 0)
            {
                break;
            }
            _highRxt = seq + sent;
        }
    }

    /// <summary>The room the congestion window leaves for new data: cwnd less what is in the network.</summary>
    private long CongestionRoom()
    {
        if (_inRecovery)
        {
            return (long)CongestionWindow - (_sackOk ? Pipe() : _sndNxt - _sndUna);
        }
        long room = (long)CongestionWindow - (_sndNxt - _sndUna);
        if (_dupAcks > 0 && _sndNxt == _sndMax)
        {
            // RFC 3042 Limited Transmit (RFC 5681 §3.2, RFC 6675 §5 (2)): each of the first two duplicate ACKs
            // lets one new segment go beyond cwnd, so that a small window still draws the three duplicate ACKs
            // fast retransmit needs instead of waiting for the retransmission timer. New data only.
            room += (long)Math.Min(_dupAcks, DupThresh - 1) * _mss;
        }
        return room;
    }
}
