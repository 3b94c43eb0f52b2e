using System.Net.Sockets;
using Stack.Sockets.Hosting;
using Stack.IP;
using Stack.Link.Time;
using Stack.Udp;

namespace Stack.Sockets;

/// <summary>A receive waiting on the loop for a datagram: where to copy it, and whom to tell.</summary>
internal sealed class ReceiveOperation(Memory<byte> buffer)
    : TaskCompletionSource<(int Length, IpAddress Source, ushort Port)>(TaskCreationOptions.RunContinuationsAsynchronously)
{
    public Memory<byte> Buffer { get; } = buffer;
}

/// <summary>
/// The loop's half of a datagram <see cref="StackSocket"/>: the UDP endpoint and the receives waiting on it.
/// Every method here runs on the event loop; the socket posts to it and awaits the completion.
/// </summary>
internal sealed class DatagramChannel
{
    private readonly UdpLayer _udp;
    private readonly LinkedList<ReceiveOperation> _waiters = new();

    public DatagramChannel(StackInstance stack, AddressFamily family)
    {
        _udp = stack.Udp;
        Endpoint = _udp.Open(family);
        Endpoint.Readable = OnReadable;
    }

    public UdpEndpoint Endpoint { get; }

    public SocketError Bind(IpAddress address, ushort port) => _udp.Bind(Endpoint, address, port);

    public SocketError Connect(IpAddress address, ushort port) => _udp.Connect(Endpoint, address, port);

    public SocketError SendTo(IpAddress? destination, ushort port, ReadOnlySpan<byte> payload, Instant now)
    {
        if (destination is { } d) return _udp.SendTo(Endpoint, d, port, payload, now);
        if (!Endpoint.IsConnected) return SocketError.NotConnected;
        return _udp.SendTo(Endpoint, Endpoint.RemoteAddress, Endpoint.RemotePort, payload, now);
    }

    /// <summary>Completes at once when a datagram (or an error) is there; otherwise waits in line.</summary>
    public void StartReceive(ReceiveOperation op)
    {
        if (Endpoint.IsClosed)
        {
            op.TrySetException(new StackSocketException(SocketError.OperationAborted));
            return;
        }
        if (_waiters.Count == 0 && TryComplete(op)) return;
        _waiters.AddLast(op);
    }

    /// <summary>A cancelled receive leaves the line; if a datagram already completed it, nothing is lost.</summary>
    public void Cancel(ReceiveOperation op, CancellationToken token)
    {
        if (_waiters.Remove(op)) op.TrySetCanceled(token);
    }

    public void Close()
    {
        _udp.Close(Endpoint);
        Endpoint.Readable = null;
        while (_waiters.First is { } first)
        {
            _waiters.RemoveFirst();
            first.Value.TrySetException(new StackSocketException(SocketError.OperationAborted));
        }
    }

    private void OnReadable(UdpEndpoint endpoint)
    {
        while (_waiters.First is { } first && TryComplete(first.Value)) _waiters.RemoveFirst();
    }

    /// <summary>Hands the oldest datagram, or the pending ICMP error, to <paramref name="op"/>.</summary>
    private bool TryComplete(ReceiveOperation op)
    {
        if (Endpoint.PendingError != SocketError.Success)
        {
            op.TrySetException(new StackSocketException(Endpoint.TakeError()));
            return true;
        }
        if (!Endpoint.TryReceive(op.Buffer.Span, out var datagram, out int copied)) return false;
        op.TrySetResult((copied, datagram.Source, datagram.SourcePort));
        return true;
    }
}
