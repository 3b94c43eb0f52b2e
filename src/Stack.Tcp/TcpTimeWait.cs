using System.Net.Sockets;
using Stack.Link.Time;
using Stack.Tcp.Diagnostics;
using Stack.Tcp.Wire;

namespace Stack.Tcp;

/// <summary>
/// A connection in TIME-WAIT as the layer keeps it: a compact record in place of the whole
/// <see cref="TcpConnection"/> (Linux's inet_timewait_sock does the same), with what TIME-WAIT still needs — the
/// 4-tuple, SND.NXT and RCV.NXT, the timestamp state for PAWS and for RFC 6191's reuse test, the window last
/// offered, the deadline and the rate limit of replies. It answers segments as TcpConnection did in TIME-WAIT:
/// a retransmitted FIN is acknowledged and restarts 2 MSL, PAWS and out-of-window segments get a (limited) ACK, a
/// RST at RCV.NXT ends it (elsewhere a challenge ACK, RFC 5961), a SYN is challenged unless the layer takes it
/// as a new incarnation (<see cref="AcceptsNewIncarnation"/>). Buffers, the scoreboard and congestion state are
/// gone: nothing is outstanding in TIME-WAIT.
/// </summary>
/// <remarks>
/// The connection object stays in TIME-WAIT for whoever still holds it (<see cref="Owner"/>) and is told when the
/// record ends (CLOSED, StateChanged, Notify), so an owner sees the same states as before; once its owner has
/// released it (<see cref="TcpConnection.Release"/>) nothing points at it from the layer. Loop thread only.
/// </remarks>
public sealed class TcpTimeWait
{
    private readonly TcpLayer _layer;
    private TcpConfig _config = TcpConfig.Default;
    private uint _tsOffset;
    private ushort _window;
    private bool _timestamps;
    private bool _sack;
    private bool _ece;
    private int _receiveCapacity;
    private SeqNum _ackSeq;
    private SeqNum _rcvNxt;
    private SeqNum _rcvEdge;
    private SeqNum _lastAckSent;
    private uint _tsRecent;
    private uint _lastTsVal;
    private bool _tsSent;
    private Instant? _lastInvalidReply;
    private SeqRange? _dsackToSend;

    /// <summary>An empty record for the layer's pool; <see cref="Init"/> fills it.</summary>
    internal TcpTimeWait(TcpLayer layer) => _layer = layer;

    /// <summary>Takes over a connection entering TIME-WAIT (a pooled record is filled again: every field is set here).</summary>
    internal void Init(TcpConfig config, FourTuple tuple, in TimeWaitState s, TcpConnection? owner, Instant deadline)
    {
        _config = config;
        Tuple = tuple;
        SndNxt = s.SndNxt;
        SndMax = s.SndMax;
        _ackSeq = s.AckSeq;
        _rcvNxt = s.RcvNxt;
        _rcvEdge = s.RcvEdge;
        _lastAckSent = s.LastAckSent;
        _window = s.Window;
        _timestamps = s.Timestamps;
        _sack = s.Sack;
        _ece = s.Ece;
        _receiveCapacity = s.ReceiveCapacity;
        _tsRecent = s.TsRecent;
        _tsOffset = s.TsOffset;
        _lastTsVal = s.LastTsVal;
        _tsSent = s.TsSent;
        _lastInvalidReply = null; // Linux: a TIME-WAIT socket starts with tw_last_oow_ack_time = 0.
        _dsackToSend = null;
        Owner = owner;
        Deadline = deadline;
        Generation++;
        IsLive = true;
    }

    internal FourTuple Tuple { get; private set; }

    /// <summary>The connection object this record took over from, while its owner holds it; else null.</summary>
    internal TcpConnection? Owner { get; set; }

    /// <summary>In the layer's table (false once it ended: expiry, RST, a new incarnation; then it may be reused).</summary>
    internal bool IsLive { get; set; }

    /// <summary>Counts the record's uses, so the deadline heap can tell an entry of an earlier use (stale).</summary>
    internal int Generation { get; private set; }

    public TcpEndPoint LocalEndPoint => new(Tuple.LocalAddress, Tuple.LocalPort);
    public TcpEndPoint RemoteEndPoint => new(Tuple.RemoteAddress, Tuple.RemotePort);

    /// <summary>When TIME-WAIT ends (2 MSL after it began, or after the last retransmitted FIN).</summary>
    public Instant Deadline { get; private set; }

