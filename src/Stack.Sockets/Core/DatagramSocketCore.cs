using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Stack.IP;
using Stack.Link.Time;
using Stack.Sockets.Hosting;
using Stack.Udp;

namespace Stack.Sockets;

/// <summary>
/// A datagram (UDP) <see cref="StackSocket"/>: requests to its <see cref="DatagramChannel"/> on the loop. Sends
/// and receives each reuse one operation (<see cref="LoopOperation{TResult}"/>), so a steady exchange allocates
/// nothing per call but the sender's <see cref="IPEndPoint"/> on a receive.
/// </summary>
internal sealed class DatagramSocketCore : SocketCore
{
    private readonly DatagramChannel _channel;
    private readonly OperationSlot<DatagramReceive> _receives = new();
    private readonly OperationSlot<DatagramSend> _sends = new();
    private int _receiveBufferSize = UdpEndpoint.DefaultReceiveBufferSize;
    private int _sendBufferSize = UdpEndpoint.DefaultSendBufferSize;
    private bool _reuseAddress;
    private int _ttl;
    private bool _dontFragment;
    private int _multicastHops = UdpLayer.DefaultMulticastHopLimit;
    private bool _multicastLoopback = true;

    private readonly Action<LoopOperation<DatagramReceipt>, short, CancellationToken> _cancelReceive;

    public DatagramSocketCore(StackInstance stack, AddressFamily family) : base(stack, family)
    {
        _channel = new DatagramChannel(stack, family);
        _cancelReceive = (op, version, token) => _channel.Cancel((DatagramReceive)op, version, token);
    }

    public override SocketType SocketType => SocketType.Dgram;
    public override int ReceiveBufferSize => _receiveBufferSize;
    public override int SendBufferSize => _sendBufferSize;
    public override bool ReuseAddress => _reuseAddress;

    public override bool DontFragment
    {
        get => _dontFragment;
        set => SetOption(AddressFamily == AddressFamily.InterNetworkV6 ? SocketOptionLevel.IPv6 : SocketOptionLevel.IP,
            SocketOptionName.DontFragment, value ? 1 : 0);
    }

    public override void Bind(IPEndPoint localEP)
    {
        var (address, port) = Check(localEP);
        var error = Invoke(_ => Request(_channel.Bind(address, port)));
        if (error != SocketError.Success) throw new StackSocketException(error, $"Bind to {localEP}");
    }

    public override async ValueTask ConnectAsync(IPEndPoint remoteEP, CancellationToken cancellationToken)
    {
        var (address, port) = Check(remoteEP);
        cancellationToken.ThrowIfCancellationRequested();
        var error = Loop.IsLoopThread
            ? Request(_channel.Connect(address, port))
            : await Loop.InvokeAsync(_ => Request(_channel.Connect(address, port))).ConfigureAwait(false);
        if (error != SocketError.Success) throw new StackSocketException(error, $"Connect to {remoteEP}");
    }

    /// <summary>Sends one datagram; returns its length. The loop reads <paramref name="buffer"/> in place.</summary>
    public override ValueTask<int> SendToAsync(ReadOnlyMemory<byte> buffer, IPEndPoint remoteEP, CancellationToken cancellationToken)
    {
        var (address, port) = Check(remoteEP);
        return Send(buffer, address, port, cancellationToken);
    }

