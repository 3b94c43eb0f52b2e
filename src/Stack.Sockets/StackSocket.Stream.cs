using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Stack.IP;
using Stack.Tcp;

namespace Stack.Sockets;

/// <summary>The stream (TCP) side of <see cref="StackSocket"/>: the loop half is <see cref="StreamChannel"/>.</summary>
public sealed partial class StackSocket
{
    /// <summary>The most a synchronous stream Send or Receive stages through a pooled buffer per loop request.</summary>
    private const int SyncChunk = 256 * 1024;

    private TcpConfig? _tcpConfig;
    private LingerOption? _linger;
    private bool _noDelay;
    private IpAddress? _bindAddress;
    private ushort _bindPort;
    private volatile bool _opened;

    /// <summary>The connection under a connected or accepted stream socket; touch it on the loop only.</summary>
    internal TcpConnection? Connection => _stream?.Connection;

    /// <summary>TCP_NODELAY: small segments go at once instead of waiting for outstanding data's ACK (Nagle). Any time.</summary>
    public bool NoDelay
    {
        get => _noDelay;
        set => SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.NoDelay, value);
    }

    /// <summary>
    /// SO_LINGER. Enabled with a time of 0 makes Close abortive: a RST, and queued data is dropped. Other
    /// settings close gracefully (Close never blocks; see <see cref="Close(int)"/> to wait for the peer's ACK).
    /// </summary>
    public LingerOption? LingerState
    {
        get => _linger is null ? null : new LingerOption(_linger.Enabled, _linger.LingerTime);
        set
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            RequireStream("LingerState");
            _linger = value is null ? null : new LingerOption(value.Enabled, value.LingerTime);
        }
    }

    /// <summary>
    /// listen(): accepts connections on the bound address and port (wildcard and an ephemeral port when not
    /// bound). <paramref name="backlog"/> bounds the queue of connections waiting for Accept.
    /// </summary>
    public void Listen(int backlog = 128)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var stream = RequireStream("Listen");
        var address = _bindAddress ?? Any;
        var port = _bindPort;
        var config = _tcpConfig!;
        _opened = true;
        Invoke(_ =>
        {
            stream.Listen(address, port, backlog, config);
            var l = stream.Listener!.LocalEndPoint;
            _local = new IPEndPoint(l.Address.ToIPAddress(), l.Port);
            return true;
        });
    }

    /// <summary>accept(): waits for a connection and returns it as a connected socket.</summary>
    public StackSocket Accept()
    {
        EnsureNotLoop();
        return Wait(AcceptAsync());
    }

    public async ValueTask<StackSocket> AcceptAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var stream = RequireStream("Accept");
        cancellationToken.ThrowIfCancellationRequested();
        var op = new StreamAccept();
        OnLoop(_ => stream.StartAccept(op));
        StreamChannel channel;
        using (cancellationToken.CanBeCanceled && !op.Task.IsCompleted
            ? cancellationToken.Register(() => _stack.Loop.Post(_ => stream.CancelAccept(op, cancellationToken)))
            : default)
        {
            channel = await op.Task.ConfigureAwait(ResumeOnLoop);
        }
        var c = channel.Connection!;
        var accepted = new StackSocket(_stack, AddressFamily, SocketType.Stream, channel)
        {
            _tcpConfig = _tcpConfig,
            _opened = true,
            _noDelay = _noDelay,
            _linger = _linger,
            _reuseAddress = _reuseAddress,
            _receiveBufferSize = _receiveBufferSize,
            _sendBufferSize = _sendBufferSize,
            ReceiveTimeout = ReceiveTimeout,
            SendTimeout = SendTimeout,
            _local = ToEndPoint(c.LocalEndPoint),
            _remote = ToEndPoint(c.RemoteEndPoint),
        };
        // The listener's connections are made with its settings at Listen; options set on it since then reach
        // what it accepts here (as Linux's accepted sockets inherit the listener's current options).
        var config = _tcpConfig!;
        OnLoop(now =>
        {
            c.NoDelay = config.NoDelay;
            if (config.KeepAlive != c.Config.KeepAlive || config.KeepAliveIdle != c.Config.KeepAliveIdle
                || config.KeepAliveInterval != c.Config.KeepAliveInterval || config.KeepAliveProbes != c.Config.KeepAliveProbes)
                c.SetKeepAlive(config.KeepAlive, config.KeepAliveIdle, config.KeepAliveInterval, config.KeepAliveProbes, now);
        });
        return accepted;
    }

    /// <summary>shutdown(): Send queues a FIN after the data (half-close, seed §2.6); Receive makes later receives return 0.</summary>
    public void Shutdown(SocketShutdown how)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var stream = RequireStream("Shutdown");
        Invoke(now =>
        {
            stream.Shutdown(how, now);
            return true;
        });
    }

    /// <summary>
    /// Closes gracefully and waits up to <paramref name="timeout"/> ms for the queued data and the FIN to be
    /// acknowledged (as <see cref="Socket.Close(int)"/>), so a process may exit right after. UDP: as Close.
    /// </summary>
    public void Close(int timeout)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(timeout);
        if (_stream is not { } stream || _disposed)
        {
            Dispose();
            return;
        }
        EnsureNotLoop();
        Dispose();
        var acked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _stack.Loop.Post(_ => stream.WhenFinAcknowledged(acked));
        using var expiry = new CancellationTokenSource(TimeSpan.FromMilliseconds(timeout), _stack.Loop.Time);
        try
        {
            acked.Task.Wait(expiry.Token);
        }
        catch (OperationCanceledException)
        {
            // The peer did not acknowledge in time: the connection finishes (or times out) on its own.
        }
    }

    /// <summary>A <see cref="Stream"/> over this connected stream socket; disposing it closes the socket when <paramref name="ownsSocket"/>.</summary>
    public StackNetworkStream GetStream(bool ownsSocket = false)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        RequireStream("GetStream");
        return new StackNetworkStream(this, ownsSocket);
    }

    private IpAddress Any => AddressFamily == AddressFamily.InterNetworkV6 ? IpAddress.AnyV6 : IpAddress.AnyV4;

    private void BindStream(IPEndPoint localEP, IpAddress address, ushort port)
    {
        if (_bindAddress is not null || _opened)
            throw new StackSocketException(SocketError.InvalidArgument, $"Bind to {localEP}");
        bool ours = address.IsUnspecified || Invoke(_ => _stack.Host.IsLocal(address));
        if (!ours) throw new StackSocketException(SocketError.AddressNotAvailable, $"Bind to {localEP}");
        // The port is claimed by Listen or Connect (the TCP layer has no separate bind): a conflict is reported
        // there. Port 0 is chosen now, as Linux's bind does, so LocalEndPoint (getsockname) shows it at once.
        if (port == 0)
        {
            bool reuse = _tcpConfig!.ReuseAddress;
            port = Invoke(_ => _stack.Tcp.ChooseBindPort(address, reuse));
        }
        _bindAddress = address;
        _bindPort = port;
        _local = new IPEndPoint(localEP.Address, port);
    }

    private async ValueTask ConnectStreamAsync(IpAddress address, ushort port, CancellationToken cancellationToken)
    {
        var stream = _stream!;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var local = _bindAddress is { IsUnspecified: false } b ? b : (IpAddress?)null;
        var localPort = _bindPort;
        var config = _tcpConfig!;
        _opened = true;
        OnLoop(now => stream.Connect(local, localPort, address, port, config, done, now));
        using (cancellationToken.CanBeCanceled && !done.Task.IsCompleted
            ? cancellationToken.Register(() => _stack.Loop.Post(now => stream.CancelConnect(done, now, cancellationToken)))
            : default)
        {
            await done.Task.ConfigureAwait(ResumeOnLoop);
        }
        var c = ResumeOnLoop
            ? (Local: stream.Connection!.LocalEndPoint, Remote: stream.Connection.RemoteEndPoint)
            : await _stack.Loop.InvokeAsync(_ => (Local: stream.Connection!.LocalEndPoint, Remote: stream.Connection.RemoteEndPoint)).ConfigureAwait(false);
        _local = ToEndPoint(c.Local);
        _remote = ToEndPoint(c.Remote);
    }

    private async ValueTask<int> SendStreamAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        var stream = _stream!;
        var op = new StreamSend(buffer);
        OnLoop(now => stream.StartSend(op, now));
        using (cancellationToken.CanBeCanceled && !op.Task.IsCompleted
            ? cancellationToken.Register(() => _stack.Loop.Post(_ => stream.CancelSend(op, cancellationToken)))
            : default)
        {
            return await op.Task.ConfigureAwait(ResumeOnLoop);
        }
    }

    private async ValueTask<int> ReceiveStreamAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        cancellationToken.ThrowIfCancellationRequested();
        var stream = _stream!;
        var op = new StreamReceive(buffer);
        OnLoop(_ => stream.StartReceive(op));
        using (cancellationToken.CanBeCanceled && !op.Task.IsCompleted
            ? cancellationToken.Register(() => _stack.Loop.Post(_ => stream.CancelReceive(op, cancellationToken)))
            : default)
        {
            return await op.Task.ConfigureAwait(ResumeOnLoop);
        }
    }

    private int SendStream(ReadOnlySpan<byte> buffer)
    {
        EnsureNotLoop();
        ObjectDisposedException.ThrowIf(_disposed, this);
        var copy = ArrayPool<byte>.Shared.Rent(Math.Min(Math.Max(buffer.Length, 1), SyncChunk));
        try
        {
            int sent = 0;
            do
            {
                int n = Math.Min(buffer.Length - sent, copy.Length);
                buffer.Slice(sent, n).CopyTo(copy);
                sent += WaitTimed(token => SendStreamAsync(copy.AsMemory(0, n), token), SendTimeout, "Send");
            }
            while (sent < buffer.Length);
            return sent;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }

    private int ReceiveStream(Span<byte> buffer)
    {
        EnsureNotLoop();
        var copy = ArrayPool<byte>.Shared.Rent(Math.Min(Math.Max(buffer.Length, 1), SyncChunk));
        try
        {
            int length = Math.Min(buffer.Length, copy.Length);
            int n = WaitTimed(token => ReceiveStreamAsync(copy.AsMemory(0, length), token), ReceiveTimeout, "Receive");
            copy.AsSpan(0, n).CopyTo(buffer);
            return n;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }

    /// <summary>Waits for a stream call, failing it with TimedOut after <paramref name="milliseconds"/> (0: for ever).</summary>
    private int WaitTimed(Func<CancellationToken, ValueTask<int>> call, int milliseconds, string what)
    {
        if (milliseconds <= 0) return Wait(call(CancellationToken.None));
        using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(milliseconds), _stack.Loop.Time);
        try
        {
            return Wait(call(timeout.Token));
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new StackSocketException(SocketError.TimedOut, $"{what} did not complete within {milliseconds} ms");
        }
    }

    private void SetStreamOption(SocketOptionLevel level, SocketOptionName name, int value)
    {
        var stream = _stream!;
        switch (level, name)
        {
            case (SocketOptionLevel.Socket, SocketOptionName.ReceiveBuffer):
                ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(value));
                RequireUnopened("ReceiveBufferSize");
                _receiveBufferSize = value;
                _tcpConfig = _tcpConfig! with { ReceiveBufferSize = value };
                break;
            case (SocketOptionLevel.Socket, SocketOptionName.SendBuffer):
                ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(value));
                RequireUnopened("SendBufferSize");
                _sendBufferSize = value;
                _tcpConfig = _tcpConfig! with { SendBufferSize = value };
                break;
            case (SocketOptionLevel.Socket, SocketOptionName.ReuseAddress):
                RequireUnopened("ReuseAddress");
                _reuseAddress = value != 0;
                _tcpConfig = _tcpConfig! with { ReuseAddress = _reuseAddress };
                break;
            case (SocketOptionLevel.Socket, SocketOptionName.KeepAlive):
                SetKeepAlive(_tcpConfig! with { KeepAlive = value != 0 });
                break;
            case (SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime):
                ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(value));
                SetKeepAlive(_tcpConfig! with { KeepAliveIdle = TimeSpan.FromSeconds(value) });
                break;
            case (SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval):
                ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(value));
                SetKeepAlive(_tcpConfig! with { KeepAliveInterval = TimeSpan.FromSeconds(value) });
                break;
            case (SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount):
                ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(value));
                SetKeepAlive(_tcpConfig! with { KeepAliveProbes = value });
                break;
            case (SocketOptionLevel.Tcp, SocketOptionName.NoDelay):
                _noDelay = value != 0;
                _tcpConfig = _tcpConfig! with { NoDelay = _noDelay };
                bool noDelay = _noDelay;
                OnLoop(_ =>
                {
                    if (stream.Connection is { } c) c.NoDelay = noDelay;
                });
                break;
            case (SocketOptionLevel.Socket, SocketOptionName.ReceiveTimeout):
                ArgumentOutOfRangeException.ThrowIfNegative(value, nameof(value));
                ReceiveTimeout = value;
                break;
            case (SocketOptionLevel.Socket, SocketOptionName.SendTimeout):
                ArgumentOutOfRangeException.ThrowIfNegative(value, nameof(value));
                SendTimeout = value;
                break;
            default:
                throw Unsupported(level, name);
        }
    }

    private int GetStreamOption(SocketOptionLevel level, SocketOptionName name) => (level, name) switch
    {
        (SocketOptionLevel.Socket, SocketOptionName.ReceiveBuffer) => _receiveBufferSize,
        (SocketOptionLevel.Socket, SocketOptionName.SendBuffer) => _sendBufferSize,
        (SocketOptionLevel.Socket, SocketOptionName.ReuseAddress) => _reuseAddress ? 1 : 0,
        (SocketOptionLevel.Socket, SocketOptionName.KeepAlive) => _tcpConfig!.KeepAlive ? 1 : 0,
        (SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime) => (int)_tcpConfig!.KeepAliveIdle.TotalSeconds,
        (SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval) => (int)_tcpConfig!.KeepAliveInterval.TotalSeconds,
        (SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount) => _tcpConfig!.KeepAliveProbes,
        (SocketOptionLevel.Tcp, SocketOptionName.NoDelay) => _noDelay ? 1 : 0,
        (SocketOptionLevel.Socket, SocketOptionName.ReceiveTimeout) => ReceiveTimeout,
        (SocketOptionLevel.Socket, SocketOptionName.SendTimeout) => SendTimeout,
        (SocketOptionLevel.Socket, SocketOptionName.Type) => (int)SocketType,
        (SocketOptionLevel.Socket, SocketOptionName.Error) => (int)Invoke(_ => _stream!.PendingError),
        _ => throw Unsupported(level, name),
    };

    /// <summary>
    /// SO_KEEPALIVE and TCP_KEEPIDLE/KEEPINTVL/KEEPCNT (seconds and a count, as Linux): any time; an open
    /// connection takes the new settings at once, a listener's apply to the connections it accepts from now on.
    /// </summary>
    private void SetKeepAlive(TcpConfig config)
    {
        _tcpConfig = config;
        var stream = _stream!;
        OnLoop(now =>
        {
            if (stream.Connection is { } c)
                c.SetKeepAlive(config.KeepAlive, config.KeepAliveIdle, config.KeepAliveInterval, config.KeepAliveProbes, now);
        });
    }

    /// <summary>
    /// TCP_CONGESTION: the congestion control of this socket's connections (CUBIC by default; NewReno). Set it
    /// before Connect or Listen; accepted sockets take their listener's.
    /// </summary>
    public Stack.Tcp.Congestion.CongestionControlKind CongestionControl
    {
        get => RequireStreamConfig().CongestionControl;
        set
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            RequireStreamConfig();
            RequireUnopened("CongestionControl");
            _tcpConfig = _tcpConfig! with { CongestionControl = value };
        }
    }

    private TcpConfig RequireStreamConfig()
    {
        RequireStream("CongestionControl");
        return _tcpConfig!;
    }

    private void RequireUnopened(string option)
    {
        if (_opened)
            throw new InvalidOperationException($"Set {option} before Connect or Listen: the connection is made with it.");
    }

    private StreamChannel RequireStream(string what) =>
        _stream ?? throw new StackSocketException(SocketError.OperationNotSupported, $"{what} on a datagram socket: it needs SocketType.Stream");

    private static IPEndPoint ToEndPoint(TcpEndPoint e) => new(e.Address.ToIPAddress(), e.Port);
}
