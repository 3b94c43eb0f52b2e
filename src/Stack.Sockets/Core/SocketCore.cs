using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Stack.IP;
using Stack.Link.Loop;
using Stack.Link.Time;
using Stack.Sockets.Hosting;

namespace Stack.Sockets;

/// <summary>
/// What a <see cref="StackSocket"/> does, behind its one familiar facade: <see cref="DatagramSocketCore"/> (UDP)
/// and <see cref="StreamSocketCore"/> (TCP) each implement their kind, and this base holds what both share: the
/// endpoints published to other threads, the timeouts, the synchronous forms (built on the asynchronous ones),
/// and the way onto the loop. A call one kind cannot make fails as <see cref="Socket"/> fails it.
/// </summary>
internal abstract class SocketCore
{
    /// <summary>The most a synchronous Send or Receive stages through a pooled buffer per loop request.</summary>
    private const int SyncChunk = 256 * 1024;

    protected SocketCore(StackInstance stack, AddressFamily family)
    {
        Stack = stack;
        AddressFamily = family;
    }

    public StackInstance Stack { get; }
    public EventLoop Loop => Stack.Loop;
    public AddressFamily AddressFamily { get; }
    public abstract SocketType SocketType { get; }

    public volatile IPEndPoint? Local;
    public volatile IPEndPoint? Remote;
    public volatile bool Disposed;

    public int ReceiveTimeout { get; set; }
    public int SendTimeout { get; set; }

    // --- Both kinds ---

