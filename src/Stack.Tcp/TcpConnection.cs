using System.Net.Sockets;
using Stack.IP;
using Stack.Link.Time;
using Stack.Tcp.Buffers;
using Stack.Tcp.Diagnostics;
using Stack.Tcp.Rto;
using Stack.Tcp.Timers;

namespace Stack.Tcp;

/// <summary>
/// One TCP connection (RFC 9293): the eleven states, the send and receive sequence variables, its buffers and
/// timers. Sans-I/O: the <see cref="TcpLayer"/> hands it segments and the time; it answers through the layer's
/// output. Every member is for the event loop thread only.
/// </summary>
/// <remarks>
/// <para>The socket layer's view: <see cref="Send(ReadOnlySpan{byte}, Instant)"/> and <see cref="Receive"/> never block — they return 0 when
/// the buffer is full or empty (check <see cref="IsEndOfStream"/> on a 0 from Receive) and throw
/// <see cref="SocketException"/> with <see cref="Error"/> once the connection has failed. <see cref="Notify"/>
/// is called once at the end of each input, timer or API call with the <see cref="TcpEvents"/> that happened,
/// so the socket layer completes its waiters there. Handlers may call back into the connection.</para>
/// <para>State changes all go through <see cref="SetState"/>, which records the transition, logs it and raises
/// <see cref="StateChanged"/> at once (handlers of that event must not call back in).</para>
/// <para>An exception thrown inside an entry point (a handler's, or a bug of ours) does not escape: the connection
/// faults (RST, CLOSED, <see cref="Error"/> ConnectionAborted, <see cref="TcpStatistics.Faulted"/>; see
/// TcpConnection.Fault.cs) and the rest of the layer goes on.</para>
/// </remarks>
public sealed partial class TcpConnection
{
    private readonly TcpLayer _layer;
    private TcpConfig _config = null!; // Only the keep-alive settings, the connect and user timeouts change after Open.
    private readonly SendBuffer _send;
    private readonly ReceiveBuffer _recv;
    private readonly RtoEstimator _rto = new();
    private ConnectionTimers _timers;
    private TcpState _state;

    private SendSequence _snd;
    private ReceiveSequence _rcv;
    private NegotiatedOptions _opt;
    private uint _tsOffset;
    private int _mss; // The payload of a full segment now: peer MSS and path MTU, less timestamps (EffectiveMss).

    private bool _finQueued;
    private bool _finReceived;
    private bool _readShutdown;
    private bool _userClosed;
    private bool _ackPending;
    private int _retries;
    private Instant _connectStart;
    private Instant _timeoutsSince;
    private int _persistBackoff;
    private SocketError? _error;
    private SocketError? _softError;
    private TcpEvents _pending;
    private int _depth;

    internal TcpConnection(TcpLayer layer, TcpConfig config, FourTuple tuple, bool passive, uint tsOffset)
    {
        _layer = layer;
        _send = new SendBuffer(); // Sized by Open, as a pooled connection's are: neither holds a ring until used.
        _recv = new ReceiveBuffer();
        Open(config, tuple, passive, tsOffset);
    }

    /// <summary>
    /// Starts a life: a new connection's first, or a pooled one's next (TcpConnection.Pool.cs). Every field the
    /// connection has is set here or in its file's Reset method, so the two cannot drift apart.
    /// </summary>
    internal void Open(TcpConfig config, FourTuple tuple, bool passive, uint tsOffset)
    {
        config.Validate();
        _config = config;
        Tuple = tuple;
        IsPassive = passive;
        _state = passive ? TcpState.Listen : TcpState.Closed;
        _timers = default;
        _snd = default;
        _rcv = default;
        _opt = new NegotiatedOptions { PeerMss = 536 };
        _tsOffset = tsOffset;
        _mss = _opt.PeerMss;
        _rcv.Mss = 536; // RFC 9293's default MSS, where Linux's tcp_initialize_rcv_mss starts too.
        (_finQueued, _finReceived, _readShutdown, _userClosed, _ackPending) = (false, false, false, false, false);
        (_retries, _persistBackoff, _depth) = (0, 0, 0);
        (_connectStart, _timeoutsSince) = (default, default);
        (_error, _softError, _pending) = (null, null, TcpEvents.None);
        Listener = null;
        HoldsPortExclusively = false; // Not in the table yet: AddConnection counts it.
        ScheduledAt = Instant.Never;
        LastTransition = default;
        StateChanged = null;
        Notify = null;
        _send.ResetToNew(RingCapacity(config));
        _recv.ResetToNew(config.ReceiveBufferSize);
        _rto.ResetToNew(config.InitialRto, config.MinRto, config.MaxRto, config.RtoFormula);
        NoDelay = config.NoDelay;
        NotSentLowat = config.NotSentLowat;
        ResetAcks();
        ResetChrono();
        ResetCompletions();
        ResetCork(config.Cork);
        ResetCwndValidation();
        ResetEcn();
        ResetFastOpen();
        ResetFastOpenClient();
        ResetFault();
        ResetInfo();
        ResetKeepAlive();
        ResetLossState();
        ResetMtuProbe();
        ResetOutput();
        ResetPacing();
        ResetPush();
        ResetRateLimits();
        ResetReceiveWindow();
        ResetRecovery();
        ResetSendMemory(config);
        ResetSkbEnds();
        ResetTimeWait();
        ResetTimers();
        ResetUndo();
        ResetUrgent();
        ResetPool();
    }

