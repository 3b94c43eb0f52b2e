using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Stack.Sockets.Hosting;
using Stack.IP;
using Stack.Link.Time;
using Stack.Tcp;
using Stack.Udp;

namespace Stack.Sockets;

/// <summary>
/// A socket on a <see cref="StackInstance"/>, shaped like <see cref="Socket"/>: Bind, Connect, SendTo,
/// ReceiveFrom, Send, Receive, options, and errors as <see cref="StackSocketException"/> with a
/// <see cref="SocketError"/>. Datagram (UDP) and stream (TCP) sockets; the stream side (Listen, Accept,
/// Shutdown, linger, <see cref="GetStream"/>) is in StackSocket.Stream.cs.
/// </summary>
/// <remarks>
/// <para>Every call posts a request to the stack's event loop, which owns all protocol state, and awaits its
/// completion; for callers on other threads, continuations never run on the loop thread. A receive with nothing
/// queued waits in line on the loop, which copies the next datagram straight into the caller's buffer and
/// completes it.</para>
/// <para>On the loop thread a call does its loop work inline and resumes on the loop; the synchronous calls that
/// wait for the network throw there. The rules for every thread: docs/threading.md.</para>
/// <para>Allocation: a receive costs one completion object (a <see cref="TaskCompletionSource{TResult}"/>)
/// and the sender's <see cref="IPEndPoint"/>; an asynchronous send costs the loop request's closure and task.
/// The datagram itself is copied from the frame into a pooled buffer in the endpoint's queue, and from there
/// into the caller's buffer. A pooled <see cref="System.Threading.Tasks.Sources.IValueTaskSource"/> per socket
/// would remove the per-call objects if profiling ever shows them.</para>
/// <para>Stream sockets: a send waits on the loop until every byte is in the connection's send buffer (partial
/// writes go on as the window opens, like a blocking BSD send); a receive waits until data, the end of the
/// stream (0) or the connection's error. The loop reads and writes the caller's memory in place.</para>
/// <para>Calls on one socket take effect in the order they are made (the loop's queue is FIFO), so Dispose
/// followed by a Bind of the same port on a new socket works without waiting.</para>
/// </remarks>
public sealed partial class StackSocket : IDisposable, IAsyncDisposable
{
    private readonly StackInstance _stack;
    private readonly DatagramChannel? _datagram;
    private readonly StreamChannel? _stream;
    private volatile IPEndPoint? _local;
    private volatile IPEndPoint? _remote;
    private volatile bool _disposed;
    private int _receiveBufferSize;
    private int _sendBufferSize;
    private bool _reuseAddress;
    private int _ttl;
    private bool _dontFragment;

    private StackSocket(StackInstance stack, AddressFamily family, SocketType type, StreamChannel? accepted = null)
    {
        _stack = stack;
        AddressFamily = family;
        SocketType = type;
        if (type == SocketType.Dgram)
        {
            _datagram = new DatagramChannel(stack, family);
            _receiveBufferSize = UdpEndpoint.DefaultReceiveBufferSize;
            _sendBufferSize = UdpEndpoint.DefaultSendBufferSize;
        }
        else
        {
            _stream = accepted ?? new StreamChannel(stack.Tcp, stack.Loop);
            _tcpConfig = stack.Tcp.DefaultConfig;
            _receiveBufferSize = _tcpConfig.ReceiveBufferSize;
            _sendBufferSize = _tcpConfig.SendBufferSize;
        }
    }

