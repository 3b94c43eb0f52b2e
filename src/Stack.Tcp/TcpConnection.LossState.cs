using Stack.Link.Time;
using Stack.Tcp.Diagnostics;
using Stack.Tcp.Sending;
using Stack.Tcp.Wire;

namespace Stack.Tcp;

// The loss state after a retransmission timeout (Linux tcp_enter_loss, tcp_process_loss): what is lost is resent
// in slow start, F-RTO (RFC 5682) looks for proof that the timeout was spurious, and the state ends when SND.UNA
// reaches the point the timeout left off.
public sealed partial class TcpConnection
{
    private bool _frto; // RFC 5682 F-RTO is watching the ACKs after a timeout.
    private bool _newDataFirst; // F-RTO step 2b: new data, not retransmissions, on this ACK.

    /// <summary>This file's fields as a new connection has them (called by <see cref="Open"/>).</summary>
    private void ResetLossState()
    {
        (_frto, _newDataFirst) = (false, false);
    }

    /// <summary>
    /// After a timeout (Linux tcp_process_loss, RFC 5682 F-RTO in its SACK form): undo if the timeout proves
    /// spurious; with F-RTO, send new data after the first ACK and take an ACK of data never resent as proof;
    /// leave when SND.UNA reaches the point the timeout left off.
    /// </summary>
    private void ProcessLoss(in AckSample sample, bool advanced, in TcpOptions options, Instant now)
    {
        bool recovered = _snd.Una >= _highSeq;
        if (advanced && MayUndo(options))
        {
            UndoReduction(unmarkLost: true, LossEvent.LossUndo);
            _retries = 0;
            SetRecoveryState(RecoveryState.Open);
            KeepOpen();
            return;
        }
        if (_frto)
        {
            if (sample.OriginalDelivered)
            {
                // Step 3b: data sent before the timeout and never resent arrived: the timeout was spurious.
                Count(LossEvent.SpuriousRto);
                UndoReduction(unmarkLost: true, LossEvent.LossUndo);
                _retries = 0;
                SetRecoveryState(RecoveryState.Open);
                KeepOpen();
                return;
            }
            if (_snd.Max > _highSeq)
            {
                if (sample.NewlySacked > 0 || (!advanced && _dupAcks > 0))
                {
                    _frto = false; // Step 3a: the loss was real.
                }
            }
            else if (advanced && !recovered)
            {
                // Step 2b: the resend of SND.UNA arrived; send new data next, and see what its ACKs say.
                _highSeq = _snd.Max;
                if (_snd.BufStart + _send.Count - _snd.Max > 0 && _snd.Una + (int)Math.Min(_snd.Wnd, int.MaxValue) > _snd.Max)
                {
                    _newDataFirst = true;
                    return;
                }
                _frto = false;
            }
        }
        if (recovered)
        {
            if (!TryUndo(options, "loss"))
            {
                _loss.OnRecoveryEnd();
            }
            SetRecoveryState(RecoveryState.Open);
            KeepOpen();
        }
    }

    /// <summary>
    /// The retransmission timer expired in a synchronized state (Linux tcp_enter_loss, RFC 5681 §3.1, RFC 6298
    /// §5.4–5.6): what the peer has not SACKed is lost — except, with RACK, segments sent too recently to say —
    /// ssthresh drops, cwnd is what is still in flight plus one, and the first segment goes again at once.
    /// </summary>
    private void EnterLoss(Instant now)
    {
        // _retries already counts this timeout, so Linux's icsk_retransmits (counted after tcp_enter_loss) is
        // _retries − 1 here: "_retries <= 1" is its "no timeout before", "_retries > 1" its "a repeated one".
        bool newEpisode = _recoveryState < RecoveryState.Recovery;
        if (_recoveryState <= RecoveryState.Disorder || _snd.Una >= _highSeq
            || (_recoveryState == RecoveryState.Loss && _retries <= 1))
        {
            _priorSsthresh = CurrentSsthresh();
            _priorCwnd = _cc?.Cwnd ?? 0;
            _cc?.OnTimeout(_segments.Outstanding, now);
            InitUndo();
        }
        MarkLostOnTimeout(now);
        _renoSacked = 0;
        _dupAcks = 0;
        if (_cc is not null)
        {
            _cc.Cwnd = Pipe + _mss;
        }
        SetRecoveryState(RecoveryState.Loss);
        _highSeq = _snd.Max;
        _ecnQueueCwr = _ecnOk; // Linux tcp_enter_loss: the reduction is signalled to an ECN peer too.
        _tlpOutstanding = false;
        _newDataFirst = false;
        _frto = _config.Frto && _opt.Sack && (newEpisode || _retries > 1);
    }

    /// <summary>Linux tcp_timeout_mark_lost.</summary>
    private void MarkLostOnTimeout(Instant now)
    {
        if (_segments.IsEmpty)
        {
            return;
        }
        if (_segments[0].IsSacked)
        {
            // RFC 2018 §8: SND.UNA itself was SACKed and never acknowledged: the receiver reneged.
            Count(LossEvent.SackReneging);
            _segments.ClearSacked();
        }
        TimeSpan rackRtt = _loss is RackLossDetection rack ? rack.Rack.Rtt : TimeSpan.Zero;
        for (int i = 0; i < _segments.Count; i++)
        {
            ref readonly SentSegment s = ref _segments[i];
            if (i > 0 && _loss is RackLossDetection && s.SentAt + rackRtt > now)
            {
                continue; // Sent too recently to call lost yet (RACK's view of it).
            }
            _segments.MarkLost(i);
        }
        CountLostRetransmissions();
    }
}
