using Stack.Link.Time;
using Stack.Tcp.Diagnostics;
using Stack.Tcp.Sending;
using Stack.Tcp.Wire;

namespace Stack.Tcp;

// Undoing a congestion-window reduction that proves needless (Linux tcp_init_undo, tcp_may_undo, tcp_try_undo_*):
// timestamps echoing a TSval from before the first resend (RFC 3522 Eifel detection), or every resend of the
// episode reported as a duplicate by D-SACK (RFC 3708).
public sealed partial class TcpConnection
{
    // The window before the reduction, SND.UNA when it began, and retransmissions not yet shown needless by a
    // D-SACK (−1: none sent); the first resend's TSval.
    private bool _undoArmed;
    private SeqNum _undoMarker;
    private int _undoRetrans;
    private int _priorCwnd;
    private int _priorSsthresh;
    private bool _retransStampSet;
    private uint _retransStampTsVal;

    /// <summary>This file's fields as a new connection has them (called by <see cref="Open"/>).</summary>
    private void ResetUndo()
    {
        (_undoArmed, _undoMarker, _undoRetrans, _priorCwnd, _priorSsthresh) = (false, default, 0, 0, 0);
        (_retransStampSet, _retransStampTsVal) = (false, 0);
    }

    private void InitUndo()
    {
        _undoArmed = true;
        _undoMarker = _snd.Una;
        _undoRetrans = _segments.RetransmittedBytes > 0 ? (_segments.RetransmittedBytes + _mss - 1) / _mss : -1;
    }

    /// <summary>
    /// Linux tcp_packet_delayed (RFC 3522 Eifel): the ACK echoes a TSval older than our first resend, so it was
    /// sent for an original transmission, and the resend was not needed.
    /// </summary>
    private bool PacketDelayed(in TcpOptions options) => _retransStampSet && _opt.Timestamps && options.HasTimestamps
        && options.TsEcr != 0 && unchecked((int)(options.TsEcr - _retransStampTsVal)) < 0;

    /// <summary>Linux tcp_may_undo: every resend was D-SACKed, or the ACK proves the originals arrived.</summary>
    private bool MayUndo(in TcpOptions options) => _undoArmed && (_undoRetrans == 0 || PacketDelayed(options));

    /// <summary>At the end of a recovery or loss episode: undo if it proved spurious (Linux tcp_try_undo_recovery).</summary>
    private bool TryUndo(in TcpOptions options, string why)
    {
        if (!MayUndo(options))
        {
            return false;
        }
        if (_recoveryState == RecoveryState.Loss)
        {
            UndoReduction(unmarkLost: true, LossEvent.LossUndo);
        }
        else
        {
            UndoReduction(unmarkLost: false, LossEvent.FullUndo);
        }
        TcpLog.Undo(_layer.Log, Tuple, why, _cc!.Cwnd);
        return true;
    }

    /// <summary>Linux tcp_try_undo_dsack: every retransmission of the episode was D-SACKed.</summary>
    private bool TryUndoDsack()
    {
        if (!_undoArmed || _undoRetrans != 0)
        {
            return false;
        }
        UndoReduction(unmarkLost: false, LossEvent.DsackUndo);
        TcpLog.Undo(_layer.Log, Tuple, "D-SACK", _cc!.Cwnd);
        return true;
    }

    /// <summary>Linux tcp_undo_cwnd_reduction: cwnd and ssthresh back; optionally forget the loss marks.</summary>
    private void UndoReduction(bool unmarkLost, LossEvent counter)
    {
        Count(counter);
        if (unmarkLost)
        {
            _segments.ClearLost();
        }
        _cc!.Undo(_priorCwnd, _priorSsthresh);
        _undoArmed = false;
    }
}