    /// <summary>
    /// A socket of <paramref name="family"/> (InterNetwork or InterNetworkV6; each family is separate, no dual
    /// stack) and <paramref name="type"/> (Dgram for UDP, Stream for TCP).
    /// </summary>
    public static StackSocket Create(StackInstance stack, AddressFamily family, SocketType type)
    {
        ArgumentNullException.ThrowIfNull(stack);
        if (family is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
            throw new NotSupportedException($"The stack speaks IPv4 and IPv6: use AddressFamily.InterNetwork or InterNetworkV6, not {family}.");
        return type switch
        {
            SocketType.Dgram or SocketType.Stream => new StackSocket(stack, family, type),
            _ => throw new NotSupportedException($"The stack's sockets are Dgram (UDP) or Stream (TCP), not {type}."),
        };
    }

    public AddressFamily AddressFamily { get; }
    public SocketType SocketType { get; }
    public ProtocolType ProtocolType => SocketType == SocketType.Dgram ? ProtocolType.Udp : ProtocolType.Tcp;

    /// <summary>The bound address and port; null until Bind, Connect or the first send.</summary>
    public IPEndPoint? LocalEndPoint => _local;

    /// <summary>The connected peer; null unless connected.</summary>
    public IPEndPoint? RemoteEndPoint => _remote;

    public bool IsBound => _local is not null;
    public bool Connected => _remote is not null;

    /// <summary>
    /// SO_RCVBUF in bytes. UDP (default 212992, as Linux): datagrams arriving at a full queue are dropped. TCP
    /// (default 256 KiB): the receive window; set it before Connect or Listen.
    /// </summary>
    public int ReceiveBufferSize
    {
        get => _receiveBufferSize;
        set => SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReceiveBuffer, value);
    }

