using System.Net.Sockets;
using Stack.IP;
using Stack.Link.Loop;
using Stack.Link.Time;
using Stack.Tcp;
using TcpListener = Stack.Tcp.TcpListener;

namespace Stack.Sockets;

/// <summary>
/// A receive waiting on the loop for stream data: where to copy it. Completes with the byte count (0 at end of
/// stream). Reused call after call (<see cref="LoopOperation{TResult}"/>).
/// </summary>
internal sealed class StreamReceive(OperationSlot<StreamReceive> home, StreamChannel channel) : LoopOperation<int>
{
    public StreamChannel Channel => channel;

    public Memory<byte> Buffer { get; set; }
    protected override void Clear() => Buffer = default;
    protected override void Release() => home.Put(this);
}

/// <summary>A send waiting on the loop for buffer space: completes when every byte is queued (a blocking BSD send).</summary>
internal sealed class StreamSend(OperationSlot<StreamSend> home, StreamChannel channel) : LoopOperation<int>
{
    public StreamChannel Channel => channel;

    public ReadOnlyMemory<byte> Buffer { get; set; }

    /// <summary>Bytes already taken by the connection's send buffer.</summary>
    public int Queued { get; set; }

    protected override void Clear()
    {
        Buffer = default;
        Queued = 0;
    }

    protected override void Release() => home.Put(this);
}

/// <summary>
/// An accept waiting for a completed connection; completes with the new socket's loop half. Reused accept after
/// accept, as sends and receives are (<see cref="LoopOperation{TResult}"/>): an iterative server's accepts cost no
/// task each.
/// </summary>
internal sealed class StreamAccept(OperationSlot<StreamAccept> home, StreamChannel channel) : LoopOperation<StreamChannel>
{
    public StreamChannel Channel => channel;

    protected override void Clear()
    {
    }

    protected override void Release() => home.Put(this);
}

/// <summary>
/// The loop's half of a stream <see cref="StackSocket"/>: a TCP listener or a TCP connection, and the calls
/// waiting on it. Every method here runs on the event loop; the socket posts to it and awaits the completion.
/// <see cref="TcpConnection.Notify"/> and <see cref="TcpListener.AcceptReady"/> complete the waiters.
/// </summary>
internal sealed class StreamChannel
{
    private readonly TcpLayer _tcp;
    private readonly EventLoop _loop;
    // The lines of calls that wait (most sends and receives complete at once without taking a place in one).
    // Structs changed in place: never copied out of these fields.
    private OperationLine<StreamReceive> _receives;
    private OperationLine<StreamSend> _sends;
    private OperationLine<StreamAccept> _accepts;
    private StreamSend? _sending;
    private TaskCompletionSource? _connect;
    private TaskCompletionSource? _closed;
    private SocketError? _releasedError; // The connection's error when the channel let it go (CheckClosed).

    public StreamChannel(TcpLayer tcp, EventLoop loop)
    {
        _tcp = tcp;
        _loop = loop;
    }

    /// <summary>An accepted connection's channel (made on the loop, so no event is missed).</summary>
    private StreamChannel(TcpLayer tcp, EventLoop loop, TcpConnection connection)
        : this(tcp, loop) => Attach(connection);

    public TcpListener? Listener { get; private set; }
    public TcpConnection? Connection { get; private set; }
    public bool IsClosed { get; private set; }

    /// <summary>
    /// The two ends of a connect that succeeded, set on the loop before the connect's completion, so the
    /// connecting thread reads them without a trip to the loop (the connection may be gone by then).
    /// </summary>
    public (TcpEndPoint Local, TcpEndPoint Remote) ConnectedEnds { get; private set; }

    public void Listen(IpAddress address, ushort port, int backlog, TcpConfig config)
    {
        if (IsClosed) throw new StackSocketException(SocketError.OperationAborted, "Listen");
        if (Connection is not null) throw new StackSocketException(SocketError.IsConnected, "Listen");
        if (Listener is not null) return; // listen() twice only changes the backlog on Linux; ours stays.
        try
        {
            Listener = _tcp.Listen(address, port, backlog, config);
        }
        catch (SocketException e)
        {
            throw new StackSocketException(e.SocketErrorCode, $"Listen on port {port}");
        }
        Listener.AcceptReady = _ => PumpAccepts();
    }

