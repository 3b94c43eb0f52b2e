using System.Net.Sockets;
using Stack.Sockets.Hosting;
using Stack.Sockets;

namespace Stack.Apps.Commands;

/// <summary>What the TCP forms of the client commands share: a bounded connect.</summary>
internal static class StreamClient
{
    /// <summary>
    /// A connected stream socket to <paramref name="options"/>' server; fails with the refusal (RST) at once, or
    /// TimedOut when the handshake has not finished within the command's timeout.
    /// </summary>
    public static StackSocket Connect(StackInstance stack, ClientArgs options)
    {
        var socket = StackSocket.Create(stack, options.Server.AddressFamily, SocketType.Stream);
        using var timeout = new CancellationTokenSource(options.Timeout);
        try
        {
            socket.ConnectAsync(options.Server, timeout.Token).AsTask().GetAwaiter().GetResult();
            return socket;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            socket.Dispose();
            throw new StackSocketException(SocketError.TimedOut, $"no connection within {options.Timeout.TotalSeconds:0} s");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
