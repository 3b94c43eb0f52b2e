using System.Net.Sockets;
using Stack.Link.Time;
using Stack.Tcp.Diagnostics;

namespace Stack.Tcp;

// The bracket every entry point runs in, and what happens when something throws inside it. Each entry point reads
//
//     bool outermost = Enter();
//     try { ...the work... }
//     catch (Exception e) when (outermost && !IsFatal(e)) { Fault(e, now); }
//     finally { Leave(now); }
//
// so the depth is restored whatever happens, and an unexpected exception (an application's StateChanged or
// Notify handler, an AcceptReady handler run inside a handshake, a device that throws on transmit, or a bug of
// ours) fails this one connection visibly instead of leaving it wedged with its output held back for ever. Only
// the outermost bracket faults: a nested entry point's exception unwinds to it, so no work goes on half done.
public sealed partial class TcpConnection
{
    private bool _faulted;

    /// <summary>This file's fields as a new connection has them (called by <see cref="Open"/>).</summary>
    private void ResetFault()
    {
        _faulted = false;
    }

    /// <summary>The connection failed with an unexpected exception (see <see cref="Fault"/>); its Error is set.</summary>
    public bool IsFaulted => _faulted;

    /// <summary>Opens an entry point's bracket; true when it is the outermost one, the one that faults.</summary>
    private bool Enter() => ++_depth == 1;

    /// <summary>
    /// Closes the bracket; at the outermost level sends what is due, reschedules the timers and raises the collected
    /// events once. Never throws for an exception that <see cref="Fault"/> can take.
    /// </summary>
    private void Leave(Instant now)
    {
        if (--_depth > 0)
        {
            return;
        }
        if (_state != TcpState.Closed)
        {
            try
            {
                Output(now);
                CheckSendSpace(now);
                ArmKeepAlive();
            }
            catch (Exception e) when (!IsFatal(e))
            {
                Fault(e, now);
            }
        }
        Settle(now);
    }

    /// <summary>
    /// Leave's tail: TIME-WAIT to its record, buffers back when done, the timer queue, then Notify with what
    /// happened; last of all, at the outermost Settle, the pool takes the connection if it is released and done.
    /// </summary>
    private void Settle(Instant now)
    {
        _settling++;
        try
        {
            if (_state == TcpState.TimeWait && !_handedOff)
            {
                HandOffTimeWait(now);
            }
            ReleaseBuffersWhenDone();
            _layer.Reschedule(this);
            TcpEvents events = _pending;
            _pending = TcpEvents.None;
            if (events != TcpEvents.None)
            {
                try
                {
                    Notify?.Invoke(this, events);
                }
                catch (Exception e) when (!IsFatal(e))
                {
                    if (Fault(e, now))
                    {
                        Settle(now); // The owner hears of the fault; a second throw is only logged, so this ends.
                    }
                }
            }
        }
        finally
        {
            _settling--;
        }
        if (_settling == 0)
        {
            // Nothing of this entry point touches the connection after this, nor of one nested in it (a TIME-WAIT
            // overflow closes inside HandOffTimeWait; a Notify handler may call back in): those settle inside.
            PoolIfDone();
        }
    }

    /// <summary>
    /// Fails the connection after an unexpected exception, as Linux's tcp_abort (SOCK_DESTROY) does: a RST to a
    /// synchronized peer, Error = ConnectionAborted (unless the connection had already failed: that error stays),
    /// CLOSED (timers cancelled, gone from the layer's table), counted and logged. The exception is not rethrown;
    /// the layer's other connections and listeners go on. Returns false, and only logs, if this connection has
    /// already faulted: a fault never recurses. The RST goes in the states our own Abort sends one in
    /// (ResetReachesPeer): Linux's tcp_need_reset, plus CLOSING and LAST-ACK, where the peer may still be waiting
    /// for our FIN (or its retransmission) and a RST ends that at once.
    /// </summary>
    private bool Fault(Exception e, Instant now)
    {
        if (_faulted)
        {
            TryLog(() => TcpLog.FaultedAgain(_layer.Log, Tuple, e));
            return false;
        }
        _faulted = true;
        _layer.Statistics.Faulted++;
        TcpState state = _state;
        TryLog(() => TcpLog.Faulted(_layer.Log, Tuple, state, e));
        _error ??= SocketError.ConnectionAborted;
        _pending |= TcpEvents.Error | TcpEvents.Readable | TcpEvents.Writable;
        try
        {
            if (ResetReachesPeer)
            {
                _layer.SendReset(Tuple, _snd.Nxt, _rcv.Nxt, Wire.TcpFlags.Rst | Wire.TcpFlags.Ack, now);
            }
        }
        catch (Exception inner) when (!IsFatal(inner))
        {
            TryLog(() => TcpLog.FaultedAgain(_layer.Log, Tuple, inner)); // Best effort: the peer times out instead.
        }
        // Nothing received is handed out any more: the error is reported at once (the data may be what threw).
        _send.Clear();
        ForgetPushMarks();
        _recv.Clear();
        try
        {
            SetState(TcpState.Closed, "fault");
        }
        catch (Exception inner) when (!IsFatal(inner))
        {
            // A StateChanged handler threw again. SetState raises the event last, so the connection is closed.
            TryLog(() => TcpLog.FaultedAgain(_layer.Log, Tuple, inner));
        }
        return true;
    }

    /// <summary>
    /// An exception that says the process, not the connection, is broken: it is not made into a fault but goes on up
    /// (each bracket is still restored on the way), where the event loop lets it through too. Building a RST and
    /// calling handlers out of memory would most likely fail again and hide the cause. (StackOverflowException
    /// cannot be caught at all in .NET, nor, by default, an access violation.)
    /// </summary>
    private static bool IsFatal(Exception e) => e is OutOfMemoryException;

    /// <summary>A logger provider that throws must not turn a fault into a second one.</summary>
    private static void TryLog(Action log)
    {
        try
        {
            log();
        }
        catch (Exception e) when (!IsFatal(e))
        {
            // Nowhere left to report it.
        }
    }
}
