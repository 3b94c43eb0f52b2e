using System.Net;
using System.Net.Sockets;
using Stack.Sockets.Hosting;
using Stack.Tcp;
using Stack.Tcp.Congestion;

namespace Stack.Sockets;

/// <summary>
/// A socket on a <see cref="StackInstance"/>, shaped like <see cref="Socket"/>: Bind, Connect, SendTo,
/// ReceiveFrom, Send, Receive, options, and errors as <see cref="StackSocketException"/> with a
/// <see cref="SocketError"/>. Datagram (UDP) and stream (TCP) sockets: one facade over two implementations
/// (Core/DatagramSocketCore.cs, Core/StreamSocketCore.cs); a call the socket's kind cannot make fails with
/// OperationNotSupported, as <see cref="Socket"/> does.
/// </summary>
/// <remarks>
/// <para>Every call posts a request to the stack's event loop, which owns all protocol state, and awaits its
/// completion; for callers on other threads, continuations never run on the loop thread. A receive with nothing
/// queued waits in line on the loop, which copies the next datagram or the stream's data straight into the
/// caller's buffer and completes it.</para>
/// <para>On the loop thread a call does its loop work inline and resumes on the loop; the synchronous calls that
/// wait for the network throw there. The rules for every thread: docs/threading.md.</para>
/// <para>Allocation: each socket keeps one reusable completion (an
/// <see cref="System.Threading.Tasks.Sources.IValueTaskSource{TResult}"/>) per direction, so a steady run of
/// sends and receives allocates nothing per call, except the sender's <see cref="IPEndPoint"/> of a
/// <see cref="ReceiveFromAsync"/>; connect and accept cost a task each. A datagram is copied from the frame into a
/// pooled buffer in the endpoint's queue, and from there into the caller's buffer.</para>
/// <para>Stream sockets: a send waits on the loop until every byte is in the connection's send buffer (partial
/// writes go on as the window opens, like a blocking BSD send); a receive waits until data, the end of the
/// stream (0) or the connection's error. The loop reads and writes the caller's memory in place.</para>
/// <para>Calls on one socket take effect in the order they are made (the loop's queue is FIFO), so Dispose
/// followed by a Bind of the same port on a new socket works without waiting.</para>
/// </remarks>
public sealed class StackSocket : IDisposable, IAsyncDisposable
{
    private readonly SocketCore _core;