    /// <summary>Our SND.NXT (in TIME-WAIT everything we sent, FIN included, is acknowledged: SND.UNA = SND.MAX).</summary>
    public SeqNum SndNxt { get; private set; }

    /// <summary>The highest sequence number sent (SND.MAX), above which a new incarnation's ISN must start.</summary>
    internal SeqNum SndMax { get; private set; }

    public SeqNum RcvNxt => _rcvNxt;

    /// <summary>RFC 7323 timestamps were on (PAWS applies, and RFC 6191's reuse test uses TS.Recent).</summary>
    public bool TimestampsEnabled => _timestamps;

    public bool SackEnabled => _sack;

    /// <summary>RFC 9293 §3.10.7.4 / RFC 6191: may a new SYN replace this TIME-WAIT connection? (As TcpConnection's.)</summary>
    internal bool AcceptsNewIncarnation(in TcpHeader syn, in TcpOptions options) =>
        _timestamps && options.HasTimestamps
            ? unchecked((int)(options.TsVal - _tsRecent)) > 0
            : new SeqNum(syn.SequenceNumber) > _rcvNxt;

    /// <summary>RFC 9293 §3.10.7.4 in TIME-WAIT, in TcpConnection.OnSegmentSynchronized's order.</summary>
    internal void OnSegment(in TcpHeader h, in TcpOptions options, Instant now)
    {
        TcpFlags flags = h.Flags;
        bool syn = (flags & TcpFlags.Syn) != 0;
        bool ack = (flags & TcpFlags.Ack) != 0;
        bool rst = (flags & TcpFlags.Rst) != 0;
        bool fin = (flags & TcpFlags.Fin) != 0;
        var seq = new SeqNum(h.SequenceNumber);
        var segAck = new SeqNum(h.AcknowledgmentNumber);
        int segLen = h.SegmentLength;
        var stats = _layer.Statistics;

        if (fin && !rst && !syn && seq + segLen == _rcvNxt)
        {
            // RFC 9293 §3.10.7.4 eighth: a retransmitted FIN in TIME-WAIT is acknowledged and restarts 2 MSL.
            Deadline = now + 2 * _config.Msl;
            _layer.ScheduleTimeWait(this);
            SendAck(now);
            return;
        }
        // RFC 7323 §5.3 R1 (PAWS): a timestamp older than TS.Recent marks an old duplicate; ACK (limited) and drop.
        if (_timestamps && options.HasTimestamps && !rst && unchecked((int)(options.TsVal - _tsRecent)) < 0)
        {
            stats.PawsRejected++;
            if (AnswerUnacceptable(h, now))
            {
                SendAck(now);
            }
            return;
        }
        if (!Acceptable(seq, segLen))
        {
            stats.OutOfWindow++;
            if (!rst)
            {
                bool answer = AnswerUnacceptable(h, now);
                if (!syn && h.Payload.Length > 0 && seq + h.Payload.Length <= _rcvNxt && _rcvNxt - seq <= _receiveCapacity)
                {
                    // Linux tcp_send_dupack: old data is answered at once, with a D-SACK for it.
                    if (_sack && _config.Dsack)
                    {
                        _dsackToSend = new SeqRange(seq, seq + h.Payload.Length);
                        stats.Add(LossEvent.DsackSent, 1);
                    }
                    answer = true;
                }
                if (answer)
                {
                    SendAck(now);
                }
            }
            return;
        }
        if (rst)
        {
            // RFC 5961 §3: only an exact RCV.NXT match resets; other in-window RSTs get a challenge ACK.
            stats.ResetsReceived++;
            if (_rcvNxt != seq && _config.ChallengeAcks)
            {
                ChallengeAck(now);
                return;
            }
            _layer.EndTimeWait(this, now, "rcv RST", error: null);
            return;
        }
        if (syn)
        {
            // A SYN the layer did not take as a new incarnation (RFC 5961 §4 challenge ACK).
            if (_config.ChallengeAcks)
            {
                ChallengeAck(now);
                return;
            }
            _layer.SendReset(Tuple, SndNxt, _rcvNxt, TcpFlags.Rst | TcpFlags.Ack, now);
            _layer.EndTimeWait(this, now, "rcv SYN in synchronized state", SocketError.ConnectionReset);
            return;
        }
        if (!ack)
        {
            return;
        }
        if (segAck > SndMax)
        {
            ChallengeAck(now); // RFC 5961 §5.2: an ACK of something never sent.
            return;
        }
        if (segAck >= SndNxt && _timestamps && options.HasTimestamps && unchecked((int)(options.TsVal - _tsRecent)) >= 0
            && seq <= _lastAckSent)
        {
            // RFC 7323 §4.3, once the ACK is known good: neither old nor of data never sent (as TcpConnection's
            // UpdateTsRecent after its SND.UNA test; SND.UNA = SND.NXT in TIME-WAIT).
            _tsRecent = options.TsVal;
        }
        // Nothing is outstanding and no text is taken in TIME-WAIT: an acceptable ACK changes nothing else.
    }

