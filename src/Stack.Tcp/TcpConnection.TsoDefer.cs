using Stack.Link.Time;

namespace Stack.Tcp;

// Linux's tcp_tso_should_defer, the "TSO Nagle test" of tcp_write_xmit: the rest of an skb of two segments or more
// that the windows can send only part of may wait for the next ACK instead of leaving as a small packet. It
// decides how full cwnd is once an ACK's sending is done, and so whether tcp_check_space grows sk_sndbuf
// (tcp_should_expand_sndbuf; notsent_lowat/notsent-lowat-default). Modelled: the cwnd-limited and the
// rwnd-limited deferrals; not the application-limited one (a tail skb that all windows could take, held for more
// data), which the stack sends at once.
public sealed partial class TcpConnection
{
    private const int TsoWinDivisor = 3; // Linux's tcp_tso_win_divisor default.

    /// <summary>
    /// Linux tcp_tso_should_defer for the packet that would start at SND.NXT with <paramref name="available"/>
    /// bytes waiting: true when the rest of its skb waits for the next ACK.
    /// </summary>
    private bool TsoShouldDefer(int available, int mss, Instant now)
    {
        if (_cc is null || _recoveryState >= RecoveryState.Recovery || now - _lastDataSentAt > TimeSpan.FromMilliseconds(1))
        {
            return false; // In recovery, or the last packet left over 1 ms ago: no deferral (bursts are avoided).
        }
        SeqNum skbEnd = _skbEnds.FirstAbove(_snd.Nxt) ?? _snd.Nxt + available;
        int skbLen = Math.Min(skbEnd - _snd.Nxt, available);
        if (skbLen <= mss)
        {
            return false; // tcp_write_xmit asks only for an skb of two segments or more.
        }
        long sendWin = (long)_snd.Wnd - (_snd.Nxt - _snd.Una); // tcp_wnd_end - seq.
        long congWin = CongestionRoom() / mss * mss; // (cwnd - in flight) * mss.
        long limit = Math.Min(sendWin, congWin);
        bool tail = skbLen == available;
        if (limit >= (long)TsoSegments(mss) * mss || (!tail && limit >= skbLen)
            || limit >= Math.Min(_snd.Wnd, _cc.Cwnd) / TsoWinDivisor)
        {
            return false;
        }
        // The next ACK is likely to come too late (the oldest packet in flight left less than half an srtt ago). A
        // head sent at this very instant counts as young: Linux's srtt is never zero under packetdrill.
        TimeSpan srtt = _rto.SmoothedRtt ?? TimeSpan.Zero;
        if (_segments.IsEmpty || now - _segments[0].SentAt is var age && (age <= TimeSpan.Zero || age < srtt / 2))
        {
            return false;
        }
        if (congWin < sendWin)
        {
            _stoppedByCwnd = congWin <= skbLen;
            return _stoppedByCwnd;
        }
        _stoppedByRwnd = sendWin <= skbLen;
        return _stoppedByRwnd;
    }
}