    internal FourTuple Tuple { get; private set; }

    /// <summary>Counted by the layer as holding its port even against SO_REUSEADDR (TcpLayer.PortIndex.cs); the layer's to set.</summary>
    internal bool HoldsPortExclusively { get; set; }

    /// <summary>The listener whose SYN made this connection, until it is accepted or gone.</summary>
    internal TcpListener? Listener { get; set; }

    /// <summary>The deadline under which the layer's timer queue holds this connection (see TcpLayer).</summary>
    internal Instant ScheduledAt { get; set; }

    internal Instant NextDeadline => _timers.Next;

    /// <summary>
    /// TCP_NODELAY (from <see cref="TcpConfig.NoDelay"/>): no Nagle delay for small segments. Set it with
    /// <see cref="SetNoDelay"/> to push what waits, as Linux's setsockopt does.
    /// </summary>
    public bool NoDelay { get; set; }

    /// <summary>TCP_NOTSENT_LOWAT, settable at any time (from <see cref="TcpConfig.NotSentLowat"/>).</summary>
    public long NotSentLowat { get; set; }

    /// <summary>Made by a listener (passive open), not by Connect.</summary>
    public bool IsPassive { get; private set; }

    public TcpState State => _state;

    /// <summary>The last state change: (from, to, cause).</summary>
    public TcpTransition LastTransition { get; private set; }

    /// <summary>Raised inside every state change; handlers must not call back into the connection.</summary>
    public event Action<TcpConnection, TcpTransition>? StateChanged;

    /// <summary>The socket layer's hook, called on the loop thread after each input, timer or API call with what happened.</summary>
    public Action<TcpConnection, TcpEvents>? Notify { get; set; }

    public TcpEndPoint LocalEndPoint => new(Tuple.LocalAddress, Tuple.LocalPort);
    public TcpEndPoint RemoteEndPoint => new(Tuple.RemoteAddress, Tuple.RemotePort);

    /// <summary>
    /// The pending error: ConnectionRefused, ConnectionReset, TimedOut, HostUnreachable or NetworkUnreachable, or
    /// ConnectionAborted when an unexpected exception failed the connection (<see cref="IsFaulted"/>).
    /// Sticky: Send and Receive keep failing with it.
    /// </summary>
    public SocketError? Error => _error;

    /// <summary>The last ICMP soft error (RFC 1122 §4.2.3.9), reported if the connection then times out.</summary>
    public SocketError? SoftError => _softError;

    /// <summary>The largest payload we put in a segment now (peer MSS and path MTU, less option space).</summary>
    public int EffectiveMss => _mss;

    /// <summary>The MSS we announce (Linux's advmss): the interface MTU's, or TCP_MAXSEG when lower.</summary>
    public int AdvertisedMss => AnnouncedMss;

    /// <summary>The peer's segment size as seen in its data (Linux's rcv_mss estimate; 536 before any data).</summary>
    public int ReceiveMss => _rcv.Mss;

    /// <summary>The peer's MSS option, or the RFC 9293 §3.7.1 default (536 / 1220).</summary>
    public int PeerMss => _opt.PeerMss;

    /// <summary>RFC 7323 window scaling is on: (shift we apply to the peer's window, shift the peer applies to ours).</summary>
    public (int Send, int Receive) WindowScale => (_snd.Wscale, _rcv.Wscale);

    /// <summary>RFC 7323 timestamps are on for this connection.</summary>
    public bool TimestampsEnabled => _opt.Timestamps;

    /// <summary>The send window the peer last offered, scaled (SND.WND).</summary>
    public long SendWindow => _snd.Wnd;

