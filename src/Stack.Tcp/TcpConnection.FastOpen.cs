using Stack.Tcp.Wire;

namespace Stack.Tcp;

/// <summary>TCP Fast Open (RFC 7413) on a connection: the server child made from a SYN with a good cookie.</summary>
public sealed partial class TcpConnection
{
    /// <summary>The listener whose Fast Open queue counts this connection until its handshake ends.</summary>
    private TcpListener? _fastOpenListener;

    /// <summary>The cookie our SYN-ACK carries (a client asked, or offered a stale one), resent with it.</summary>
    private FastOpenCookie? _synAckCookie;
    private bool _synAckCookieExperimental;

    /// <summary>This file's fields as a new connection has them (called by <see cref="Open"/>).</summary>
    private void ResetFastOpen()
    {
        (_fastOpenListener, _synAckCookie, _synAckCookieExperimental) = (null, null, false);
        (SynDataAccepted, IsFastOpenChild) = (false, false);
    }

    /// <summary>Data came with the SYN and was taken (server), or the SYN's data was acknowledged (client): Linux TCPI_OPT_SYN_DATA.</summary>
    public bool SynDataAccepted { get; private set; }

    /// <summary>Made by a listener from a Fast Open SYN (Linux TCPI_OPT_TFO_CHILD).</summary>
    public bool IsFastOpenChild { get; private set; }

    /// <summary>Made by Fast Open and still in SYN-RECEIVED: acceptable, readable and writable already.</summary>
    internal bool IsFastOpenPending => _fastOpenListener is not null;

    /// <summary>Takes a Fast Open SYN's data (RFC 7413 §4.2.2) and notes the cookie, if any, the SYN-ACK carries.</summary>
    private void TakeFastOpen(in TcpHeader syn, in TcpOptions options, FastOpenAnswer answer)
    {
        _synAckCookie = answer.Cookie;
        _synAckCookieExperimental = options.FastOpenExperimental;
        if (!answer.Accept)
        {
            return;
        }
        _fastOpenListener = Listener;
        IsFastOpenChild = true;
        StartCongestionControl(); // It may send before the handshake ends: within an initial window.
        ReadOnlySpan<byte> data = syn.Payload;
        if (data.Length == 0)
        {
            return;
        }
        _recv.Insert(_rcv.Nxt, _rcv.Nxt, data, out int taken);
        _rcv.Nxt += taken;
        _rcv.Edge = SeqNum.Max(_rcv.Edge, _rcv.Nxt);
        SynDataAccepted = taken > 0;
        _pending |= TcpEvents.Readable;
    }

    /// <summary>The Fast Open handshake ended (ACKed or failed): the listener's queue has room again.</summary>
    private void EndFastOpen()
    {
        _fastOpenListener?.OnFastOpenChildDone();
        _fastOpenListener = null;
    }

    private void AddSynAckCookie(ref TcpOptions options)
    {
        if (_synAckCookie is { } cookie)
        {
            options.FastOpen = cookie;
            options.FastOpenExperimental = _synAckCookieExperimental;
        }
    }
}