    /// <summary>SO_SNDBUF in bytes. UDP sends never wait in a buffer; as on Linux, a datagram whose fragments
    /// outgrow twice the doubled value fails with NoBufferSpaceAvailable (ENOBUFS). TCP (default 256 KiB): set
    /// it before Connect or Listen.</summary>
    public int SendBufferSize
    {
        get => _sendBufferSize;
        set => SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.SendBuffer, value);
    }

    /// <summary>
    /// UDP: IP_MTU_DISCOVER = IP_PMTUDISC_DO (IPv4) or IPV6_DONTFRAG (IPv6), as <see cref="Socket.DontFragment"/>:
    /// a datagram over the path MTU fails with MessageSize (EMSGSIZE) instead of being fragmented.
    /// </summary>
    public bool DontFragment
    {
        get => _dontFragment;
        set => SetSocketOption(AddressFamily == AddressFamily.InterNetworkV6 ? SocketOptionLevel.IPv6 : SocketOptionLevel.IP,
            SocketOptionName.DontFragment, value);
    }

    /// <summary>SO_REUSEADDR: allows binding a port that other sockets with this option hold. Set before Bind.</summary>
    public bool ReuseAddress
    {
        get => _reuseAddress;
        set => SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, value);
    }

    /// <summary>
    /// Milliseconds the synchronous receives wait before failing with TimedOut; 0 (default) waits for ever. Timed
    /// on the stack's clock (<see cref="Stack.Link.Loop.EventLoop.Time"/>), as are <see cref="SendTimeout"/> and Close(timeout).
    /// </summary>
    public int ReceiveTimeout { get; set; }

    /// <summary>Milliseconds the synchronous sends may wait; 0 waits for ever. UDP sends do not wait.</summary>
    public int SendTimeout { get; set; }

    public void Bind(IPEndPoint localEP)
    {
        var (address, port) = Check(localEP);
        if (_stream is not null)
        {
            BindStream(localEP, address, port);
            return;
        }
        Run(_ => Datagram.Bind(address, port), $"Bind to {localEP}");
    }

    /// <summary>
    /// For UDP: sets the default destination and accepts datagrams only from it. Binds first if needed. For TCP:
    /// the three-way handshake; fails with ConnectionRefused (RST), TimedOut (after the TCP connect timeout),
    /// HostUnreachable or NetworkUnreachable.
    /// </summary>
    public void Connect(IPEndPoint remoteEP)
    {
        EnsureNotLoop();
        Wait(ConnectAsync(remoteEP));
    }

    public async ValueTask ConnectAsync(IPEndPoint remoteEP, CancellationToken cancellationToken = default)
    {
        var (address, port) = Check(remoteEP);
        cancellationToken.ThrowIfCancellationRequested();
        if (_stream is not null)
        {
            await ConnectStreamAsync(address, port, cancellationToken).ConfigureAwait(ResumeOnLoop);
            return;
        }
        await RunAsync(_ => Datagram.Connect(address, port), $"Connect to {remoteEP}").ConfigureAwait(ResumeOnLoop);
    }

    public int SendTo(ReadOnlySpan<byte> buffer, IPEndPoint remoteEP)
    {
        EnsureNotLoop();
        var copy = ArrayPool<byte>.Shared.Rent(buffer.Length);
        try
        {
            buffer.CopyTo(copy);
            return Wait(SendToAsync(copy.AsMemory(0, buffer.Length), remoteEP));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }

    /// <summary>Sends one datagram; returns its length. The loop reads <paramref name="buffer"/> in place.</summary>
    public async ValueTask<int> SendToAsync(ReadOnlyMemory<byte> buffer, IPEndPoint remoteEP, CancellationToken cancellationToken = default)
    {
        var (address, port) = Check(remoteEP);
        RequireDatagram("SendTo");
        cancellationToken.ThrowIfCancellationRequested();
        await RunAsync(now => Datagram.SendTo(address, port, buffer.Span, now), $"Send to {remoteEP}").ConfigureAwait(ResumeOnLoop);
        return buffer.Length;
    }

    /// <summary>Sends to the connected peer. TCP: returns when every byte is queued (see <see cref="SendTimeout"/>).</summary>
    public int Send(ReadOnlySpan<byte> buffer)
    {
        EnsureNotLoop();
        if (_stream is not null) return SendStream(buffer);
        var copy = ArrayPool<byte>.Shared.Rent(buffer.Length);
        try
        {
            buffer.CopyTo(copy);
            return Wait(SendAsync(copy.AsMemory(0, buffer.Length)));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }

    public async ValueTask<int> SendAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        cancellationToken.ThrowIfCancellationRequested();
        if (_stream is not null) return await SendStreamAsync(buffer, cancellationToken).ConfigureAwait(ResumeOnLoop);
        await RunAsync(now => Datagram.SendTo(null, 0, buffer.Span, now), "Send").ConfigureAwait(ResumeOnLoop);
        return buffer.Length;
    }

    /// <summary>
    /// Waits for one datagram and copies it into <paramref name="buffer"/>; a longer datagram is truncated (the
    /// rest discarded, as recvfrom does). Fails with TimedOut after <see cref="ReceiveTimeout"/>.
    /// </summary>
    public int ReceiveFrom(Span<byte> buffer, out IPEndPoint remoteEP)
    {
        EnsureNotLoop();
        int length = buffer.Length;
        var copy = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        try
        {
            var result = WaitReceive(token => ReceiveFromAsync(copy.AsMemory(0, length), token));
            copy.AsSpan(0, result.ReceivedBytes).CopyTo(buffer);
            remoteEP = (IPEndPoint)result.RemoteEndPoint;
            return result.ReceivedBytes;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }

    /// <summary>Waits for one datagram, which the loop copies straight into <paramref name="buffer"/>.</summary>
    public async ValueTask<SocketReceiveFromResult> ReceiveFromAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        RequireDatagram("ReceiveFrom");
        if (!IsBound)
            throw new InvalidOperationException("Bind the socket (or send or connect from it) before receiving: an unbound socket has no port to receive on.");
        cancellationToken.ThrowIfCancellationRequested();
        var op = new ReceiveOperation(buffer);
        OnLoop(_ => Datagram.StartReceive(op));
        using var registration = cancellationToken.CanBeCanceled && !op.Task.IsCompleted
            ? cancellationToken.Register(() => _stack.Loop.Post(_ => Datagram.Cancel(op, cancellationToken)))
            : default;
        var (length, source, port) = await op.Task.ConfigureAwait(ResumeOnLoop);
        return new SocketReceiveFromResult { ReceivedBytes = length, RemoteEndPoint = new IPEndPoint(source.ToIPAddress(), port) };
    }

    /// <summary>Receives from the connected peer. TCP: waits for data; 0 means the peer closed (end of stream).</summary>
    public int Receive(Span<byte> buffer)
    {
        EnsureNotLoop();
        if (_stream is not null) return ReceiveStream(buffer);
        RequireConnected();
        return ReceiveFrom(buffer, out _);
    }

    public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_stream is not null) return await ReceiveStreamAsync(buffer, cancellationToken).ConfigureAwait(ResumeOnLoop);
        RequireConnected();
        var result = await ReceiveFromAsync(buffer, cancellationToken).ConfigureAwait(ResumeOnLoop);
        return result.ReceivedBytes;
    }

    /// <summary>
    /// Sets an option. Supported: Socket/ReceiveBuffer, SendBuffer, ReuseAddress, ReceiveTimeout, SendTimeout;
    /// for UDP IP or IPv6/IpTimeToLive (the hop limit of what this socket sends; 0 restores the default) and
    /// IP or IPv6/DontFragment (<see cref="DontFragment"/>); for
    /// TCP Socket/KeepAlive, Tcp/TcpKeepAliveTime, TcpKeepAliveInterval, TcpKeepAliveRetryCount (any time, as Linux) and Tcp/NoDelay.
    /// </summary>
    public void SetSocketOption(SocketOptionLevel optionLevel, SocketOptionName optionName, int optionValue)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_stream is not null)
        {
            SetStreamOption(optionLevel, optionName, optionValue);
            return;
        }
        switch (optionLevel, optionName)
        {
            case (SocketOptionLevel.Socket, SocketOptionName.ReceiveBuffer):
                ArgumentOutOfRangeException.ThrowIfLessThan(optionValue, 1, nameof(optionValue));
                _receiveBufferSize = optionValue;
                OnLoop(_ => Datagram.Endpoint.ReceiveBufferSize = optionValue);
                break;
            case (SocketOptionLevel.Socket, SocketOptionName.SendBuffer):
                ArgumentOutOfRangeException.ThrowIfLessThan(optionValue, 1, nameof(optionValue));
                _sendBufferSize = optionValue;
                OnLoop(_ => Datagram.Endpoint.SendBufferSize = UdpEndpoint.FromSoSndBuf(optionValue));
                break;
            case (SocketOptionLevel.Socket, SocketOptionName.ReuseAddress):
                if (IsBound) throw new InvalidOperationException("Set ReuseAddress before Bind: it decides whether the bind may share a port.");
                _reuseAddress = optionValue != 0;
                bool reuse = _reuseAddress;
                OnLoop(_ => Datagram.Endpoint.ReuseAddress = reuse);
                break;
            case (SocketOptionLevel.Socket, SocketOptionName.ReceiveTimeout):
                ArgumentOutOfRangeException.ThrowIfNegative(optionValue, nameof(optionValue));
                ReceiveTimeout = optionValue;
                break;
            case (SocketOptionLevel.Socket, SocketOptionName.SendTimeout):
                ArgumentOutOfRangeException.ThrowIfNegative(optionValue, nameof(optionValue));
                SendTimeout = optionValue;
                break;
            case (SocketOptionLevel.IP or SocketOptionLevel.IPv6, SocketOptionName.IpTimeToLive):
                ArgumentOutOfRangeException.ThrowIfNegative(optionValue, nameof(optionValue));
                ArgumentOutOfRangeException.ThrowIfGreaterThan(optionValue, 255, nameof(optionValue));
                _ttl = optionValue;
                byte? hops = optionValue == 0 ? null : (byte)optionValue;
                OnLoop(_ => Datagram.Endpoint.HopLimit = hops);
                break;
            case (SocketOptionLevel.IP or SocketOptionLevel.IPv6, SocketOptionName.DontFragment):
                _dontFragment = optionValue != 0;
                bool dontFragment = _dontFragment;
                OnLoop(_ => Datagram.Endpoint.DontFragment = dontFragment);
                break;
            default:
                throw Unsupported(optionLevel, optionName);
        }
    }

    public void SetSocketOption(SocketOptionLevel optionLevel, SocketOptionName optionName, bool optionValue) =>
        SetSocketOption(optionLevel, optionName, optionValue ? 1 : 0);

    /// <summary>
    /// Reads an option: those <see cref="SetSocketOption(SocketOptionLevel, SocketOptionName, int)"/> takes (a
    /// hop limit of 0 means the host's default), Socket/Type, and Socket/Error (which clears a pending error).
    /// </summary>
    public int GetSocketOption(SocketOptionLevel optionLevel, SocketOptionName optionName)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_stream is not null) return GetStreamOption(optionLevel, optionName);
        return (optionLevel, optionName) switch
        {
            (SocketOptionLevel.Socket, SocketOptionName.ReceiveBuffer) => _receiveBufferSize,
            (SocketOptionLevel.Socket, SocketOptionName.SendBuffer) => _sendBufferSize,
            (SocketOptionLevel.Socket, SocketOptionName.ReuseAddress) => _reuseAddress ? 1 : 0,
            (SocketOptionLevel.Socket, SocketOptionName.ReceiveTimeout) => ReceiveTimeout,
            (SocketOptionLevel.Socket, SocketOptionName.SendTimeout) => SendTimeout,
            (SocketOptionLevel.Socket, SocketOptionName.Type) => (int)SocketType,
            (SocketOptionLevel.Socket, SocketOptionName.Error) => (int)Invoke(_ => Datagram.Endpoint.TakeError()),
            (SocketOptionLevel.IP or SocketOptionLevel.IPv6, SocketOptionName.IpTimeToLive) => _ttl,
            (SocketOptionLevel.IP or SocketOptionLevel.IPv6, SocketOptionName.DontFragment) => _dontFragment ? 1 : 0,
            _ => throw Unsupported(optionLevel, optionName),
        };
    }

    /// <summary>
    /// Closes the socket: frees its port and fails waiting calls with OperationAborted. TCP: a graceful close
    /// (queued data, then a FIN, finished by the stack in the background), or a RST when
    /// <see cref="LingerState"/> is enabled with a time of 0 (or when received data was left unread, as Linux).
    /// </summary>
    public void Close() => Dispose();

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_stream is { } stream)
        {
            bool abort = _linger is { Enabled: true, LingerTime: 0 };
            OnLoop(now => stream.Close(abort, now));
            return;
        }
        OnLoop(_ => Datagram.Close());
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    public override string ToString() => $"{ProtocolType} socket {_local?.ToString() ?? "(unbound)"}" + (_remote is { } r ? $" -> {r}" : "");

    /// <summary>Runs a UDP request on the loop and waits for it; refreshes the endpoints it may have changed; throws its error.</summary>
    private void Run(Func<Instant, SocketError> work, string what)
    {
        var error = Invoke(now => Request(work, now));
        if (error != SocketError.Success) throw new StackSocketException(error, what);
    }

    /// <summary>As <see cref="Run"/>, awaited; synchronous on the loop thread.</summary>
    private async ValueTask RunAsync(Func<Instant, SocketError> work, string what)
    {
        var loop = _stack.Loop;
        var error = loop.IsLoopThread
            ? Request(work, loop.Now)
            : await loop.InvokeAsync(now => Request(work, now)).ConfigureAwait(false);
        if (error != SocketError.Success) throw new StackSocketException(error, what);
    }

    private SocketError Request(Func<Instant, SocketError> work, Instant now)
    {
        var e = work(now);
        Snapshot();
        return e;
    }

    /// <summary>
    /// Runs <paramref name="work"/> on the loop: inline when called there (a service on the loop; nothing can
    /// run between the call and the work, so the order of one thread's calls holds), else posted in line.
    /// </summary>
    private void OnLoop(Action<Instant> work)
    {
        var loop = _stack.Loop;
        if (loop.IsLoopThread) work(loop.Now);
        else loop.Post(work);
    }

    /// <summary>Runs <paramref name="work"/> on the loop and returns its result: inline there, else waited for.</summary>
    private T Invoke<T>(Func<Instant, T> work)
    {
        var loop = _stack.Loop;
        return loop.IsLoopThread ? work(loop.Now) : loop.InvokeAsync(work).GetAwaiter().GetResult();
    }

    /// <summary>
    /// What the socket's own awaits pass to ConfigureAwait: on the loop thread, resume there through its
    /// context (no hop); elsewhere never capture the caller's context, as a library should not.
    /// </summary>
    private bool ResumeOnLoop => _stack.Loop.IsLoopThread;

    /// <summary>On the loop: publishes the endpoint's addresses to callers on other threads (as immutable objects).</summary>
    private void Snapshot()
    {
        var e = Datagram.Endpoint;
        if (e.IsBound && (_local is not { } l || l.Port != e.LocalPort || IpAddress.FromIPAddress(l.Address) != e.LocalAddress))
            _local = new IPEndPoint(e.LocalAddress.ToIPAddress(), e.LocalPort);
        if (e.IsConnected && (_remote is not { } r || r.Port != e.RemotePort || IpAddress.FromIPAddress(r.Address) != e.RemoteAddress))
            _remote = new IPEndPoint(e.RemoteAddress.ToIPAddress(), e.RemotePort);
    }

    private (IpAddress Address, ushort Port) Check(IPEndPoint endPoint)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(endPoint);
        if (endPoint.AddressFamily != AddressFamily)
            throw new StackSocketException(SocketError.AddressFamilyNotSupported, $"{endPoint} on an {AddressFamily} socket");
        return (IpAddress.FromIPAddress(endPoint.Address), (ushort)endPoint.Port);
    }

    private DatagramChannel Datagram => _datagram ?? throw new InvalidOperationException("Not a datagram socket.");

    private void RequireDatagram(string what)
    {
        if (_datagram is null)
            throw new StackSocketException(SocketError.OperationNotSupported, $"{what} on a stream socket: use Connect, then Send and Receive");
    }

    private void RequireConnected()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!Connected) throw new StackSocketException(SocketError.NotConnected);
    }

    private SocketReceiveFromResult WaitReceive(Func<CancellationToken, ValueTask<SocketReceiveFromResult>> receive)
    {
        if (ReceiveTimeout <= 0) return Wait(receive(CancellationToken.None));
        using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(ReceiveTimeout), _stack.Loop.Time);
        try
        {
            return Wait(receive(timeout.Token));
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new StackSocketException(SocketError.TimedOut, $"No datagram within {ReceiveTimeout} ms");
        }
    }

    private T Wait<T>(ValueTask<T> task)
    {
        EnsureNotLoop();
        return task.AsTask().GetAwaiter().GetResult();
    }

    private T Wait<T>(Task<T> task)
    {
        EnsureNotLoop();
        return task.GetAwaiter().GetResult();
    }

    private void Wait(ValueTask task)
    {
        EnsureNotLoop();
        task.AsTask().GetAwaiter().GetResult();
    }

    private void Wait(Task task)
    {
        EnsureNotLoop();
        task.GetAwaiter().GetResult();
    }

    private void EnsureNotLoop()
    {
        if (_stack.Loop.IsLoopThread)
            throw new InvalidOperationException("A synchronous socket call on the stack's event loop thread would wait for the loop itself; await the Async method instead.");
    }

    private static StackSocketException Unsupported(SocketOptionLevel level, SocketOptionName name) =>
        new(SocketError.ProtocolOption, $"Option {level}/{name} is not supported by the stack's sockets (yet)");
}
