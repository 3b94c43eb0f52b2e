using Stack.Link.Time;
using Stack.Tcp.Wire;

namespace Stack.Tcp;

// Explicit Congestion Notification (RFC 3168) as Linux's tcp_ecn 1/2 does it (net/ipv4/tcp_output.c
// tcp_ecn_send_syn / tcp_ecn_send, tcp_input.c tcp_ecn_rcv_synack / __tcp_ecn_check_ce / tcp_ecn_accept_cwr):
//
// - negotiation: an active open with EcnMode.On sends SYN with ECE|CWR and keeps ECN if the SYN-ACK has ECE and
//   not CWR; a listener (On or Passive) answers such a SYN, when the SYN itself is not ECT, with ECE on its
//   SYN-ACK. A retransmitted SYN goes without ECE|CWR (Linux tcp_ecn_fallback: a middlebox may drop them);
// - sending: only new data carries ECT(0) (RFC 3168 §6.1.5: never pure ACKs, SYNs or retransmissions); the first
//   such segment after a reduction carries CWR;
// - receiving: data with CE makes every segment carry ECE until data with CWR arrives (§6.1.3), and is ACKed at
//   once; an ACK with ECE starts a reduction (CWR state, PRR) once per window of data (§6.1.2).
public sealed partial class TcpConnection
{
    /// <summary>RFC 3168 §5: the ECN field's codepoints.</summary>
    internal const byte EcnNotEct = 0, EcnEct1 = 1, EcnEct0 = 2, EcnCe = 3;

    private bool _ecnOk;
    private bool _ecnDemandCwr;
    private bool _ecnQueueCwr;
    private bool _eceOnThisAck; // The segment being handled is an ECN echo (IsEcnEcho), for the sender's half.

    /// <summary>This file's fields as a new connection has them (called by <see cref="Open"/>).</summary>
    private void ResetEcn()
    {
        (_ecnOk, _ecnDemandCwr, _ecnQueueCwr, _eceOnThisAck) = (false, false, false, false);
    }

    /// <summary>RFC 3168 ECN was agreed in the handshake (Linux TCP_ECN_OK).</summary>
    public bool EcnEnabled => _ecnOk;

    /// <summary>The flags an active open's SYN adds: ECE|CWR on the first one when we ask for ECN.</summary>
    private TcpFlags SynEcnFlags()
    {
        if (_retries > 0)
        {
            _ecnOk = false; // Linux tcp_ecn_clear_syn: a retransmitted SYN gives ECN up.
            return TcpFlags.None;
        }
        _ecnOk = _config.Ecn == EcnMode.On;
        return _ecnOk ? TcpFlags.Ece | TcpFlags.Cwr : TcpFlags.None;
    }

    /// <summary>Linux tcp_ecn_rcv_synack: ECN holds only if the SYN-ACK has ECE and not CWR.</summary>
    private void ReceiveSynAckEcn(TcpFlags flags)
    {
        if ((flags & (TcpFlags.Ece | TcpFlags.Cwr)) != TcpFlags.Ece)
        {
            _ecnOk = false;
        }
    }

    /// <summary>
    /// Linux tcp_ecn_create_request: a SYN with ECE and CWR, not itself ECT (RFC 3168 §6.1.1 says a SYN is never
    /// ECT; one that is has been remarked on the way), gets ECN when tcp_ecn is 1 or 2.
    /// </summary>
    private void ReceiveSynEcn(TcpFlags flags, byte ipEcn)
    {
        _ecnOk = (flags & (TcpFlags.Ece | TcpFlags.Cwr)) == (TcpFlags.Ece | TcpFlags.Cwr)
            && ipEcn == EcnNotEct && _config.Ecn != EcnMode.Off;
    }

    /// <summary>The SYN-ACK's ECE (Linux tcp_ecn_make_synack).</summary>
    private TcpFlags SynAckEcnFlags => _ecnOk ? TcpFlags.Ece : TcpFlags.None;

    /// <summary>
    /// Linux tcp_ecn_send: the ECN field and the flags of a segment leaving in a synchronized state. New data
    /// (at or beyond SND.MAX) is ECT(0) and takes a queued CWR; every segment echoes ECE while a CE is unanswered.
    /// </summary>
    private byte EcnForSegment(SeqNum seq, int length, ref TcpFlags flags)
    {
        if (!_ecnOk)
        {
            return EcnNotEct;
        }
        byte field = EcnNotEct;
        if (length > 0 && seq >= _snd.Max)
        {
            field = EcnEct0;
            if (_ecnQueueCwr)
            {
                _ecnQueueCwr = false;
                flags |= TcpFlags.Cwr;
            }
        }
        if (_ecnDemandCwr)
        {
            flags |= TcpFlags.Ece;
        }
        return field;
    }

    /// <summary>
    /// A data segment's ECN (Linux tcp_ecn_accept_cwr, then __tcp_ecn_check_ce): CWR ends our echo; CE starts it
    /// and is acknowledged at once, as the sender's window may be small.
    /// </summary>
    private void ReceiveDataEcn(TcpFlags flags, int payloadLength)
    {
        if (!_ecnOk || payloadLength == 0)
        {
            return;
        }
        if ((flags & TcpFlags.Cwr) != 0)
        {
            _ecnDemandCwr = false;
            _ackPending = true;
        }
        if (_layer.ReceivedEcn == EcnCe && !_ecnDemandCwr)
        {
            _ecnDemandCwr = true;
            _ackPending = true;
        }
    }

    /// <summary>Linux tcp_ecn_rcv_ecn_echo: an ACK (not a SYN) with ECE on an ECN connection.</summary>
    private bool IsEcnEcho(TcpFlags flags) => _ecnOk && (flags & (TcpFlags.Ece | TcpFlags.Syn)) == TcpFlags.Ece;

    /// <summary>
    /// Linux tcp_enter_cwr: from Open or Disorder, a reduction without loss. ssthresh drops as for a loss, PRR
    /// brings cwnd down to it over the next round trip, and the next new data carries CWR. Ends when an ACK
    /// passes the SND.MAX of now (<see cref="LeaveRecoveryIfDone"/>).
    /// </summary>
    private void EnterCwr(Instant now)
    {
        if (_recoveryState >= RecoveryState.Cwr)
        {
            return;
        }
        _undoArmed = false; // Linux clears undo_marker and prior_ssthresh: a CE mark is never undone.
        _priorSsthresh = 0;
        _priorCwnd = _cc!.Cwnd;
        _highSeq = _snd.Max;
        _tlpOutstanding = false;
        _cc.OnCongestionEvent(_segments.Outstanding, now);
        _prr.Start(_priorCwnd, _mss);
        _ecnQueueCwr = true;
        SetRecoveryState(RecoveryState.Cwr);
    }
}

/// <summary>Linux's net.ipv4.tcp_ecn: whether a connection asks for RFC 3168 ECN, and whether a listener agrees.</summary>
public enum EcnMode
{
    /// <summary>0: never; a SYN asking for it gets a SYN-ACK without ECE.</summary>
    Off = 0,

    /// <summary>1: ask on active opens, agree on passive ones.</summary>
    On = 1,

    /// <summary>2 (Linux's default): agree when the peer asks, never ask.</summary>
    Passive = 2,
}
