using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.AspNetCore.Connections;
using Stack.Sockets;
using Stack.Sockets.Hosting;

namespace Stack.AspNetCore;

/// <summary>
/// A Kestrel endpoint on the stack: one listening socket, or two for the IPv6 wildcard, which takes both families
/// as Linux's [::] does (bindv6only 0) and as Kestrel's ListenAnyIP expects; the stack's own sockets are one family
/// each. Accept loops hand connections to <see cref="AcceptAsync"/> in the order they complete.
/// </summary>
internal sealed class StackConnectionListener : IConnectionListener
{
    private readonly StackInstance _stack;
    private readonly StackSocket[] _sockets;
    private readonly StackTransportOptions _options;
    private readonly Channel<StackSocket> _accepted = Channel.CreateUnbounded<StackSocket>(new UnboundedChannelOptions { SingleReader = false });
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _loops;

    private StackConnectionListener(StackInstance stack, StackSocket[] sockets, EndPoint endPoint, StackTransportOptions options)
    {
        _stack = stack;
        _sockets = sockets;
        _options = options;
        EndPoint = endPoint;
        _loops = [.. sockets.Select(AcceptLoop)];
    }

    public EndPoint EndPoint { get; }

    public static StackConnectionListener Bind(StackInstance stack, IPEndPoint endPoint, StackTransportOptions options)
    {
        var first = Listen(stack, endPoint, options);
        var bound = first.LocalEndPoint!;
        if (!endPoint.Address.Equals(IPAddress.IPv6Any)) return new StackConnectionListener(stack, [first], bound, options);
        try
        {
            // The IPv4 half takes the port the IPv6 one has (chosen there when port 0 was asked for).
            var second = Listen(stack, new IPEndPoint(IPAddress.Any, bound.Port), options);
            return new StackConnectionListener(stack, [first, second], bound, options);
        }
        catch
        {
            first.Dispose();
            throw;
        }
    }

    private static StackSocket Listen(StackInstance stack, IPEndPoint endPoint, StackTransportOptions options)
    {
        var socket = StackSocket.Create(stack, endPoint.AddressFamily, SocketType.Stream);
        try
        {
            socket.NoDelay = options.NoDelay; // the connections it accepts take it
            socket.Bind(endPoint);
            socket.Listen(options.Backlog);
            return socket;
        }
        catch (StackSocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            socket.Dispose();
            throw new AddressInUseException(e.Message, e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private async Task AcceptLoop(StackSocket listener)
    {
        try
        {
            while (true)
            {
                var socket = await listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
                if (!_accepted.Writer.TryWrite(socket)) socket.Dispose();
            }
        }
        catch (Exception e) when (e is OperationCanceledException or StackSocketException or ObjectDisposedException)
        {
            // Unbound or closed.
        }
    }

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            var socket = await _accepted.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var connection = new StackConnection(socket, _options, _options.PumpOnLoop ? _stack.Loop : null);
            connection.Start();
            return connection;
        }
        catch (ChannelClosedException)
        {
            return null; // Unbound: Kestrel stops accepting here.
        }
    }

    /// <summary>Stops listening; connections already accepted go on.</summary>
    public async ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        if (_stop.IsCancellationRequested) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (var socket in _sockets) socket.Dispose();
        await Task.WhenAll(_loops).ConfigureAwait(false);
        _accepted.Writer.TryComplete();
        // Connections accepted but never handed to Kestrel are closed.
        while (_accepted.Reader.TryRead(out var orphan)) orphan.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await UnbindAsync().ConfigureAwait(false);
        _stop.Dispose();
    }
}