    /// <summary>connect(): the SYN goes now; <paramref name="done"/> completes on ESTABLISHED or fails with the connection's error.</summary>
    public void Connect(IpAddress? local, ushort localPort, IpAddress remote, ushort remotePort, TcpConfig config,
        TaskCompletionSource done, Instant now)
    {
        if (IsClosed)
        {
            done.TrySetException(new StackSocketException(SocketError.OperationAborted, "Connect"));
            return;
        }
        if (Connection is not null || Listener is not null)
        {
            done.TrySetException(new StackSocketException(Listener is null ? SocketError.IsConnected : SocketError.InvalidArgument, "Connect"));
            return;
        }
        TcpConnection c;
        try
        {
            c = _tcp.Connect(local, localPort, remote, remotePort, config, now);
        }
        catch (SocketException e)
        {
            done.TrySetException(new StackSocketException(e.SocketErrorCode, $"Connect to {new TcpEndPoint(remote, remotePort)}"));
            return;
        }
        _connect = done;
        Attach(c);
        OnEvents(c, TcpEvents.None);
    }

    /// <summary>A cancelled connect abandons the connection attempt (as closing a connecting socket does).</summary>
    public void CancelConnect(TaskCompletionSource done, Instant now, CancellationToken token)
    {
        if (_connect != done) return;
        _connect = null;
        Connection?.Abort(now);
        done.TrySetCanceled(token);
    }

    public void StartAccept(StreamAccept op)
    {
        if (IsClosed || Listener is null)
        {
            op.Fail(IsClosed
                ? new StackSocketException(SocketError.OperationAborted, "Accept")
                : new StackSocketException(SocketError.InvalidArgument, "Accept before Listen"));
            return;
        }
        _accepts.AddLast(op);
        PumpAccepts();
    }

    public void CancelAccept(StreamAccept op, short version, CancellationToken token)
    {
        if (op.IsPending(version) && _accepts.Remove(op)) op.Fail(new OperationCanceledException(token));
    }

    public void StartReceive(StreamReceive op)
    {
        if (FailIfUnusable(op, "Receive")) return;
        _receives.AddLast(op);
        PumpReceives();
    }

    public void CancelReceive(StreamReceive op, short version, CancellationToken token)
    {
        if (op.IsPending(version) && _receives.Remove(op)) op.Fail(new OperationCanceledException(token));
    }

    public void StartSend(StreamSend op, Instant now)
    {
        if (FailIfUnusable(op, "Send")) return;
        // Nobody ahead in line: a send that fits the buffer completes without taking a place in it. It is the
        // one being sent meanwhile, so a Notify raised inside the connection's Send pumps it as it would the first
        // in line (a transmit that fails there fails this send).
        if (_sends.Count == 0)
        {
            _sending = op;
            bool done = TrySend(op, now);
            _sending = null;
            if (done) return;
        }
        _sends.AddLast(op);
    }

    /// <summary>A cancelled send leaves the line; the bytes it already queued stay queued (see <see cref="StreamSend.Queued"/>).</summary>
    public void CancelSend(StreamSend op, short version, CancellationToken token)
    {
        if (op.IsPending(version) && _sends.Remove(op)) op.Fail(new OperationCanceledException(token));
    }

    public void Shutdown(SocketShutdown how, Instant now)
    {
        if (Connection is not { } c) throw new StackSocketException(SocketError.NotConnected, "Shutdown");
        c.Shutdown(how, now);
        if (_receives.Count > 0) PumpReceives();
    }

    /// <summary>
    /// close(): graceful (queued data, then a FIN; the connection finishes on its own) or, with
    /// <paramref name="abort"/> (SO_LINGER 0), a RST. Waiting calls fail with OperationAborted.
    /// </summary>
    public void Close(bool abort, Instant now)
    {
        if (IsClosed) return;
        IsClosed = true;
        // Waiters fail first: closing raises events that would otherwise complete them with end of stream. The
        // exception is made only when someone waits: a close with nothing pending (nearly all) allocates none.
        if (_receives.Count + _sends.Count + _accepts.Count > 0 || _connect is not null)
        {
            FailAll(new StackSocketException(SocketError.OperationAborted, "The socket was closed"));
        }
        Listener?.Close(now);
        if (Connection is { } c && c.State != TcpState.Closed)
        {
            if (abort) c.Abort(now);
            else c.Close(now);
        }
        CheckClosed();
    }

    /// <summary>Completes <paramref name="done"/> when our FIN is acknowledged (or the connection is gone).</summary>
    public void WhenFinAcknowledged(TaskCompletionSource done)
    {
        _closed = done;
        CheckClosed();
    }

    public SocketError PendingError => Connection?.Error ?? _releasedError ?? SocketError.Success;

    private void Attach(TcpConnection c)
    {
        Connection = c;
        c.Notify = OnEvents;
    }