    public abstract void Bind(IPEndPoint localEP);
    public abstract ValueTask ConnectAsync(IPEndPoint remoteEP, CancellationToken cancellationToken);
    public abstract ValueTask<int> SendAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken);
    public abstract ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken);
    public abstract void Dispose();

    /// <summary>Sets an option of this kind; false when it is not one (the base then tries the shared ones).</summary>
    protected abstract bool TrySetOption(SocketOptionLevel level, SocketOptionName name, int value);

    /// <summary>Reads an option of this kind, or null when it is not one.</summary>
    protected abstract int? TryGetOption(SocketOptionLevel level, SocketOptionName name);

    /// <summary>How much one synchronous send may stage per loop request: a datagram goes whole, a stream in chunks.</summary>
    protected virtual int SendChunk(int length) => Math.Min(length, SyncChunk);

    // --- One kind only; the other fails as Socket does ---

    public virtual ValueTask<int> SendToAsync(ReadOnlyMemory<byte> buffer, IPEndPoint remoteEP, CancellationToken cancellationToken) =>
        throw NotOnStream("SendTo");

    public virtual ValueTask<SocketReceiveFromResult> ReceiveFromAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        throw NotOnStream("ReceiveFrom");

    public virtual void Listen(int backlog) => throw NotOnDatagram("Listen");

    /// <summary>Joins or leaves a multicast group: datagram sockets only (Linux answers a TCP socket's join with EPROTO).</summary>
    public virtual void SetMembership(bool join, IPAddress group) =>
        throw new StackSocketException(SocketError.ProtocolOption, "Multicast membership on a stream socket: it needs SocketType.Dgram");
    public virtual ValueTask<StackSocket> AcceptAsync(CancellationToken cancellationToken) => throw NotOnDatagram("Accept");
    public virtual void Shutdown(SocketShutdown how) => throw NotOnDatagram("Shutdown");

    /// <summary>Close with a wait for the FIN's ACK; a datagram socket just closes.</summary>
    public virtual void Close(int timeout) => Dispose();

    public virtual bool DontFragment
    {
        get => throw NotOnStream("DontFragment");
        set => throw NotOnStream("DontFragment");
    }

    public virtual bool NoDelay
    {
        get => throw NotOnDatagram("NoDelay");
        set => throw NotOnDatagram("NoDelay");
    }

    public virtual bool Cork
    {
        get => throw NotOnDatagram("Cork");
        set => throw NotOnDatagram("Cork");
    }

    public virtual LingerOption? LingerState
    {
        get => throw NotOnDatagram("LingerState");
        set => throw NotOnDatagram("LingerState");
    }

    public virtual Stack.Tcp.Congestion.CongestionControlKind CongestionControl
    {
        get => throw NotOnDatagram("CongestionControl");
        set => throw NotOnDatagram("CongestionControl");
    }

    /// <summary>The connection under a connected or accepted stream socket; touch it on the loop only.</summary>
    public virtual Stack.Tcp.TcpConnection? Connection => null;

    public abstract int ReceiveBufferSize { get; }
    public abstract int SendBufferSize { get; }
    public abstract bool ReuseAddress { get; }

    // --- Options ---

    public void SetOption(SocketOptionLevel level, SocketOptionName name, int value)
    {
        ObjectDisposedException.ThrowIf(Disposed, this);
        if (TrySetOption(level, name, value)) return;
        switch (level, name)
        {
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

    public int GetOption(SocketOptionLevel level, SocketOptionName name)
    {
        ObjectDisposedException.ThrowIf(Disposed, this);
        return TryGetOption(level, name) ?? (level, name) switch
        {
            (SocketOptionLevel.Socket, SocketOptionName.ReceiveBuffer) => ReceiveBufferSize,
            (SocketOptionLevel.Socket, SocketOptionName.SendBuffer) => SendBufferSize,
            (SocketOptionLevel.Socket, SocketOptionName.ReuseAddress) => ReuseAddress ? 1 : 0,
            (SocketOptionLevel.Socket, SocketOptionName.ReceiveTimeout) => ReceiveTimeout,
            (SocketOptionLevel.Socket, SocketOptionName.SendTimeout) => SendTimeout,
            (SocketOptionLevel.Socket, SocketOptionName.Type) => (int)SocketType,
            _ => throw Unsupported(level, name),
        };
    }

    // --- The synchronous forms: the asynchronous call, waited for off the loop, through a pooled copy ---

    public void Connect(IPEndPoint remoteEP)
    {
        EnsureNotLoop();
        Wait(ConnectAsync(remoteEP, CancellationToken.None));
    }

    /// <summary>send(): in chunks the loop copies from a pooled buffer; fails with TimedOut after <see cref="SendTimeout"/>.</summary>
    public int Send(ReadOnlySpan<byte> buffer) => SendSync(buffer, null);

    public int SendTo(ReadOnlySpan<byte> buffer, IPEndPoint remoteEP)
    {
        ArgumentNullException.ThrowIfNull(remoteEP);
        return SendSync(buffer, remoteEP);
    }

    private int SendSync(ReadOnlySpan<byte> buffer, IPEndPoint? to)
    {
        EnsureNotLoop();
        ObjectDisposedException.ThrowIf(Disposed, this);
        var copy = ArrayPool<byte>.Shared.Rent(Math.Max(SendChunk(buffer.Length), 1));
        try
        {
            int sent = 0;
            do
            {
                int n = Math.Min(buffer.Length - sent, copy.Length);
                buffer.Slice(sent, n).CopyTo(copy);
                var chunk = copy.AsMemory(0, n);
                sent += WaitTimed(token => to is null ? SendAsync(chunk, token) : SendToAsync(chunk, to, token), SendTimeout, "Send");
            }
            while (sent < buffer.Length);
            return sent;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }

    /// <summary>recv(): waits for data (or a datagram, truncated to the buffer); TimedOut after <see cref="ReceiveTimeout"/>.</summary>
    public int Receive(Span<byte> buffer)
    {
        EnsureNotLoop();
        var copy = ArrayPool<byte>.Shared.Rent(Math.Min(Math.Max(buffer.Length, 1), SyncChunk));
        try
        {
            int length = Math.Min(buffer.Length, copy.Length);
            int n = WaitTimed(token => ReceiveAsync(copy.AsMemory(0, length), token), ReceiveTimeout, "Receive");
            copy.AsSpan(0, n).CopyTo(buffer);
            return n;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }

    public int ReceiveFrom(Span<byte> buffer, out IPEndPoint remoteEP)
    {
        EnsureNotLoop();
        int length = buffer.Length;
        var copy = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        try
        {
            SocketReceiveFromResult result = default;
            WaitTimed(async token =>
            {
                result = await ReceiveFromAsync(copy.AsMemory(0, length), token).ConfigureAwait(false);
                return result.ReceivedBytes;
            }, ReceiveTimeout, "ReceiveFrom");
            copy.AsSpan(0, result.ReceivedBytes).CopyTo(buffer);
            remoteEP = (IPEndPoint)result.RemoteEndPoint!;
            return result.ReceivedBytes;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }

    public StackSocket Accept()
    {
        EnsureNotLoop();
        return Wait(AcceptAsync(CancellationToken.None));
    }

    /// <summary>Waits for a call, failing it with TimedOut after <paramref name="milliseconds"/> (0: for ever), on the stack's clock.</summary>
    private int WaitTimed(Func<CancellationToken, ValueTask<int>> call, int milliseconds, string what)
    {
        if (milliseconds <= 0) return Wait(call(CancellationToken.None));
        using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(milliseconds), Loop.Time);
        try
        {
            return Wait(call(timeout.Token));
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new StackSocketException(SocketError.TimedOut, $"{what} did not complete within {milliseconds} ms");
        }
    }

    // --- The way onto the loop ---

    /// <summary>
    /// Runs <paramref name="work"/> on the loop: inline when called there (a service on the loop; nothing can
    /// run between the call and the work, so the order of one thread's calls holds), else posted in line.
    /// </summary>
    protected void OnLoop(Action<Instant> work)
    {
        if (Loop.IsLoopThread) work(Loop.Now);
        else Loop.Post(work);
    }

    /// <summary>
    /// <see cref="OnLoop(Action{Instant})"/> with the work's state passed in: with a static lambda and a state
    /// object that already exists (the socket, its channel, an operation), it allocates nothing, on the loop or off it
    /// (<see cref="EventLoop.Post{TState}"/>).
    /// </summary>
    protected void OnLoop<TState>(Action<Instant, TState> work, TState state)
    {
        if (Loop.IsLoopThread) work(Loop.Now, state);
        else Loop.Post(work, state);
    }

    /// <summary>Runs <paramref name="work"/> on the loop and returns its result: inline there, else waited for.</summary>
    protected T Invoke<T>(Func<Instant, T> work) =>
        Loop.IsLoopThread ? work(Loop.Now) : Loop.InvokeAsync(work).GetAwaiter().GetResult();

    /// <summary>
    /// What the socket's own awaits pass to ConfigureAwait: on the loop thread, resume there through its
    /// context (no hop); elsewhere never capture the caller's context, as a library should not.
    /// </summary>
    protected bool ResumeOnLoop => Loop.IsLoopThread;

    protected (IpAddress Address, ushort Port) Check(IPEndPoint endPoint)
    {
        ObjectDisposedException.ThrowIf(Disposed, this);
        ArgumentNullException.ThrowIfNull(endPoint);
        if (endPoint.AddressFamily != AddressFamily)
            throw new StackSocketException(SocketError.AddressFamilyNotSupported, $"{endPoint} on an {AddressFamily} socket");
        return (IpAddress.FromIPAddress(endPoint.Address), (ushort)endPoint.Port);
    }

    protected T Wait<T>(ValueTask<T> task)
    {
        EnsureNotLoop();
        return task.IsCompletedSuccessfully ? task.Result : task.AsTask().GetAwaiter().GetResult();
    }

    protected void Wait(ValueTask task)
    {
        EnsureNotLoop();
        if (!task.IsCompletedSuccessfully) task.AsTask().GetAwaiter().GetResult();
    }

    protected void EnsureNotLoop()
    {
        if (Loop.IsLoopThread)
            throw new InvalidOperationException("A synchronous socket call on the stack's event loop thread would wait for the loop itself; await the Async method instead.");
    }

    protected static StackSocketException Unsupported(SocketOptionLevel level, SocketOptionName name) =>
        new(SocketError.ProtocolOption, $"Option {level}/{name} is not supported by the stack's sockets (yet)");

    private static StackSocketException NotOnStream(string what) =>
        new(SocketError.OperationNotSupported, $"{what} on a stream socket: use Connect, then Send and Receive");

    private static StackSocketException NotOnDatagram(string what) =>
        new(SocketError.OperationNotSupported, $"{what} on a datagram socket: it needs SocketType.Stream");
}
