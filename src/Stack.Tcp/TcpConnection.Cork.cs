using Stack.Link.Time;

namespace Stack.Tcp;

// Nagle, TCP_NODELAY, TCP_CORK and MSG_MORE as Linux combines them in tp->nonagle (tcp_nagle_test,
// tcp_nagle_check): TCP_NAGLE_OFF (TCP_NODELAY), TCP_NAGLE_CORK (TCP_CORK, or MSG_MORE for the push that ends
// its own write, tcp_push) and TCP_NAGLE_PUSH (one push that lets everything queued go, set by TCP_NODELAY and by
// taking the cork out with TCP_NODELAY on, cleared when a write adds a new skb, skb_entail). A corked segment
// shorter than the MSS waits even with nothing in flight; Linux has no cork timer of its own, but with nothing in
// flight its probe timer (tcp_check_probe_timer, one RTO) sends what waits (tcp_write_wakeup): see
// OnPersistTimeout.
public sealed partial class TcpConnection
{
    private bool _naglePush; // Linux's TCP_NAGLE_PUSH.
    private bool _moreThisCall; // The push that ends a MSG_MORE write corks (Linux tcp_push: nonagle = TCP_NAGLE_CORK).
    private SeqNum _moreStart, _moreEnd; // The last run of MSG_MORE writes: no PSH inside it.

    /// <summary>This file's fields as a new connection has them (called by <see cref="Open"/>).</summary>
    private void ResetCork(bool cork)
    {
        (_naglePush, _moreThisCall, _moreStart, _moreEnd) = (false, false, default, default);
        Cork = cork;
    }

    /// <summary>TCP_CORK (from <see cref="TcpConfig.Cork"/>): segments shorter than the MSS wait. Set it with <see cref="SetCork"/>.</summary>
    public bool Cork { get; private set; }

    /// <summary>
    /// setsockopt(TCP_NODELAY) as Linux's __tcp_sock_set_nodelay: turning it on pushes what waits, a cork
    /// notwithstanding (TCP_NAGLE_PUSH).
    /// </summary>
    public void SetNoDelay(bool on, Instant now)
    {
        NoDelay = on;
        if (on)
        {
            _naglePush = true;
            Push(now);
        }
    }

    /// <summary>
    /// setsockopt(TCP_CORK) as Linux's __tcp_sock_set_cork: taking the cork out sends what waits under the usual
    /// Nagle rule, or all of it with TCP_NODELAY on.
    /// </summary>
    public void SetCork(bool on, Instant now)
    {
        Cork = on;
        if (!on)
        {
            _naglePush |= NoDelay;
            Push(now);
        }
    }

    private void Push(Instant now)
    {
        if (_depth == 0 && _state != TcpState.Closed)
        {
            Enter();
            Leave(now);
        }
    }

    /// <summary>
    /// A write added [<paramref name="start"/>, start + <paramref name="length"/>): it ends Linux's one-shot push,
    /// and a MSG_MORE write gets no PSH at its end (tcp_push marks only a write without MSG_MORE).
    /// </summary>
    private void NoteWriteForCork(SeqNum start, int length, bool more)
    {
        _naglePush = false;
        if (!more)
        {
            return;
        }
        if (_writeEnds.Count > 0 && _writeEnds.Last == start + length)
        {
            _writeEnds.RemoveLast(); // The write's end, unless a forced push marked it.
        }
        if (_moreEnd != start)
        {
            _moreStart = start;
        }
        _moreEnd = start + length;
    }

    /// <summary>
    /// Whether a last segment shorter than the MSS waits (Linux tcp_nagle_check): corked by TCP_CORK or by this
    /// MSG_MORE write, or under Nagle with Minshall's change (RFC 1122 §4.2.3.4) while a small segment is
    /// unacknowledged; never after TCP_NAGLE_PUSH, except for a MSG_MORE write's own push.
    /// </summary>
    private bool NagleHolds => _moreThisCall || (!_naglePush && (Cork || (!NoDelay && SmallSegmentInFlight)));

    /// <summary>Whether <paramref name="end"/> lies inside the last run of MSG_MORE writes (no PSH there).</summary>
    private bool InMoreWrite(SeqNum end) => end > _moreStart && end <= _moreEnd;
}