    internal StackSocket(SocketCore core) => _core = core;

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
            SocketType.Dgram => new StackSocket(new DatagramSocketCore(stack, family)),
            SocketType.Stream => new StackSocket(new StreamSocketCore(stack, family)),
            _ => throw new NotSupportedException($"The stack's sockets are Dgram (UDP) or Stream (TCP), not {type}."),
        };
    }

    public AddressFamily AddressFamily => _core.AddressFamily;
    public SocketType SocketType => _core.SocketType;
    public ProtocolType ProtocolType => SocketType == SocketType.Dgram ? ProtocolType.Udp : ProtocolType.Tcp;

    /// <summary>The bound address and port; null until Bind, Connect or the first send.</summary>
    public IPEndPoint? LocalEndPoint => _core.Local;

    /// <summary>The connected peer; null unless connected.</summary>
    public IPEndPoint? RemoteEndPoint => _core.Remote;

    public bool IsBound => _core.Local is not null;
    public bool Connected => _core.Remote is not null;

    /// <summary>The connection under a connected or accepted stream socket; touch it on the loop only.</summary>
    internal TcpConnection? Connection => _core.Connection;

    /// <summary>
    /// SO_RCVBUF in bytes. UDP (default 212992, as Linux): datagrams arriving at a full queue are dropped. TCP
    /// (default 256 KiB): the receive window; set it before Connect or Listen.
    /// </summary>
    public int ReceiveBufferSize
    {
        get => _core.ReceiveBufferSize;
        set => SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReceiveBuffer, value);
    }

    /// <summary>SO_SNDBUF in bytes. UDP sends never wait in a buffer; as on Linux, a datagram whose fragments
    /// outgrow twice the doubled value fails with NoBufferSpaceAvailable (ENOBUFS). TCP (default 256 KiB): set
    /// it before Connect or Listen.</summary>
    public int SendBufferSize
    {
        get => _core.SendBufferSize;
        set => SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.SendBuffer, value);
    }

    /// <summary>
    /// UDP: IP_MTU_DISCOVER = IP_PMTUDISC_DO (IPv4) or IPV6_DONTFRAG (IPv6), as <see cref="Socket.DontFragment"/>:
    /// a datagram over the path MTU fails with MessageSize (EMSGSIZE) instead of being fragmented.
    /// </summary>
    public bool DontFragment
    {
        get => _core.DontFragment;
        set => _core.DontFragment = value;
    }

    /// <summary>SO_REUSEADDR: allows binding a port that other sockets with this option hold. Set before Bind.</summary>
    public bool ReuseAddress
    {
        get => _core.ReuseAddress;
        set => SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, value);
    }

    /// <summary>
    /// Milliseconds the synchronous receives wait before failing with TimedOut; 0 (default) waits for ever. Timed
    /// on the stack's clock (<see cref="Stack.Link.Loop.EventLoop.Time"/>), as are <see cref="SendTimeout"/> and Close(timeout).
    /// </summary>
    public int ReceiveTimeout
    {
        get => _core.ReceiveTimeout;
        set => SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReceiveTimeout, value);
    }

    /// <summary>Milliseconds the synchronous sends may wait; 0 waits for ever. UDP sends do not wait.</summary>
    public int SendTimeout
    {
        get => _core.SendTimeout;
        set => SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.SendTimeout, value);
    }

    /// <summary>TCP_NODELAY: small segments go at once instead of waiting for outstanding data's ACK (Nagle). Any time.</summary>
    public bool NoDelay
    {
        get => _core.NoDelay;
        set => _core.NoDelay = value;
    }

    /// <summary>
    /// TCP_CORK: a segment shorter than a full one waits until the socket is uncorked or closes (what waits then
    /// leaves with the FIN), or the probe timer fires with nothing in flight. Any time; accepted sockets take
    /// their listener's.
    /// </summary>
    public bool Cork
    {
        get => _core.Cork;
        set => _core.Cork = value;
    }

    /// <summary>
    /// SO_LINGER. Enabled with a time of 0 makes Close abortive: a RST, and queued data is dropped. Other
    /// settings close gracefully (Close never blocks; see <see cref="Close(int)"/> to wait for the peer's ACK).
    /// </summary>
    public LingerOption? LingerState
    {
        get => _core.LingerState;
        set => _core.LingerState = value;
    }

    /// <summary>
    /// TCP_CONGESTION: the congestion control of this socket's connections (CUBIC by default; NewReno). Set it
    /// before Connect or Listen; accepted sockets take their listener's.
    /// </summary>
    public CongestionControlKind CongestionControl
    {
        get => _core.CongestionControl;
        set => _core.CongestionControl = value;
    }

    public void Bind(IPEndPoint localEP) => _core.Bind(localEP);

    /// <summary>
    /// For UDP: sets the default destination and accepts datagrams only from it. Binds first if needed. For TCP:
    /// the three-way handshake; fails with ConnectionRefused (RST), TimedOut (after the TCP connect timeout),
    /// HostUnreachable or NetworkUnreachable.
    /// </summary>
    public void Connect(IPEndPoint remoteEP) => _core.Connect(remoteEP);

    public ValueTask ConnectAsync(IPEndPoint remoteEP, CancellationToken cancellationToken = default) =>
        _core.ConnectAsync(remoteEP, cancellationToken);

    /// <summary>
    /// listen(): accepts connections on the bound address and port (wildcard and an ephemeral port when not
    /// bound). <paramref name="backlog"/> bounds the queue of connections waiting for Accept.
    /// </summary>
    public void Listen(int backlog = 128) => _core.Listen(backlog);

    /// <summary>accept(): waits for a connection and returns it as a connected socket.</summary>
    public StackSocket Accept() => _core.Accept();

    public ValueTask<StackSocket> AcceptAsync(CancellationToken cancellationToken = default) => _core.AcceptAsync(cancellationToken);

    public int SendTo(ReadOnlySpan<byte> buffer, IPEndPoint remoteEP) => _core.SendTo(buffer, remoteEP);

    /// <summary>Sends one datagram; returns its length. The loop reads <paramref name="buffer"/> in place.</summary>
    public ValueTask<int> SendToAsync(ReadOnlyMemory<byte> buffer, IPEndPoint remoteEP, CancellationToken cancellationToken = default) =>
        _core.SendToAsync(buffer, remoteEP, cancellationToken);

    /// <summary>Sends to the connected peer. TCP: returns when every byte is queued (see <see cref="SendTimeout"/>).</summary>
    public int Send(ReadOnlySpan<byte> buffer) => _core.Send(buffer);

    public ValueTask<int> SendAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        _core.SendAsync(buffer, cancellationToken);

    /// <summary>
    /// Waits for one datagram and copies it into <paramref name="buffer"/>; a longer datagram is truncated (the
    /// rest discarded, as recvfrom does). Fails with TimedOut after <see cref="ReceiveTimeout"/>.
    /// </summary>
    public int ReceiveFrom(Span<byte> buffer, out IPEndPoint remoteEP) => _core.ReceiveFrom(buffer, out remoteEP);

    /// <summary>Waits for one datagram, which the loop copies straight into <paramref name="buffer"/>.</summary>
    public ValueTask<SocketReceiveFromResult> ReceiveFromAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _core.ReceiveFromAsync(buffer, cancellationToken);

    /// <summary>Receives from the connected peer. TCP: waits for data; 0 means the peer closed (end of stream).</summary>
    public int Receive(Span<byte> buffer) => _core.Receive(buffer);

    public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _core.ReceiveAsync(buffer, cancellationToken);

    /// <summary>shutdown(): Send queues a FIN after the data (half-close, seed §2.6); Receive makes later receives return 0.</summary>
    public void Shutdown(SocketShutdown how) => _core.Shutdown(how);

    /// <summary>A <see cref="Stream"/> over this connected stream socket; disposing it closes the socket when <paramref name="ownsSocket"/>.</summary>
    public StackNetworkStream GetStream(bool ownsSocket = false)
    {
        ObjectDisposedException.ThrowIf(_core.Disposed, this);
        if (SocketType != SocketType.Stream)
            throw new StackSocketException(SocketError.OperationNotSupported, "GetStream on a datagram socket: it needs SocketType.Stream");
        return new StackNetworkStream(this, ownsSocket);
    }

    /// <summary>
    /// Sets an option. Supported: Socket/ReceiveBuffer, SendBuffer, ReuseAddress, ReceiveTimeout, SendTimeout;
    /// for UDP IP or IPv6/IpTimeToLive (the hop limit of what this socket sends; 0 restores the default) and
    /// IP or IPv6/DontFragment (<see cref="DontFragment"/>); for
    /// TCP Socket/KeepAlive, Tcp/TcpKeepAliveTime, TcpKeepAliveInterval, TcpKeepAliveRetryCount (any time, as Linux) and Tcp/NoDelay.
    /// </summary>
    public void SetSocketOption(SocketOptionLevel optionLevel, SocketOptionName optionName, int optionValue) =>
        _core.SetOption(optionLevel, optionName, optionValue);

    public void SetSocketOption(SocketOptionLevel optionLevel, SocketOptionName optionName, bool optionValue) =>
        SetSocketOption(optionLevel, optionName, optionValue ? 1 : 0);

    /// <summary>
    /// The object-valued options, as <see cref="Socket.SetSocketOption(SocketOptionLevel, SocketOptionName, object)"/>
    /// takes them: IP/AddMembership and DropMembership with a <see cref="MulticastOption"/>, IPv6/AddMembership and
    /// DropMembership with an <see cref="IPv6MulticastOption"/> (IP_ADD_MEMBERSHIP, IPV6_JOIN_GROUP: a UDP socket
    /// then receives datagrams sent to the group on its port; the stack has one interface, so the option's
    /// interface is not used), and Socket/Linger with a <see cref="LingerOption"/>. With the int options
    /// IP or IPv6/MulticastTimeToLive (default 1) and MulticastLoopback (default on) shape what it sends to groups.
    /// </summary>
    public void SetSocketOption(SocketOptionLevel optionLevel, SocketOptionName optionName, object optionValue)
    {
        ArgumentNullException.ThrowIfNull(optionValue);
        switch (optionLevel, optionName, optionValue)
        {
            case (SocketOptionLevel.IP, SocketOptionName.AddMembership or SocketOptionName.DropMembership, MulticastOption m):
                _core.SetMembership(optionName == SocketOptionName.AddMembership, m.Group);
                break;
            case (SocketOptionLevel.IPv6, SocketOptionName.AddMembership or SocketOptionName.DropMembership, IPv6MulticastOption m):
                _core.SetMembership(optionName == SocketOptionName.AddMembership, m.Group);
                break;
            case (SocketOptionLevel.Socket, SocketOptionName.Linger, LingerOption linger):
                LingerState = linger;
                break;
            default:
                throw new StackSocketException(SocketError.ProtocolOption,
                    $"Option {optionLevel}/{optionName} with a {optionValue.GetType().Name} is not supported by the stack's sockets");
        }
    }

    /// <summary>
    /// Reads an option: those <see cref="SetSocketOption(SocketOptionLevel, SocketOptionName, int)"/> takes (a
    /// hop limit of 0 means the host's default), Socket/Type, and Socket/Error (which clears a pending error).
    /// </summary>
    public int GetSocketOption(SocketOptionLevel optionLevel, SocketOptionName optionName) => _core.GetOption(optionLevel, optionName);

    /// <summary>
    /// Closes the socket: frees its port and fails waiting calls with OperationAborted. TCP: a graceful close
    /// (queued data, then a FIN, finished by the stack in the background), or a RST when
    /// <see cref="LingerState"/> is enabled with a time of 0 (or when received data was left unread, as Linux).
    /// </summary>
    public void Close() => Dispose();

    /// <summary>
    /// Closes gracefully and waits up to <paramref name="timeout"/> ms for the queued data and the FIN to be
    /// acknowledged (as <see cref="Socket.Close(int)"/>), so a process may exit right after. UDP: as Close.
    /// </summary>
    public void Close(int timeout) => _core.Close(timeout);

    public void Dispose() => _core.Dispose();

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    public override string ToString() =>
        $"{ProtocolType} socket {LocalEndPoint?.ToString() ?? "(unbound)"}" + (RemoteEndPoint is { } r ? $" -> {r}" : "");
}
