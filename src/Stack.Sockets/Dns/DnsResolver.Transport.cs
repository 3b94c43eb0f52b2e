using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Stack.Sockets.Dns.Wire;

namespace Stack.Sockets.Dns;

/// <summary>One try at one server: over UDP (RFC 1035 §4.2.1), or over TCP after a truncated answer (§4.2.2, RFC 7766).</summary>
public sealed partial class DnsResolver
{
    /// <summary>Binding a random port that is taken is tried again this often before the stack picks one.</summary>
    private const int PortTries = 8;

    private const int FirstEphemeralPort = 49152;

    /// <summary>
    /// Sends the query from a new socket on a random port and waits for its answer; null when none comes in time.
    /// Messages that do not answer it are counted and ignored, and the wait goes on (RFC 5452 §9.1). The socket is
    /// not connected, so a stray datagram from elsewhere reaches it and is counted rather than refused by UDP.
    /// </summary>
    private async ValueTask<DnsMessage?> ExchangeUdpAsync(IPEndPoint server, DnsQuestion question, DnsResolverOptions options,
        CancellationToken cancellationToken)
    {
        var exchange = new DnsExchange(NextId(options), question, server);
        using var timeout = new CancellationTokenSource(options.Timeout, _stack.Loop.Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var buffer = ArrayPool<byte>.Shared.Rent(UdpMaxAnswer);
        try
        {
            using var socket = StackSocket.Create(_stack, server.AddressFamily, SocketType.Dgram);
            BindRandomPort(socket, server.AddressFamily, options);
            await socket.SendToAsync(exchange.Query(), server, linked.Token).ConfigureAwait(false);
            Statistics.UdpQuery();
            while (true)
            {
                var received = await socket.ReceiveFromAsync(buffer, linked.Token).ConfigureAwait(false);
                var reason = exchange.Check(buffer.AsSpan(0, received.ReceivedBytes), (IPEndPoint)received.RemoteEndPoint, out var response);
                if (reason == DnsRejectReason.None) return response;
                Statistics.Reject(reason);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        catch (StackSocketException)
        {
            // No route to this server, or its port refused: the next server may do better.
            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Asks again over a TCP connection to the same server, with a new ID: a two-byte length, then the message,
    /// each way. Null when the connection or the answer fails or takes longer than the timeout.
    /// </summary>
    private async ValueTask<DnsMessage?> ExchangeTcpAsync(IPEndPoint server, DnsQuestion question, DnsResolverOptions options,
        CancellationToken cancellationToken)
    {
        var exchange = new DnsExchange(NextId(options), question, server);
        using var timeout = new CancellationTokenSource(options.Timeout, _stack.Loop.Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var socket = StackSocket.Create(_stack, server.AddressFamily, SocketType.Stream);
        try
        {
            await socket.ConnectAsync(server, linked.Token).ConfigureAwait(false);
            var query = exchange.Query();
            var framed = new byte[2 + query.Length];
            BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)query.Length);
            query.CopyTo(framed, 2);
            await socket.SendAsync(framed, linked.Token).ConfigureAwait(false);
            Statistics.TcpQuery();
            var prefix = new byte[2];
            if (!await ReadExactlyAsync(socket, prefix, linked.Token).ConfigureAwait(false)) return null;
            var message = new byte[BinaryPrimitives.ReadUInt16BigEndian(prefix)];
            if (!await ReadExactlyAsync(socket, message, linked.Token).ConfigureAwait(false)) return null;
            var reason = exchange.Check(message, out var response);
            if (reason == DnsRejectReason.None) return response;
            Statistics.Reject(reason);
            return null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        catch (StackSocketException)
        {
            return null;
        }
        finally
        {
            socket.Dispose();
        }
    }

    /// <summary>The largest UDP answer kept whole; a longer one is cut short and fails to parse.</summary>
    private const int UdpMaxAnswer = 4096;

    private static async ValueTask<bool> ReadExactlyAsync(StackSocket socket, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (buffer.Length > 0)
        {
            int n = await socket.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (n == 0) return false;
            buffer = buffer[n..];
        }
        return true;
    }

    /// <summary>
    /// RFC 5452 §9.2 and RFC 6056: a source port drawn at random from the dynamic range for every query, from the
    /// same generator as the IDs. A port in use is drawn again; after <see cref="PortTries"/> the UDP layer's own
    /// random choice is taken.
    /// </summary>
    private static void BindRandomPort(StackSocket socket, AddressFamily family, DnsResolverOptions options)
    {
        var any = family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any;
        for (int i = 0; i < PortTries; i++)
        {
            try
            {
                socket.Bind(new IPEndPoint(any, FirstEphemeralPort + Next(options, ushort.MaxValue + 1 - FirstEphemeralPort)));
                return;
            }
            catch (StackSocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
            }
        }
        socket.Bind(new IPEndPoint(any, 0));
    }

    private ushort NextId(DnsResolverOptions options) => (ushort)Next(options, ushort.MaxValue + 1);

    private static int Next(DnsResolverOptions options, int exclusiveMax)
    {
        if (options.Random is not { } random) return RandomNumberGenerator.GetInt32(exclusiveMax);
        lock (random) return random.Next(exclusiveMax);
    }
}
