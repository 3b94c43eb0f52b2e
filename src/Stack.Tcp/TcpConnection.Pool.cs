namespace Stack.Tcp;

// Pooled connections (TcpLayer.ConnectionPoolSize). A connection whose owner released it (Release) goes back to
// the layer's pool once it is done: CLOSED, or in TIME-WAIT with only the layer's compact record left. The next
// Connect or arriving SYN takes it from there and starts its next life (Open), so a steady stream of connections
// allocates none. Release is the owner's promise not to touch the object again; the stack's own holders are cut
// before it is pooled: the 4-tuple table drops it at CLOSED or at the hand-off to the TIME-WAIT record, the
// listener at accept, and entries the timer heap still holds carry the generation they were queued in. A
// connection someone still watches (StateChanged) is never pooled: a watcher may look at it later.
public sealed partial class TcpConnection
{
    private int _settling; // Settles running (Leave's tail, Notify in it): the entry points have not finished with it.
    private bool _pooled;

    /// <summary>Lives this object had before the present one; the timer heap's entries carry it.</summary>
    internal int Generation { get; private set; }

    /// <summary>In the layer's pool, between two lives.</summary>
    internal bool IsPooled => _pooled;

    private bool ReadyForPool => _released && !_pooled && _depth == 0 && _settling == 0 && StateChanged is null
        && Listener is null && (_state == TcpState.Closed || (_handedOff && _timeWait is null));

    /// <summary>Hands the connection to the layer's pool if it is released and done; called as entry points settle.</summary>
    private void PoolIfDone()
    {
        if (ReadyForPool && _layer.TryPool(this))
        {
            _pooled = true;
            Generation++;
            // A pooled connection holds no buffer: what its owner left unread goes with the connection.
            _send.Clear();
            _recv.Clear();
            _segments.Clear();
            ReleaseBuffersWhenDone();
        }
    }

    /// <summary>This file's fields as a pooled connection starts its next life (called by <see cref="Open"/>).</summary>
    private void ResetPool() => (_settling, _pooled) = (0, false);
}