    private void OnEvents(TcpConnection c, TcpEvents events)
    {
        if (_connect is { } connect)
        {
            if (c.Error is { } error)
            {
                _connect = null;
                connect.TrySetException(new StackSocketException(error, $"Connect to {c.RemoteEndPoint}"));
            }
            else if (c.State is not (TcpState.SynSent or TcpState.SynReceived))
            {
                _connect = null;
                if (c.State == TcpState.Closed) connect.TrySetException(new StackSocketException(SocketError.OperationAborted, "Connect"));
                else
                {
                    ConnectedEnds = (c.LocalEndPoint, c.RemoteEndPoint); // Before the completion publishes them.
                    connect.TrySetResult();
                }
            }
        }
        if (_receives.Count > 0) PumpReceives();
        if (_sends.Count > 0 || _sending is not null) PumpSends(_loop.Now);
        CheckClosed();
    }

    private void PumpAccepts()
    {
        while (_accepts.First is { } first && Listener is { } l && l.TryAccept(out var c))
        {
            _accepts.Remove(first);
            first.Succeed(new StreamChannel(_tcp, _loop, c));
        }
    }

    // Both pumps remove the operation they served, not the line's first: the connection's Notify can run inside
    // the Receive or Send they call (a fault there raises Error at once) and pump the same line first. The
    // operation then completed and left the line in there (Remove is then false), and its caller may already be
    // reusing it for the next call: the version taken before the call tells. It cannot be back in the line yet:
    // its caller's continuation never runs inline (RunContinuationsAsynchronously), so its next call comes later.
    private void PumpReceives()
    {
        while (_receives.First is { } first && TryComplete(first)) _receives.Remove(first);
    }

    /// <summary>Hands data, end of stream or the connection's error to <paramref name="op"/>; false to keep waiting.</summary>
    private bool TryComplete(StreamReceive op)
    {
        var c = Connection!;
        short version = op.Version;
        try
        {
            int n = c.Receive(op.Buffer.Span, _loop.Now);
            if (!op.IsPending(version)) return true;
            // A connection closed without a FIN or an error (aborted here) has nothing more to give: end of stream.
            if (n > 0 || op.Buffer.Length == 0 || c.IsEndOfStream || c.State == TcpState.Closed)
            {
                op.Succeed(n);
                return true;
            }
            return false;
        }
        catch (SocketException e)
        {
            if (op.IsPending(version)) op.Fail(new StackSocketException(e.SocketErrorCode, "Receive"));
            return true;
        }
    }

    private void PumpSends(Instant now)
    {
        if (_sending is { } sending)
        {
            if (!TrySend(sending, now)) return;
            _sending = null;
        }
        while (_sends.First is { } first && TrySend(first, now)) _sends.Remove(first);
    }

    /// <summary>Queues what of <paramref name="op"/>'s bytes the send buffer takes; false to wait for Writable.</summary>
    private bool TrySend(StreamSend op, Instant now)
    {
        var c = Connection!;
        short version = op.Version;
        try
        {
            while (op.IsPending(version) && op.Queued < op.Buffer.Length)
            {
                int n = c.Send(op.Buffer.Span[op.Queued..], now);
                if (n == 0) return false;
                if (op.IsPending(version)) op.Queued += n;
            }
            if (op.IsPending(version)) op.Succeed(op.Queued);
        }
        catch (SocketException e)
        {
            if (op.IsPending(version)) op.Fail(new StackSocketException(e.SocketErrorCode, "Send"));
        }
        return true;
    }

    private bool FailIfUnusable(LoopOperation<int> op, string what)
    {
        if (IsClosed) op.Fail(new StackSocketException(SocketError.OperationAborted, what));
        else if (Connection is null) op.Fail(new StackSocketException(SocketError.NotConnected, what));
        else return false;
        return true;
    }

    private void FailAll(StackSocketException error)
    {
        while (_receives.First is { } receive)
        {
            _receives.Remove(receive);
            receive.Fail(error);
        }
        while (_sends.First is { } send)
        {
            _sends.Remove(send);
            send.Fail(error);
        }
        while (_accepts.First is { } accept)
        {
            _accepts.Remove(accept);
            accept.Fail(error);
        }
        if (_connect is { } connect)
        {
            _connect = null;
            connect.TrySetException(error);
        }
    }

    private void CheckClosed()
    {
        if (_closed is not null && (Connection is not { } c || c.State is TcpState.Closed or TcpState.TimeWait or TcpState.FinWait2))
        {
            _closed.TrySetResult();
            _closed = null;
        }
        if (IsClosed && _closed is null && Connection is { State: TcpState.Closed or TcpState.TimeWait } done)
        {
            // The socket is closed and the connection has nothing left to tell it: let the stack keep only
            // TIME-WAIT's compact record, and take the object back for a later connection (TcpConnection.Release).
            // From here the object may be another connection's: the channel keeps only its error.
            _releasedError = done.Error;
            Connection = null;
            done.Release();
        }
    }
}
