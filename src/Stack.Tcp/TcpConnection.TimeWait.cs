using System.Net.Sockets;
using Stack.Link.Time;
using Stack.Tcp.Timers;

namespace Stack.Tcp;

// TIME-WAIT handed over to a compact record (TcpTimeWait): as the entry point that entered TIME-WAIT settles, the
// layer takes the connection out of its table and keeps the record instead; the record answers the peer from then
// on. The connection object stays in TIME-WAIT for its owner, and goes to CLOSED when the record ends (expiry, a
// RST, a new incarnation), raising StateChanged and Notify as before — unless its owner released it (Release),
// after which the layer holds no reference to it at all.
public sealed partial class TcpConnection
{
    private TcpTimeWait? _timeWait;
    private bool _handedOff;
    private bool _released;

    /// <summary>This file's fields as a new connection has them (called by <see cref="Open"/>).</summary>
    private void ResetTimeWait()
    {
        (_timeWait, _handedOff, _released) = (null, false, false);
    }

    /// <summary>
    /// The owner (a socket) is done with this connection and will not touch the object again: it drops its Notify
    /// hook, and once the connection is in TIME-WAIT the layer keeps only its compact record, not this object.
    /// Once done (CLOSED, or TIME-WAIT left to the record) the object goes back to the layer's pool and may become
    /// another connection (TcpConnection.Pool.cs). A connection whose StateChanged someone still watches stays
    /// linked to the record, so the watcher still sees CLOSED when TIME-WAIT ends, and is never pooled.
    /// </summary>
    public void Release()
    {
        if (_pooled)
        {
            return;
        }
        _released = true;
        Notify = null;
        if (_timeWait is { } tw && StateChanged is null)
        {
            tw.Owner = null;
            _timeWait = null;
        }
        PoolIfDone();
    }

    /// <summary>The highest sequence number sent (SND.MAX).</summary>
    internal SeqNum SendHighWater => _snd.Max;

    /// <summary>The record of this connection's TIME-WAIT, while the connection is linked to it (for tests).</summary>
    internal TcpTimeWait? TimeWaitRecord => _timeWait;

    /// <summary>Hands TIME-WAIT to the layer as a record: called once, as the entry point that entered it settles.</summary>
    private void HandOffTimeWait(Instant now)
    {
        _handedOff = true;
        ushort window = ComputeWindow(); // What our next ACK would offer: the record offers it from now on (Linux tw_rcv_wnd).
        SeqNum ackSeq = SeqNum.Max(_snd.Nxt, SeqNum.Min(_snd.Max, _snd.Una + (int)Math.Min(_snd.Wnd, int.MaxValue)));
        var state = new TimeWaitState(_snd.Nxt, _snd.Max, ackSeq, _rcv.Nxt, _rcv.Edge, _rcv.LastAckSent, window,
            _opt.Timestamps, _opt.Sack, _ecnOk && _ecnDemandCwr, _recv.Capacity, _opt.TsRecent, _tsOffset, _lastTsVal, _tsSent);
        Instant deadline = _timers.Deadline(TimerKind.TimeWait);
        _timers.CancelAll();
        // Its entry in the connections' timer heap goes stale at once: the heap's live entries stay those of the
        // connections in the table, which its compaction counts on.
        ScheduledAt = Instant.Never;
        bool keep = !_released || StateChanged is not null;
        var tw = _layer.EnterTimeWait(this, state, deadline, keep, now);
        _timeWait = keep ? tw : null;
    }

    /// <summary>The record's TIME-WAIT ended: CLOSED, with <paramref name="error"/> when a SYN reset it.</summary>
    internal void EndTimeWait(Instant now, string cause, SocketError? error)
    {
        _timeWait = null;
        bool outermost = Enter();
        try
        {
            if (error is { } e)
            {
                Fail(e, cause);
            }
            else
            {
                SetState(TcpState.Closed, cause);
            }
        }
        catch (Exception e) when (outermost && !IsFatal(e))
        {
            Fault(e, now);
        }
        finally
        {
            Leave(now);
        }
    }

    /// <summary>The connection leaves TIME-WAIT by itself (an abort, a close with unread data): its record goes too.</summary>
    private void DropTimeWaitRecord()
    {
        if (_timeWait is { } tw)
        {
            _timeWait = null;
            tw.Owner = null;
            _layer.DropTimeWait(tw);
        }
    }
}