    public SeqNum Iss => _snd.Iss;
    public SeqNum Irs => _rcv.Irs;
    public SeqNum SndUna => _snd.Una;
    public SeqNum SndNxt => _snd.Nxt;
    public SeqNum RcvNxt => _rcv.Nxt;

    /// <summary>The retransmission timeout now in force, backoff included.</summary>
    public TimeSpan Rto => _rto.Rto;

    /// <summary>SRTT (RFC 6298 §2), null before the first RTT sample.</summary>
    public TimeSpan? SmoothedRtt => _rto.SmoothedRtt;

    /// <summary>RTTVAR (RFC 6298 §2), null before the first RTT sample.</summary>
    public TimeSpan? RttVariance => _rto.RttVariance;

    /// <summary>Retransmission timeouts backed off since the last new acknowledgment (Linux's icsk_backoff).</summary>
    public int RtoBackoffs => _rto.BackoffCount;

    /// <summary>Bytes the application can read now.</summary>
    public int Readable => _recv.Readable;

    /// <summary>Bytes in the send buffer: written and not yet acknowledged.</summary>
    public int Unacknowledged => _send.Count;

    /// <summary>Bytes written and never sent yet (Linux's write_seq - snd_nxt, as SIOCOUTQNSD reports it).</summary>
    public int NotSent => Math.Max(0, _snd.BufStart + _send.Count - _snd.Nxt);

    /// <summary>Receive would return data, end of stream or an error without waiting.</summary>
    public bool CanRead => _recv.Readable > 0 || IsEndOfStream || _error is not null;

    /// <summary>
    /// Send would accept bytes now (or fail at once with the error): the tail skb has room, or Linux's
    /// sk_stream_memory_free holds (see TcpConnection.SendMemory.cs).
    /// </summary>
    public bool CanWrite => _error is not null
        || (WriteAllowed && _send.Free > 0 && (TailSkbRoom(SizeGoal()) > 0 || SendMemoryFree(0)));

    /// <summary>
    /// What poll reports as POLLOUT, and when a writer that found the buffer full is woken: Linux's
    /// sk_stream_is_writeable, a third of the buffer free and unsent bytes below half of <see cref="NotSentLowat"/>
    /// (so a writer woken finds room for a fair amount).
    /// </summary>
    public bool IsWritable => _error is not null || (WriteAllowed && _send.Free > 0 && SendSpaceToWake);

    /// <summary>The peer's FIN arrived, or reading was shut down, and every byte queued has been read.</summary>
    public bool IsEndOfStream => (_finReceived || _readShutdown) && _recv.Readable == 0;

    private bool WriteAllowed => !_finQueued && _state is TcpState.SynSent or TcpState.SynReceived
        or TcpState.Established or TcpState.CloseWait;

    /// <summary>
    /// Copies as much of <paramref name="data"/> as fits into the send buffer and sends what the windows allow.
    /// Returns the bytes taken: 0 when the buffer is full. Allowed from SYN-SENT on (data waits for the handshake).
    /// </summary>
    /// <exception cref="SocketException">The connection failed (<see cref="Error"/>), or writing was shut down (Shutdown).</exception>
    public int Send(ReadOnlySpan<byte> data, Instant now) => Send(data, now, TcpSendFlags.None);

    /// <summary>
    /// <see cref="Send(ReadOnlySpan{byte}, Instant)"/> with flags. <see cref="TcpSendFlags.EndOfRecord"/> marks the
    /// end of the data taken, and only when all of <paramref name="data"/> was taken (Linux marks the skb only
    /// once the whole message is in).
    /// </summary>
    public int Send(ReadOnlySpan<byte> data, Instant now, TcpSendFlags flags)
    {
        ThrowIfFailed();
        if (!WriteAllowed)
        {
            throw new SocketException((int)SocketError.Shutdown);
        }
        if (_synDeferred)
        {
            return SendWithSyn(data, now);
        }
        Enter();
        SeqNum start = WriteSeq;
        bool more = (flags & TcpSendFlags.More) != 0;
        _moreThisCall = more; // Segments sent while this call runs are corked by its MSG_MORE.
        try
        {
            int n = WriteSkbs(data, now);
            if (n > 0)
            {
                if ((flags & TcpSendFlags.EndOfRecord) != 0 && n == data.Length)
                {
                    CloseSkb(WriteSeq);
                }
                NoteWriteForCork(start, n, more);
                RestartAfterIdle(now);
            }
            return n;
        }
        finally
        {
            try
            {
                Leave(now);
            }
            finally
            {
                _moreThisCall = false;
            }
        }
    }