    public override ValueTask<int> SendAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Disposed, this);
        return Send(buffer, null, 0, cancellationToken);
    }

    private ValueTask<int> Send(ReadOnlyMemory<byte> buffer, IpAddress? destination, ushort port, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested) return ValueTask.FromCanceled<int>(cancellationToken);
        var op = _sends.TryTake() ?? new DatagramSend(_sends, this);
        op.Buffer = buffer;
        op.Destination = destination;
        op.Port = port;
        OnLoop(static (now, op) => op.Socket.Transmit(op, now), op);
        // A UDP send never waits on the loop, so there is nothing to cancel once it is handed over.
        return op.Await(Loop, static (_, _, _) => { }, CancellationToken.None);
    }

    // The endpoints are published before the send completes: its caller may read LocalEndPoint next.
    internal void Transmit(DatagramSend op, Instant now)
    {
        var error = _channel.SendTo(op.Destination, op.Port, op.Buffer.Span, now);
        Publish();
        DatagramChannel.Complete(op, error);
    }

    /// <summary>Waits for one datagram, which the loop copies straight into <paramref name="buffer"/>.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<SocketReceiveFromResult> ReceiveFromAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var (length, source, port) = await Receive(buffer, cancellationToken).ConfigureAwait(ResumeOnLoop);
        return new SocketReceiveFromResult { ReceivedBytes = length, RemoteEndPoint = new IPEndPoint(source.ToIPAddress(), port) };
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Disposed, this);
        if (Remote is null) throw new StackSocketException(SocketError.NotConnected);
        var receipt = await Receive(buffer, cancellationToken).ConfigureAwait(ResumeOnLoop);
        return receipt.Length;
    }

    private ValueTask<DatagramReceipt> Receive(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Disposed, this);
        if (Local is null)
            throw new InvalidOperationException("Bind the socket (or send or connect from it) before receiving: an unbound socket has no port to receive on.");
        if (cancellationToken.IsCancellationRequested) return ValueTask.FromCanceled<DatagramReceipt>(cancellationToken);
        var op = _receives.TryTake() ?? new DatagramReceive(_receives, _channel);
        op.Buffer = buffer;
        OnLoop(static (_, op) => op.Channel.StartReceive(op), op);
        return op.Await(Loop, _cancelReceive, cancellationToken);
    }

    protected override bool TrySetOption(SocketOptionLevel level, SocketOptionName name, int value)
    {
        var endpoint = _channel.Endpoint;
        switch (level, name)
        {
            case (SocketOptionLevel.Socket, SocketOptionName.ReceiveBuffer):
                ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(value));
                _receiveBufferSize = value;
                OnLoop(_ => endpoint.ReceiveBufferSize = value);
                return true;
            case (SocketOptionLevel.Socket, SocketOptionName.SendBuffer):
                ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(value));
                _sendBufferSize = value;
                OnLoop(_ => endpoint.SendBufferSize = UdpEndpoint.FromSoSndBuf(value));
                return true;
            case (SocketOptionLevel.Socket, SocketOptionName.ReuseAddress):
                if (Local is not null) throw new InvalidOperationException("Set ReuseAddress before Bind: it decides whether the bind may share a port.");
                bool reuse = _reuseAddress = value != 0;
                OnLoop(_ => endpoint.ReuseAddress = reuse);
                return true;
            case (SocketOptionLevel.IP or SocketOptionLevel.IPv6, SocketOptionName.IpTimeToLive):
                ArgumentOutOfRangeException.ThrowIfNegative(value, nameof(value));
                ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 255, nameof(value));
                _ttl = value;
                byte? hops = value == 0 ? null : (byte)value;
                OnLoop(_ => endpoint.HopLimit = hops);
                return true;
            case (SocketOptionLevel.IP or SocketOptionLevel.IPv6, SocketOptionName.MulticastTimeToLive):
                ArgumentOutOfRangeException.ThrowIfNegative(value, nameof(value));
                ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 255, nameof(value));
                byte multicastHops = (byte)(_multicastHops = value);
                OnLoop(_ => endpoint.MulticastHopLimit = multicastHops);
                return true;
            case (SocketOptionLevel.IP or SocketOptionLevel.IPv6, SocketOptionName.MulticastLoopback):
                bool loopback = _multicastLoopback = value != 0;
                OnLoop(_ => endpoint.MulticastLoopback = loopback);
                return true;
            case (SocketOptionLevel.IP or SocketOptionLevel.IPv6, SocketOptionName.DontFragment):
                bool dontFragment = _dontFragment = value != 0;
                OnLoop(_ => endpoint.DontFragment = dontFragment);
                return true;
            default:
                return false;
        }
    }

    protected override int? TryGetOption(SocketOptionLevel level, SocketOptionName name) => (level, name) switch
    {
        (SocketOptionLevel.Socket, SocketOptionName.Error) => (int)Invoke(_ => _channel.Endpoint.TakeError()),
        (SocketOptionLevel.IP or SocketOptionLevel.IPv6, SocketOptionName.IpTimeToLive) => _ttl,
        (SocketOptionLevel.IP or SocketOptionLevel.IPv6, SocketOptionName.DontFragment) => _dontFragment ? 1 : 0,
        (SocketOptionLevel.IP or SocketOptionLevel.IPv6, SocketOptionName.MulticastTimeToLive) => _multicastHops,
        (SocketOptionLevel.IP or SocketOptionLevel.IPv6, SocketOptionName.MulticastLoopback) => _multicastLoopback ? 1 : 0,
        _ => null,
    };

    /// <summary>
    /// IP_ADD_MEMBERSHIP / IPV6_JOIN_GROUP (and the drops): the endpoint receives datagrams to <paramref name="group"/>
    /// on its port, and the host reports the group (MLD, IGMP) while any endpoint holds it. Errors as Linux's setsockopt.
    /// </summary>
    public override void SetMembership(bool join, IPAddress group)
    {
        ObjectDisposedException.ThrowIf(Disposed, this);
        ArgumentNullException.ThrowIfNull(group);
        var address = IpAddress.FromIPAddress(group);
        var endpoint = _channel.Endpoint;
        var udp = Stack.Udp;
        var error = Invoke(now => join ? udp.JoinGroup(endpoint, address, now) : udp.LeaveGroup(endpoint, address, now));
        if (error != SocketError.Success)
            throw new StackSocketException(error, $"{(join ? "Join" : "Leave")} group {group}");
    }

    /// <summary>A datagram goes whole: one loop request, however long.</summary>
    protected override int SendChunk(int length) => length;

    public override void Dispose()
    {
        if (Disposed) return;
        Disposed = true;
        OnLoop(_ => _channel.Close());
    }

    /// <summary>On the loop: the request's error, after publishing the endpoints it may have changed.</summary>
    private SocketError Request(SocketError error)
    {
        Publish();
        return error;
    }

    /// <summary>On the loop: publishes the endpoint's addresses to callers on other threads (as immutable objects).</summary>
    private void Publish()
    {
        var e = _channel.Endpoint;
        if (e.IsBound && (Local is not { } l || l.Port != e.LocalPort || IpAddress.FromIPAddress(l.Address) != e.LocalAddress))
            Local = new IPEndPoint(e.LocalAddress.ToIPAddress(), e.LocalPort);
        if (e.IsConnected && (Remote is not { } r || r.Port != e.RemotePort || IpAddress.FromIPAddress(r.Address) != e.RemoteAddress))
            Remote = new IPEndPoint(e.RemoteAddress.ToIPAddress(), e.RemotePort);
    }
}