    /// <summary>
    /// TcpConnection.AnswerUnacceptable in TIME-WAIT: a plain ACK (no challenge, as Linux's
    /// tcp_timewait_state_process), limited per interval unless the segment carries data or a FIN.
    /// Returns true when the ACK is to go.
    /// </summary>
    private bool AnswerUnacceptable(in TcpHeader h, Instant now)
    {
        bool syn = (h.Flags & TcpFlags.Syn) != 0;
        if ((syn || h.SegmentLength == 0) && InvalidReplyLimited(now))
        {
            _layer.Statistics.AckSkippedTimeWait++;
            return false;
        }
        return true;
    }

    /// <summary>As TcpConnection.ChallengeAck: the record's interval, then the layer's budget.</summary>
    private void ChallengeAck(Instant now)
    {
        var stats = _layer.Statistics;
        if (InvalidReplyLimited(now))
        {
            stats.AckSkippedChallenge++;
            return;
        }
        if (!_layer.TryTakeChallengeAck(now))
        {
            stats.ChallengeAcksOverLimit++;
            return;
        }
        stats.ChallengeAcks++;
        SendAck(now);
    }

    private bool InvalidReplyLimited(Instant now)
    {
        if (_lastInvalidReply is { } last && now >= last && now - last < _layer.RateLimits.InvalidInterval)
        {
            return true;
        }
        _lastInvalidReply = now;
        return false;
    }

    /// <summary>RFC 9293 §3.10.7.4: the four cases of acceptability, against the window last offered.</summary>
    private bool Acceptable(SeqNum seq, int segLen)
    {
        int wnd = Math.Max(0, _rcvEdge - _rcvNxt);
        if (segLen == 0 || seq == _rcvNxt)
        {
            return wnd == 0 ? seq == _rcvNxt : seq.InWindow(_rcvNxt, wnd);
        }
        return wnd > 0 && (seq.InWindow(_rcvNxt, wnd) || (seq + (segLen - 1)).InWindow(_rcvNxt, wnd));
    }

    /// <summary>
    /// The pure ACK TcpConnection.SendAck made in TIME-WAIT: SND.NXT, RCV.NXT, the window of the last ACK (as
    /// Linux's tw_rcv_wnd), timestamps (TSval monotonic, TSecr = TS.Recent), a pending D-SACK, ECE while echoing.
    /// </summary>
    private void SendAck(Instant now)
    {
        var options = default(TcpOptions);
        if (_timestamps)
        {
            uint value = unchecked((uint)now.Milliseconds + _tsOffset);
            if (_tsSent && unchecked((int)(value - _lastTsVal)) < 0) value = _lastTsVal;
            _lastTsVal = value;
            _tsSent = true;
            options.HasTimestamps = true;
            options.TsVal = value;
            options.TsEcr = _tsRecent;
        }
        if (_dsackToSend is { } dsack)
        {
            options.AddSackBlock(dsack.Start.Value, dsack.End.Value);
            _dsackToSend = null;
        }
        TcpFlags flags = TcpFlags.Ack | (_ece ? TcpFlags.Ece : 0);
        var repr = new TcpRepr(Tuple.LocalPort, Tuple.RemotePort, _ackSeq.Value, _rcvNxt.Value, flags, _window, options);
        _lastAckSent = _rcvNxt;
        _layer.Transmit(Tuple, repr, null, 0, 0, now, 0, _config.TrafficClass, _config.PathMtuDiscovery);
    }

    public override string ToString() => $"{Tuple} TimeWait";
}

/// <summary>What a connection hands its <see cref="TcpTimeWait"/> record as it enters TIME-WAIT.</summary>
internal readonly record struct TimeWaitState(
    SeqNum SndNxt, SeqNum SndMax, SeqNum AckSeq, SeqNum RcvNxt, SeqNum RcvEdge, SeqNum LastAckSent, ushort Window, bool Timestamps, bool Sack, bool Ece,
    int ReceiveCapacity, uint TsRecent, uint TsOffset, uint LastTsVal, bool TsSent);