    /// <summary>
    /// Moves received bytes into <paramref name="buffer"/>; returns how many. 0 means nothing to read now, or end
    /// of stream when <see cref="IsEndOfStream"/> is true. Data received before a RST can still be read; then the
    /// error is thrown.
    /// </summary>
    /// <exception cref="SocketException">The connection failed and no data is left.</exception>
    public int Receive(Span<byte> buffer, Instant now) => ReceiveCore(buffer, now, stopAtMark: false);

    private int ReceiveCore(Span<byte> buffer, Instant now, bool stopAtMark)
    {
        if (_readShutdown && _recv.Readable == 0)
        {
            // Linux tcp_recvmsg: after SHUT_RD a read still returns what is queued, and 0 only when nothing is.
            return 0;
        }
        if (_recv.Readable == 0)
        {
            // Linux tcp_recvmsg tests SOCK_DONE (the peer's FIN is in) before sk_err: once the FIN has arrived a
            // read returns end of stream, even after a RST; before it, the RST's error.
            if (!_finReceived)
            {
                ThrowIfFailed();
            }
            return 0;
        }
        int n = ReadAroundUrgentMark(buffer, stopAtMark);
        ReleaseBuffersWhenDone();
        if (n > 0 && _state is not (TcpState.Closed or TcpState.TimeWait) && WindowUpdateWorthSending())
        {
            // The window opened enough to tell the peer (Linux tcp_cleanup_rbuf: the window at least doubled).
            _ackPending = true;
            Enter();
            Leave(now);
        }
        return n;
    }

