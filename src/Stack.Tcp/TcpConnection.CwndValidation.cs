using Stack.Link.Time;

namespace Stack.Tcp;

// Whether the sender uses its cwnd, as Linux judges it (tcp_cwnd_validate, tcp_is_cwnd_limited): cwnd grows only
// while the sender is limited by it (in slow start, also while cwnd is under twice the largest flight of the
// window), an application-limited cwnd decays (RFC 2861, tcp_cwnd_application_limited), and a connection that
// was idle for an RTO starts again from the initial window (RFC 5681 §4.1, tcp_cwnd_restart). RFC 5681 leaves
// the growth of an unused cwnd open; Linux holds it back, and its scripts count on it.
public sealed partial class TcpConnection
{
    private bool _isCwndLimited; // Linux tp->is_cwnd_limited: cwnd bounded a transmit in this window.
    private int _maxPacketsOut; // Linux tp->max_packets_out: the largest flight in this window, segments.
    private SeqNum _cwndUsageSeq; // Linux tp->cwnd_usage_seq: the end of that window.
    private int _cwndUsed; // Linux tp->snd_cwnd_used: the largest flight while not cwnd-limited, segments.
    private Instant _cwndStamp; // Linux tp->snd_cwnd_stamp: when cwnd was last fully used or changed so.

    /// <summary>This file's fields as a new connection has them (called by <see cref="Open"/>).</summary>
    private void ResetCwndValidation()
    {
        (_isCwndLimited, _maxPacketsOut, _cwndUsageSeq, _cwndUsed, _cwndStamp) = (false, 0, default, 0, default);
    }

    /// <summary>Segments sent and not cumulatively acknowledged (Linux packets_out).</summary>
    private int PacketsOut => _segments.Count;

    /// <summary>
    /// Linux tcp_is_cwnd_limited: cwnd bounded a transmit of this window, or, in slow start, cwnd is below
    /// twice the largest flight of it (so that slow start can double what was sent).
    /// </summary>
    private bool IsCwndLimited
    {
        get
        {
            if (_isCwndLimited || _cc is null)
            {
                return true;
            }
            if (_cc.Cwnd < _cc.Ssthresh)
            {
                return _cc.Cwnd < 2L * _maxPacketsOut * _mss;
            }
            return false;
        }
    }

    /// <summary>The congestion state starts with the connection (Linux tcp_init_transfer stamps cwnd).</summary>
    private void StartCwndValidation(Instant now)
    {
        _cwndStamp = now;
        _cwndUsageSeq = _snd.Nxt;
        _lastDataSentAt = now; // Linux sets lsndtime as the connection is made.
    }

    /// <summary>
    /// After a transmit pass of new data (Linux tcp_cwnd_validate, called by tcp_write_xmit when it sent
    /// something or cwnd stopped it): remember whether cwnd was the limit for this window and the largest flight;
    /// when not, and an RTO has passed since cwnd was last used, shrink it toward what was used.
    /// </summary>
    private void ValidateCwnd(bool cwndLimited, Instant now)
    {
        if (_cc is null)
        {
            return;
        }
        if (_snd.Una >= _cwndUsageSeq || cwndLimited || (!_isCwndLimited && PacketsOut > _maxPacketsOut))
        {
            _isCwndLimited = cwndLimited;
            _maxPacketsOut = PacketsOut;
            _cwndUsageSeq = _snd.Nxt;
        }
        if (IsCwndLimited)
        {
            _cwndUsed = 0;
            _cwndStamp = now;
            return;
        }
        _cwndUsed = Math.Max(_cwndUsed, PacketsOut);
        if (_config.SlowStartAfterIdle && _rateBased is null && now - _cwndStamp >= _rto.Rto)
        {
            ApplicationLimited(now);
        }
        // Sent what there was, not held by cwnd, and a writer waits for room: the send buffer is the limit.
        if (NotSentBytes == 0 && _sendNoSpace && _state is TcpState.Established or TcpState.CloseWait)
        {
            ChronoStart(Chrono.SndbufLimited, now);
        }
    }

    /// <summary>
    /// Linux tcp_cwnd_application_limited (RFC 2861 §3): outside recovery, and unless the application is waiting
    /// for buffer space, cwnd drops halfway to what was used (at least the initial window), ssthresh keeping the
    /// old cwnd's 3/4.
    /// </summary>
    private void ApplicationLimited(Instant now)
    {
        if (_recoveryState == RecoveryState.Open && _send.Free > 0)
        {
            int initial = InitialWindow;
            int used = Math.Max(_cwndUsed, initial);
            int cwnd = _cc!.Cwnd / _mss;
            if (used < cwnd)
            {
                int ssthresh = CurrentSsthresh();
                _cc.Restart((cwnd + used) / 2 * _mss, ssthresh);
            }
            _cwndUsed = 0;
        }
        _cwndStamp = now;
    }

    /// <summary>
    /// Linux tcp_slow_start_after_idle_check, as a write queues data: with nothing in flight and more than an RTO
    /// since data last left, cwnd restarts (tcp_cwnd_restart: halved per RTO idle, down to the initial window).
    /// </summary>
    private void RestartAfterIdle(Instant now)
    {
        if (!_config.SlowStartAfterIdle || _cc is null || _rateBased is not null || PacketsOut > 0
            || _state is not (TcpState.Established or TcpState.CloseWait))
        {
            return;
        }
        TimeSpan idle = now - _lastDataSentAt;
        TimeSpan rto = _rto.Rto;
        if (idle <= rto)
        {
            return;
        }
        int cwnd = _cc.Cwnd / _mss;
        int restart = Math.Min(InitialWindow, cwnd);
        int ssthresh = CurrentSsthresh();
        while ((idle -= rto) > TimeSpan.Zero && cwnd > restart)
        {
            cwnd >>= 1;
        }
        _cc.Restart(Math.Max(cwnd, restart) * _mss, ssthresh);
        _cwndStamp = now;
        _cwndUsed = 0;
    }
}
