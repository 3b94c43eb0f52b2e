using Stack.Link.Time;
using Stack.Tcp.Wire;

namespace Stack.Tcp;

// Replies to segments we will not take, thinned as Linux thins them (net/ipv4/tcp_input.c): per connection at
// most one ACK to an invalid segment, or challenge ACK, per TcpRateLimits.InvalidInterval (tcp_invalid_ratelimit,
// 500 ms), so that two confused ends cannot ACK each other for ever and a blind flood draws few replies; challenge
// ACKs also from the layer's budget (tcp_challenge_ack_limit, off by default as in Linux 6.0 and later).
public sealed partial class TcpConnection
{
    /// <summary>When we last answered an invalid segment (Linux last_oow_ack_time); null: never.</summary>
    private Instant? _lastInvalidReply;

    /// <summary>This file's fields as a new connection has them (called by <see cref="Open"/>).</summary>
    private void ResetRateLimits()
    {
        _lastInvalidReply = null;
    }

    /// <summary>
    /// Linux __tcp_oow_rate_limited: true (and nothing sent) when we answered an invalid segment less than the
    /// interval ago; otherwise the caller answers and the interval starts again now.
    /// </summary>
    private bool InvalidReplyLimited(Instant now)
    {
        if (_lastInvalidReply is { } last && now >= last && now - last < _layer.RateLimits.InvalidInterval)
        {
            return true;
        }
        _lastInvalidReply = now;
        return false;
    }

    /// <summary>
    /// RFC 9293 §3.10.7.4 (and RFC 7323 §5.3 for PAWS): an unacceptable segment, not a RST, is answered with an
    /// ACK, unless this connection answered one within the interval (Linux tcp_oow_rate_limited; counted in
    /// <paramref name="skipped"/>, or the SYN-RECEIVED or TIME-WAIT counter in those states). A SYN is challenged
    /// instead (RFC 5961 §4.2 says any SYN; Linux's syn_challenge), except in SYN-RECEIVED and TIME-WAIT, which
    /// Linux handles apart (tcp_check_req, tcp_timewait_state_process) with a plain, limited, ACK.
    /// </summary>
    private void AnswerUnacceptable(in TcpHeader h, ref long skipped, Instant now)
    {
        bool syn = (h.Flags & TcpFlags.Syn) != 0;
        if (syn && _config.ChallengeAcks && _state is not (TcpState.SynReceived or TcpState.TimeWait))
        {
            ChallengeAck(now);
            return;
        }
        // A segment with data or a FIN and no SYN is always answered: Linux's reasoning is that data is not part
        // of an ACK loop, and its sender needs the ACK (or D-SACK) to stop resending.
        if ((syn || h.SegmentLength == 0) && InvalidReplyLimited(now))
        {
            SkippedCounter(ref skipped)++;
            return;
        }
        _ackPending = true;
    }

    /// <summary>The counter of skipped replies in this state: Linux's TCPACKSkippedSynRecv and TCPACKSkippedTimeWait.</summary>
    private ref long SkippedCounter(ref long otherwise)
    {
        switch (_state)
        {
            case TcpState.SynReceived: return ref _layer.Statistics.AckSkippedSynRecv;
            case TcpState.TimeWait: return ref _layer.Statistics.AckSkippedTimeWait;
            default: return ref otherwise;
        }
    }

    /// <summary>
    /// RFC 5961 §3.2, §4.2, §5.2: a challenge ACK (an ACK of RCV.NXT) for a RST or SYN that might be forged, or an
    /// ACK of data never sent. Limited as Linux's tcp_send_challenge_ack: the connection's interval first
    /// (TCPACKSkippedChallenge), then the layer's budget for this second.
    /// </summary>
    private void ChallengeAck(Instant now)
    {
        if (InvalidReplyLimited(now))
        {
            _layer.Statistics.AckSkippedChallenge++;
            return;
        }
        if (!_layer.TryTakeChallengeAck(now))
        {
            _layer.Statistics.ChallengeAcksOverLimit++;
            return;
        }
        _layer.Statistics.ChallengeAcks++;
        _ackPending = true;
    }
}