    /// <summary>
    /// Half-close (seed §2.6). Send: a FIN goes after the queued data and the connection can still receive.
    /// Receive: Receive returns 0 once what is queued has been read (nothing is sent; arriving data is still
    /// acknowledged and readable, as Linux's tcp_recvmsg).
    /// </summary>
    public void Shutdown(SocketShutdown how, Instant now)
    {
        bool outermost = Enter();
        try
        {
            if (how is SocketShutdown.Receive or SocketShutdown.Both)
            {
                _readShutdown = true;
            }
            if (how is SocketShutdown.Send or SocketShutdown.Both)
            {
                QueueFin("shutdown(SHUT_WR)");
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

    /// <summary>
    /// close(): the queued data then a FIN, after which the connection finishes on its own (FIN-WAIT-2 limited by
    /// <see cref="TcpConfig.FinWait2Timeout"/>, then TIME-WAIT). Unread received data makes it a RST instead
    /// (RFC 2525 §2.17, as Linux). Closing in SYN-SENT just forgets the connection.
    /// </summary>
    public void Close(Instant now)
    {
        bool outermost = Enter();
        try
        {
            _userClosed = true;
            _readShutdown = true;
            if (_recv.Readable > 0 && _state is not (TcpState.Closed or TcpState.SynSent))
            {
                ResetAndClose(now, "close with unread data");
            }
            else if (_state == TcpState.SynSent)
            {
                SetState(TcpState.Closed, "close in SYN-SENT");
            }
            else
            {
                QueueFin("close");
                if (_state == TcpState.FinWait2 && !_timers.IsArmed(TimerKind.FinWait2))
                {
                    _timers.Arm(TimerKind.FinWait2, now + _config.FinWait2Timeout); // Orphaned now: TCP_LINGER2.
                }
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

    /// <summary>Abortive close (SO_LINGER 0): a RST if the connection is synchronized, then CLOSED at once.</summary>
    public void Abort(Instant now)
    {
        bool outermost = Enter();
        try
        {
            _userClosed = true;
            if (_state != TcpState.Closed)
            {
                ResetAndClose(now, "abort");
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

    private void QueueFin(string cause)
    {
        if (_finQueued || _state is TcpState.Closed)
        {
            return;
        }
        switch (_state)
        {
            case TcpState.SynSent:
                // RFC 9293 §3.10.4: queue the FIN for after ESTABLISHED is reached.
                _finQueued = true;
                break;
            case TcpState.SynReceived:
            case TcpState.Established:
                _finQueued = true;
                SetState(TcpState.FinWait1, cause);
                break;
            case TcpState.CloseWait:
                _finQueued = true;
                SetState(TcpState.LastAck, cause);
                break;
        }
    }

    private void ResetAndClose(Instant now, string cause)
    {
        if (ResetReachesPeer)
        {
            // Linux tcp_send_active_reset sends it as any segment of the connection: with timestamps when they
            // are on (RFC 7323 §3.2 allows them on a RST).
            var options = default(Wire.TcpOptions);
            if (_opt.Timestamps)
            {
                options.HasTimestamps = true;
                options.TsVal = TsNow(now);
                options.TsEcr = _opt.TsRecent;
            }
            _layer.SendReset(Tuple, _snd.Nxt, _rcv.Nxt, Wire.TcpFlags.Rst | Wire.TcpFlags.Ack, now, options);
        }
        _send.Clear();
        ForgetPushMarks();
        _recv.Clear();
        SetState(TcpState.Closed, cause);
    }

    /// <summary>A RST is owed to the peer on an abort: it knows our sequence numbers and is not done with us.</summary>
    private bool ResetReachesPeer =>
        _state is not (TcpState.SynSent or TcpState.Listen or TcpState.Closed or TcpState.TimeWait);

    private void ThrowIfFailed()
    {
        if (_error is { } e)
        {
            throw new SocketException((int)e);
        }
    }

    /// <summary>Fails the connection with <paramref name="error"/> and closes it.</summary>
    private void Fail(SocketError error, string cause)
    {
        _error = error;
        _pending |= TcpEvents.Error | TcpEvents.Readable | TcpEvents.Writable;
        _layer.Statistics.Failed++;
        _send.Clear();
        ForgetPushMarks();
        OnSendBufferPurged();
        SetState(TcpState.Closed, cause);
    }

    /// <summary>The one place the state changes (RFC 9293 §3.3.2): records, logs, raises StateChanged.</summary>
    private void SetState(TcpState to, string cause)
    {
        TcpState from = _state;
        if (from == to)
        {
            return;
        }
        _state = to;
        _layer.Statistics.OnTransition(from, to);
        LastTransition = new TcpTransition(from, to, cause);
        TcpLog.StateChanged(_layer.Log, Tuple, from, to, cause);
        _pending |= TcpEvents.StateChanged;
        switch (to)
        {
            case TcpState.Established:
                _layer.Statistics.Established++;
                // The SYN (or SYN-ACK) was delivered; Linux counts it in tcp_ack or, for a SYN-ACK, in
                // tcp_rcv_state_process, and starts lrcvtime and rcv_tstamp with the connection.
                _deliveredSegments++;
                _lastDataReceivedAt = _lastAckReceivedAt = _lastHeard; // Established is reached on an input.
                StartCwndValidation(_lastHeard);
                _pending |= TcpEvents.Connected | TcpEvents.Writable;
                if (IsFastOpenChild && from == TcpState.SynReceived)
                {
                    FeedSynRtt(); // Its congestion control runs since the SYN (Linux: tcp_init_transfer once).
                }
                else
                {
                    StartCongestionControl();
                }
                ExpandSendBuffer(); // Linux tcp_init_buffer_space.
                if (from == TcpState.SynReceived && IsPassive)
                {
                    _lastInvalidReply = null; // Linux: the full socket does not inherit its request's last_oow_ack_time.
                }
                break;
            case TcpState.TimeWait:
                _lastInvalidReply = null; // Linux: a TIME-WAIT socket starts with tw_last_oow_ack_time = 0.
                _layer.OnTimeWaitEntered(this); // SO_REUSEADDR may bind beside it from now on.
                break;
            case TcpState.CloseWait:
                _pending |= TcpEvents.Readable;
                break;
            case TcpState.Closed:
                DropTimeWaitRecord();
                _timers.CancelAll();
                _segments.Clear();
                _pending |= TcpEvents.Closed | TcpEvents.Readable | TcpEvents.Writable;
                _layer.OnClosed(this);
                EndFastOpen();
                Listener?.OnChildClosed(this);
                break;
        }
        StateChanged?.Invoke(this, LastTransition);
    }

    /// <summary>True while the send or receive buffer holds a rented ring (for tests and diagnostics).</summary>
    internal bool HoldsBuffers => _send.HoldsMemory || _recv.HoldsMemory;

    /// <summary>
    /// In TIME-WAIT or CLOSED nothing more is sent or received: the buffers go back to the pool once the
    /// application has read what is left (as Linux's TIME-WAIT mini-socket keeps no buffers).
    /// </summary>
    private void ReleaseBuffersWhenDone()
    {
        if (_state is TcpState.TimeWait or TcpState.Closed)
        {
            _send.Release();
            _recv.Release();
            _segments.ReleaseWhenEmpty();
        }
    }

    public override string ToString() => $"{Tuple} {_state}";
}
