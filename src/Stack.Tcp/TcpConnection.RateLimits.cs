using Stack.Link.Time;

namespace Stack.Tcp;

// Replies to segments we will not take, thinned as Linux thins them (net/ipv4/tcp_input.c): per connection at
// most one ACK to an invalid segment, or challenge ACK, per TcpRateLimits.InvalidInterval (tcp_invalid_ratelimit,
// 500 ms), so that two confused ends cannot ACK each other for ever and a blind flood draws few replies; challenge
// ACKs also from the layer's budget (tcp_challenge_ack_limit, off by default as in Linux 6.0 and later).
public sealed partial class TcpConnection
{
    /// <summary>When we last answered an invalid segment (Linux last_oow_ack_time); null: never.</summary>
    private Instant? _lastInvalidReply;

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
    /// RFC 9293 §3.10.7.4 (and RFC 7323 §5.3 for PAWS): an unacceptable segment is answered with an ACK — unless
    /// this connection answered one within the interval (Linux tcp_oow_rate_limited, counted in
    /// <paramref name="skipped"/>). A segment with data or a FIN and no SYN is always answered: Linux's reasoning
    /// is that data is not part of an ACK loop, and the sender needs the ACK (or D-SACK) to stop resending.
    /// </summary>
    private void AckInvalid(in Wire.TcpHeader h, ref long skipped, Instant now)
    {
        bool syn = (h.Flags & Wire.TcpFlags.Syn) != 0;
        if ((syn || h.SegmentLength == 0) && InvalidReplyLimited(now))
        {
            skipped++;
            return;
        }
        _ackPending = true;
    }

    /// <summary>The counter of <see cref="AckInvalid"/> replies skipped in this state (Linux's TCPACKSkipped*).</summary>
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
