using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Stack.IP;
using Stack.Link.Time;
using Stack.Sockets.Hosting;
using Stack.Tcp;
using Stack.Tcp.Congestion;

namespace Stack.Sockets;

/// <summary>
/// A stream (TCP) <see cref="StackSocket"/>: requests to its <see cref="StreamChannel"/> on the loop, which holds
/// a listener or a connection. Options are kept here as a <see cref="TcpConfig"/> the connection is made with;
/// those Linux lets change on an open connection (keepalive, TCP_NODELAY) reach it on the loop. Sends and
/// receives (and a listener's accepts) each reuse one operation (<see cref="LoopOperation{TResult}"/>); a connect costs one task.
/// </summary>
internal sealed class StreamSocketCore : SocketCore
{
    private readonly StreamChannel _channel;
    private readonly OperationSlot<StreamReceive> _receives = new();
    private readonly OperationSlot<StreamSend> _sends = new();
    private OperationSlot<StreamAccept>? _accepts;
    // Cancellation reaches the channel through the operation: one delegate for every socket, none made per socket.
    private static readonly Action<LoopOperation<int>, short, CancellationToken> CancelReceive =
        static (op, version, token) => ((StreamReceive)op).Channel.CancelReceive((StreamReceive)op, version, token);
    private static readonly Action<LoopOperation<int>, short, CancellationToken> CancelSend =
        static (op, version, token) => ((StreamSend)op).Channel.CancelSend((StreamSend)op, version, token);
    private static readonly Action<LoopOperation<StreamChannel>, short, CancellationToken> CancelAccept =
        static (op, version, token) => ((StreamAccept)op).Channel.CancelAccept((StreamAccept)op, version, token);
    private TcpConfig _config;
    private LingerOption? _linger;
    private IpAddress? _bindAddress;
    private ushort _bindPort;
    private volatile bool _opened;
    // The connect call's arguments, for the loop to read (StartConnect): set before the post, which publishes them.
    private IpAddress _connectTo;
    private ushort _connectPort;
    private TaskCompletionSource? _connectDone;

    public StreamSocketCore(StackInstance stack, AddressFamily family)
        : this(stack, family, new StreamChannel(stack.Tcp, stack.Loop), stack.Tcp.DefaultConfig)
    {
    }

    private StreamSocketCore(StackInstance stack, AddressFamily family, StreamChannel channel, TcpConfig config) : base(stack, family)
    {
        _channel = channel;
        _config = config;
    }

    public override SocketType SocketType => SocketType.Stream;
    public override int ReceiveBufferSize => _config.ReceiveBufferSize;
    public override int SendBufferSize => _config.SendBufferSize;
    public override bool ReuseAddress => _config.ReuseAddress;
    public override TcpConnection? Connection => _channel.Connection;

    public override bool NoDelay
    {
        get => _config.NoDelay;
        set => SetOption(SocketOptionLevel.Tcp, SocketOptionName.NoDelay, value ? 1 : 0);
    }

    public override bool Cork
    {
        get => _config.Cork;
        set
        {
            ObjectDisposedException.ThrowIf(Disposed, this);
            _config = _config with { Cork = value };
            OnLoop(static (now, s) =>
            {
                if (s._channel.Connection is { } c) c.SetCork(s._config.Cork, now);
            }, this);
        }
    }

    public override LingerOption? LingerState
    {
        get => _linger is null ? null : new LingerOption(_linger.Enabled, _linger.LingerTime);
        set
        {
            ObjectDisposedException.ThrowIf(Disposed, this);
            _linger = value is null ? null : new LingerOption(value.Enabled, value.LingerTime);
        }
    }

    public override CongestionControlKind CongestionControl
    {
        get => _config.CongestionControl;
        set
        {
            ObjectDisposedException.ThrowIf(Disposed, this);
            RequireUnopened("CongestionControl");
            _config = _config with { CongestionControl = value };
        }
    }

    public override void Bind(IPEndPoint localEP)
    {
        var (address, port) = Check(localEP);
        if (_bindAddress is not null || _opened)
            throw new StackSocketException(SocketError.InvalidArgument, $"Bind to {localEP}");
        bool ours = address.IsUnspecified || Invoke(_ => Stack.Host.IsLocal(address));
        if (!ours) throw new StackSocketException(SocketError.AddressNotAvailable, $"Bind to {localEP}");
        // The port is claimed by Listen or Connect (the TCP layer has no separate bind): a conflict is reported
        // there. Port 0 is chosen now, as Linux's bind does, so LocalEndPoint (getsockname) shows it at once.
        if (port == 0)
        {
            bool reuse = _config.ReuseAddress;
            try
            {
                port = Invoke(_ => Stack.Tcp.ChooseBindPort(address, reuse));
            }
            catch (SocketException e)
            {
                throw new StackSocketException(e.SocketErrorCode, $"Bind to {localEP}: no free port");
            }
        }
        _bindAddress = address;
        _bindPort = port;
        Local = new IPEndPoint(localEP.Address, port);
    }

