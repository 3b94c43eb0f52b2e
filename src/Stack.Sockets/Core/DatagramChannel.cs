using System.Net.Sockets;
using Stack.Sockets.Hosting;
using Stack.IP;
using Stack.Link.Time;
using Stack.Udp;

namespace Stack.Sockets;

/// <summary>What a datagram receive gives: the bytes copied, and the sender.</summary>
internal readonly record struct DatagramReceipt(int Length, IpAddress Source, ushort Port);

/// <summary>A receive waiting on the loop for a datagram: where to copy it. Reused call after call (<see cref="LoopOperation{TResult}"/>).</summary>
internal sealed class DatagramReceive(OperationSlot<DatagramReceive> home, DatagramChannel channel) : LoopOperation<DatagramReceipt>
{
    public DatagramChannel Channel => channel;

    public Memory<byte> Buffer { get; set; }
    protected override void Clear() => Buffer = default;
    protected override void Release() => home.Put(this);
}

/// <summary>A send handed to the loop by a caller on another thread: the datagram and where it goes (none: the connected peer).</summary>
internal sealed class DatagramSend(OperationSlot<DatagramSend> home, DatagramSocketCore socket) : LoopOperation<int>
{
    public DatagramSocketCore Socket => socket;

    public ReadOnlyMemory<byte> Buffer { get; set; }
    public IpAddress? Destination { get; set; }
    public ushort Port { get; set; }

    protected override void Clear()
    {
        Buffer = default;
        Destination = null;
    }

    protected override void Release() => home.Put(this);
}

/// <summary>
/// The loop's half of a datagram <see cref="StackSocket"/>: the UDP endpoint and the receives waiting on it.
/// Every method here runs on the event loop; the socket posts to it and awaits the completion.
/// </summary>
internal sealed class DatagramChannel
{
    private readonly UdpLayer _udp;
    private OperationLine<DatagramReceive> _waiters; // a struct changed in place: never copied out

    public DatagramChannel(StackInstance stack, AddressFamily family)
    {
        _udp = stack.Udp;
        Endpoint = _udp.Open(family);
        Endpoint.Readable = OnReadable;
    }

    public UdpEndpoint Endpoint { get; }

    public SocketError Bind(IpAddress address, ushort port) => _udp.Bind(Endpoint, address, port);

    public SocketError Connect(IpAddress address, ushort port) => _udp.Connect(Endpoint, address, port);

    /// <summary>Completes a send with its datagram's length or the error.</summary>
    public static void Complete(DatagramSend op, SocketError error)
    {
        if (error == SocketError.Success) op.Succeed(op.Buffer.Length);
        else op.Fail(new StackSocketException(error, op.Destination is { } d ? $"Send to {d} port {op.Port}" : "Send"));
    }

    public SocketError SendTo(IpAddress? destination, ushort port, ReadOnlySpan<byte> payload, Instant now)
    {
        if (destination is { } d) return _udp.SendTo(Endpoint, d, port, payload, now);
        if (!Endpoint.IsConnected) return SocketError.NotConnected;
        return _udp.SendTo(Endpoint, Endpoint.RemoteAddress, Endpoint.RemotePort, payload, now);
    }

    /// <summary>Completes at once when a datagram (or an error) is there; otherwise waits in line.</summary>
    public void StartReceive(DatagramReceive op)
    {
        if (Endpoint.IsClosed)
        {
            op.Fail(new StackSocketException(SocketError.OperationAborted));
            return;
        }
        if (_waiters.Count == 0 && TryComplete(op)) return;
        _waiters.AddLast(op);
    }

    /// <summary>A cancelled receive leaves the line; if a datagram already completed it, nothing is lost.</summary>
    public void Cancel(DatagramReceive op, short version, CancellationToken token)
    {
        if (op.IsPending(version) && _waiters.Remove(op)) op.Fail(new OperationCanceledException(token));
    }

    public void Close()
    {
        _udp.Close(Endpoint);
        Endpoint.Readable = null;
        while (_waiters.First is { } first)
        {
            _waiters.Remove(first);
            first.Fail(new StackSocketException(SocketError.OperationAborted));
        }
    }

    private void OnReadable(UdpEndpoint endpoint)
    {
        while (_waiters.First is { } first && TryComplete(first)) _waiters.Remove(first);
    }

    /// <summary>Hands the oldest datagram, or the pending ICMP error, to <paramref name="op"/>.</summary>
    private bool TryComplete(DatagramReceive op)
    {
        if (Endpoint.PendingError != SocketError.Success)
        {
            op.Fail(new StackSocketException(Endpoint.TakeError()));
            return true;
        }
        if (!Endpoint.TryReceive(op.Buffer.Span, out var datagram, out int copied)) return false;
        op.Succeed(new DatagramReceipt(copied, datagram.Source, datagram.SourcePort));
        return true;
    }
}