    public override void Listen(int backlog)
    {
        ObjectDisposedException.ThrowIf(Disposed, this);
        var address = _bindAddress ?? (AddressFamily == AddressFamily.InterNetworkV6 ? IpAddress.AnyV6 : IpAddress.AnyV4);
        var port = _bindPort;
        var config = _config;
        _opened = true;
        Local = Invoke(_ =>
        {
            _channel.Listen(address, port, backlog, config);
            return ToEndPoint(_channel.Listener!.LocalEndPoint);
        });
    }

    /// <summary>
    /// accept(): the listener's one reused <see cref="StreamAccept"/> waits on the loop, and the method's own state
    /// comes from a pool, so an accept allocates only the accepted socket.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<StackSocket> AcceptAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Disposed, this);
        cancellationToken.ThrowIfCancellationRequested();
        var slot = _accepts ??= new();
        var op = slot.TryTake() ?? new StreamAccept(slot, _channel);
        OnLoop(static (_, op) => op.Channel.StartAccept(op), op);
        var channel = await op.Await(Loop, CancelAccept, cancellationToken).ConfigureAwait(ResumeOnLoop);
        return new StackSocket(Accepted(channel));
    }

    /// <summary>
    /// The socket for an accepted connection: it takes this listener's options. The listener's connections are
    /// made with its settings at Listen; options set on it since then reach the connection here (as Linux's
    /// accepted sockets inherit the listener's current options).
    /// </summary>
    private StreamSocketCore Accepted(StreamChannel channel)
    {
        var c = channel.Connection!;
        var config = _config;
        var accepted = new StreamSocketCore(Stack, AddressFamily, channel, config)
        {
            _opened = true,
            _linger = _linger,
            ReceiveTimeout = ReceiveTimeout,
            SendTimeout = SendTimeout,
            Local = ToEndPoint(c.LocalEndPoint),
            Remote = ToEndPoint(c.RemoteEndPoint),
        };
        OnLoop(static (now, s) => s.TakeListenerOptions(now), accepted);
        return accepted;
    }

    private void TakeListenerOptions(Instant now)
    {
        if (_channel.Connection is not { } c) return;
        var config = _config;
        c.NoDelay = config.NoDelay;
        if (config.Cork != c.Cork) c.SetCork(config.Cork, now);
        if (config.KeepAlive != c.Config.KeepAlive || config.KeepAliveIdle != c.Config.KeepAliveIdle
            || config.KeepAliveInterval != c.Config.KeepAliveInterval || config.KeepAliveProbes != c.Config.KeepAliveProbes)
            c.SetKeepAlive(config.KeepAlive, config.KeepAliveIdle, config.KeepAliveInterval, config.KeepAliveProbes, now);
    }

    /// <summary>
    /// connect(): the SYN goes on the loop, which reads the call's arguments from this socket (no closure is made
    /// for them), and the method's own state comes from a pool.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public override async ValueTask ConnectAsync(IPEndPoint remoteEP, CancellationToken cancellationToken)
    {
        var (address, port) = Check(remoteEP);
        cancellationToken.ThrowIfCancellationRequested();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // The fields carry one connect's arguments to the loop: a second connect while they are still in hand is
        // refused as Linux refuses a connect in progress (EALREADY); later ones meet the connection (EISCONN).
        if (Interlocked.CompareExchange(ref _connectDone, done, null) is not null)
            throw new StackSocketException(SocketError.AlreadyInProgress, $"Connect to {remoteEP}");
        (_connectTo, _connectPort) = (address, port);
        _opened = true;
        OnLoop(static (now, s) => s.StartConnect(now), this);
        using (cancellationToken.CanBeCanceled && !done.Task.IsCompleted
            ? cancellationToken.Register(() => Loop.Post(now => _channel.CancelConnect(done, now, cancellationToken)))
            : default)
        {
            await done.Task.ConfigureAwait(ResumeOnLoop);
        }
        var (localEnd, remoteEnd) = _channel.ConnectedEnds;
        Local = ToEndPoint(localEnd);
        Remote = ToEndPoint(remoteEnd);
    }

    private void StartConnect(Instant now)
    {
        var local = _bindAddress is { IsUnspecified: false } b ? b : (IpAddress?)null;
        var (to, port, done) = (_connectTo, _connectPort, _connectDone!);
        Volatile.Write(ref _connectDone, null); // the arguments are read: the next connect may use the fields
        _channel.Connect(local, _bindPort, to, port, _config, done, now);
    }

    /// <summary>Waits on the loop until every byte is in the connection's send buffer (a blocking BSD send).</summary>
    public override ValueTask<int> SendAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Disposed, this);
        if (cancellationToken.IsCancellationRequested) return ValueTask.FromCanceled<int>(cancellationToken);
        var op = _sends.TryTake() ?? new StreamSend(_sends, _channel);
        op.Buffer = buffer;
        if (Loop.IsLoopThread) _channel.StartSend(op, Loop.Now);
        else Loop.Post(static (now, op) => op.Channel.StartSend(op, now), op);
        return op.Await(Loop, CancelSend, cancellationToken);
    }

    /// <summary>Waits for data, the end of the stream (0) or the connection's error.</summary>
    public override ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Disposed, this);
        if (cancellationToken.IsCancellationRequested) return ValueTask.FromCanceled<int>(cancellationToken);
        var op = _receives.TryTake() ?? new StreamReceive(_receives, _channel);
        op.Buffer = buffer;
        if (Loop.IsLoopThread) _channel.StartReceive(op);
        else Loop.Post(static (_, op) => op.Channel.StartReceive(op), op);
        return op.Await(Loop, CancelReceive, cancellationToken);
    }

    public override void Shutdown(SocketShutdown how)
    {
        ObjectDisposedException.ThrowIf(Disposed, this);
        Invoke(now =>
        {
            _channel.Shutdown(how, now);
            return true;
        });
    }

    public override void Close(int timeout)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(timeout);
        if (Disposed)
        {
            Dispose();
            return;
        }
        EnsureNotLoop();
        Dispose();
        var acked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Loop.Post(_ => _channel.WhenFinAcknowledged(acked));
        using var expiry = new CancellationTokenSource(TimeSpan.FromMilliseconds(timeout), Loop.Time);
        try
        {
            acked.Task.Wait(expiry.Token);
        }
        catch (OperationCanceledException)
        {
            // The peer did not acknowledge in time: the connection finishes (or times out) on its own.
        }
    }

    public override void Dispose()
    {
        if (Disposed) return;
        Disposed = true;
        if (_linger is { Enabled: true, LingerTime: 0 }) OnLoop(static (now, channel) => channel.Close(abort: true, now), _channel);
        else OnLoop(static (now, channel) => channel.Close(abort: false, now), _channel);
    }

    protected override bool TrySetOption(SocketOptionLevel level, SocketOptionName name, int value)
    {
        switch (level, name)
        {
            case (SocketOptionLevel.Socket, SocketOptionName.ReceiveBuffer):
                ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(value));
                RequireUnopened("ReceiveBufferSize");
                _config = _config with { ReceiveBufferSize = value };
                return true;
            case (SocketOptionLevel.Socket, SocketOptionName.SendBuffer):
                ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(value));
                RequireUnopened("SendBufferSize");
                _config = _config with { SendBufferSize = value };
                return true;
            case (SocketOptionLevel.Socket, SocketOptionName.ReuseAddress):
                RequireUnopened("ReuseAddress");
                _config = _config with { ReuseAddress = value != 0 };
                return true;
            case (SocketOptionLevel.Socket, SocketOptionName.KeepAlive):
                SetKeepAlive(_config with { KeepAlive = value != 0 });
                return true;
            case (SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime):
                ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(value));
                SetKeepAlive(_config with { KeepAliveIdle = TimeSpan.FromSeconds(value) });
                return true;
            case (SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval):
                ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(value));
                SetKeepAlive(_config with { KeepAliveInterval = TimeSpan.FromSeconds(value) });
                return true;
            case (SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount):
                ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(value));
                SetKeepAlive(_config with { KeepAliveProbes = value });
                return true;
            case (SocketOptionLevel.Tcp, SocketOptionName.NoDelay):
                _config = _config with { NoDelay = value != 0 };
                // Posted with the socket as state, so setting it allocates nothing (Kestrel sets it on every accepted
                // socket); the loop applies the newest setting.
                OnLoop(static (_, s) =>
                {
                    if (s._channel.Connection is { } c) c.NoDelay = s._config.NoDelay;
                }, this);
                return true;
            default:
                return false;
        }
    }

    protected override int? TryGetOption(SocketOptionLevel level, SocketOptionName name) => (level, name) switch
    {
        (SocketOptionLevel.Socket, SocketOptionName.KeepAlive) => _config.KeepAlive ? 1 : 0,
        (SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime) => (int)_config.KeepAliveIdle.TotalSeconds,
        (SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval) => (int)_config.KeepAliveInterval.TotalSeconds,
        (SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount) => _config.KeepAliveProbes,
        (SocketOptionLevel.Tcp, SocketOptionName.NoDelay) => _config.NoDelay ? 1 : 0,
        (SocketOptionLevel.Socket, SocketOptionName.Error) => (int)Invoke(_ => _channel.PendingError),
        _ => null,
    };

    /// <summary>
    /// SO_KEEPALIVE and TCP_KEEPIDLE/KEEPINTVL/KEEPCNT (seconds and a count, as Linux): any time; an open
    /// connection takes the new settings at once, a listener's apply to the connections it accepts from now on.
    /// </summary>
    private void SetKeepAlive(TcpConfig config)
    {
        _config = config;
        OnLoop(static (now, s) =>
        {
            var config = s._config;
            if (s._channel.Connection is { } c)
                c.SetKeepAlive(config.KeepAlive, config.KeepAliveIdle, config.KeepAliveInterval, config.KeepAliveProbes, now);
        }, this);
    }

    private void RequireUnopened(string option)
    {
        if (_opened)
            throw new InvalidOperationException($"Set {option} before Connect or Listen: the connection is made with it.");
    }

    private static IPEndPoint ToEndPoint(TcpEndPoint e) => new(e.Address.ToIPAddress(), e.Port);
}
